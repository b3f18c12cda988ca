"""`rpk security user create|list|update|delete` through a throwaway Typer root and a live Admin API."""

from __future__ import annotations

import json

import pytest
import typer

from cli.commands import security
from tests.support.admin import threaded_app
from tests.support.rpk import admin_env, typer_runner


@pytest.fixture
def rpk(tmp_path):
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """test root"""

    security.register(root)
    with threaded_app(tmp_path / "data") as broker:
        run = typer_runner(root, admin_env(broker.url, tmp_path))
        run.svc = broker.app
        yield run


def test_create_list_update_delete(rpk):
    created = rpk("security", "user", "create", "alice", "-p", "pw1")
    assert created.exit_code == 0, created.output
    assert created.output == 'Created user "alice".\n'
    assert rpk.svc.users.verify_password("alice", "pw1")
    assert (
        rpk("sec", "user", "create", "bob", "--mechanism", "scram-sha-512", "-p", "x").exit_code
        == 0
    )
    assert rpk.svc.users.credential("bob").mechanism == "SCRAM-SHA-512"
    assert rpk("security", "user", "list").output == "USERNAME\nalice\nbob\n"
    assert json.loads(rpk("security", "user", "ls", "--format", "json").output) == ["alice", "bob"]
    updated = rpk(
        "security",
        "user",
        "update",
        "alice",
        "--new-password",
        "pw2",
        "--mechanism",
        "SCRAM-SHA-512",
    )
    assert updated.output == 'Updated user "alice" successfully.\n'
    assert rpk.svc.users.verify_password("alice", "pw2")
    assert rpk("security", "user", "delete", "bob").output == 'Deleted user "bob".\n'
    assert rpk.svc.users.list() == ["alice"]


def test_generated_password_is_printed_and_works(rpk):
    result = rpk("security", "user", "create", "carol")
    assert result.exit_code == 0
    lines = result.output.splitlines()  # rpk: the password alone on the last line
    assert lines[:2] == ['Created user "carol".', "Automatically generated password:"]
    password = lines[2]
    assert (
        len(lines) == 3 and len(password) == 30 and rpk.svc.users.verify_password("carol", password)
    )


def test_errors_are_one_line_with_nonzero_exit(rpk):
    assert rpk("security", "user", "create", "dave", "-p", "a").exit_code == 0
    dup = rpk("security", "user", "create", "dave", "-p", "b")
    assert dup.exit_code != 0
    assert str(dup.exception).startswith('unable to create user "dave": ')
    assert "already exists" in str(dup.exception) and "409" not in str(dup.exception)
    bad = rpk("security", "user", "create", "eve", "-p", "a", "--mechanism", "md5")
    assert bad.exit_code != 0 and "unsupported mechanism" in str(bad.exception)


def test_recreate_with_same_password_and_delete_missing_succeed_as_in_redpanda(rpk):
    """Redpanda answers 200 to both (security.cc), so rpk prints its usual success lines and exits 0."""
    assert rpk("security", "user", "create", "dave", "-p", "a").exit_code == 0
    again = rpk("security", "user", "create", "dave", "-p", "a")
    assert again.exit_code == 0 and again.output == 'Created user "dave".\n'
    missing = rpk("security", "user", "delete", "nobody")
    assert missing.exit_code == 0 and missing.output == 'Deleted user "nobody".\n'
    assert rpk.svc.users.list() == ["dave"]
