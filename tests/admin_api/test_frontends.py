"""ClusterConfigFrontend and UserFrontend of a real broker on a temporary directory: validation,
versions, replication through the controller, replay on restart, SCRAM."""

from __future__ import annotations

import base64

import pytest
import pytest_asyncio

from core.cluster.config_frontend import ConfigValidationError
from core.security import scram
from core.security.users import InvalidUserRequest, UserExists, UserNotFound
from tests.support.admin import controller_commands, running_app


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
async def svc(data_dir):
    async with running_app(data_dir) as app:
        app.commands_at_start = len(controller_commands(app))
        yield app


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_svc(tmp_path_factory):
    """One broker for the tests a refused request leaves unchanged (they check that it does)."""
    async with running_app(tmp_path_factory.mktemp("frontends") / "data") as app:
        yield app


@pytest.fixture
def unchanged(shared_svc):
    """The shared broker; afterwards, asserts that the test replicated nothing."""
    before = controller_commands(shared_svc)
    yield shared_svc
    assert controller_commands(shared_svc) == before


def replicated(app) -> list[tuple[str, dict]]:
    """The controller commands committed since the broker started (what a test caused)."""
    return controller_commands(app)[app.commands_at_start :]


async def test_patch_bumps_version_and_replay_reproduces_it(data_dir):
    async with running_app(data_dir) as svc:
        assert await svc.config_frontend.patch({"log_retention_ms": 1000}, []) == 1
        assert (
            await svc.config_frontend.patch(
                {"auto_create_topics_enabled": True}, ["log_retention_ms"]
            )
            == 2
        )
    async with running_app(data_dir) as again:  # a restart replays the controller log
        assert again.cluster_config.version == 2
        assert again.cluster_config.values(include_defaults=False) == {
            "auto_create_topics_enabled": True
        }


@pytest.mark.asyncio(loop_scope="module")
async def test_patch_rejects_with_per_key_errors_and_replicates_nothing(unchanged):
    svc = unchanged
    with pytest.raises(ConfigValidationError) as caught:
        await svc.config_frontend.patch(
            {"nope": 1, "log_segment_size": "x", "default_topic_partitions": 0}, []
        )
    assert set(caught.value.errors) == {"nope", "log_segment_size", "default_topic_partitions"}


async def test_dry_run_validates_without_replicating_and_force_records_unknowns(svc):
    assert await svc.config_frontend.patch({"log_retention_ms": 5}, [], dry_run=True) == 0
    assert replicated(svc) == []
    assert await svc.config_frontend.patch({"mystery": 1}, [], force=True) == 1
    [status] = svc.config_frontend.status()
    assert status.unknown == ["mystery"] and status.config_version == 1 and not status.restart
    await svc.config_frontend.patch({"enable_idempotence": False}, [])
    assert svc.config_frontend.status()[0].restart


async def test_users_create_update_delete_store_only_scram_keys(data_dir):
    async with running_app(data_dir) as svc:
        svc.commands_at_start = len(controller_commands(svc))
        await svc.users.create("alice", "s3cret-pw", scram.SCRAM_SHA_256)
        await svc.users.create("bob", "pw", scram.SCRAM_SHA_512)
        assert svc.users.list() == ["alice", "bob"]
        assert "s3cret-pw" not in repr(replicated(svc))
        assert b"s3cret-pw" not in b"".join(
            p.read_bytes() for p in data_dir.rglob("*") if p.is_file()
        )
        assert svc.users.verify_password("alice", "s3cret-pw") and not svc.users.verify_password(
            "alice", "nope"
        )
        with pytest.raises(UserExists):
            await svc.users.create("alice", "x", scram.SCRAM_SHA_256)
        with pytest.raises(UserExists):  # same password, other mechanism: another credential
            await svc.users.create("alice", "s3cret-pw", scram.SCRAM_SHA_512)
        before = len(replicated(svc))
        await svc.users.create(
            "alice", "s3cret-pw", scram.SCRAM_SHA_256
        )  # same credential: a no-op success
        assert len(replicated(svc)) == before and svc.users.verify_password("alice", "s3cret-pw")
        await svc.users.update("alice", "new-pw", scram.SCRAM_SHA_512)
        assert svc.users.credential("alice").mechanism == scram.SCRAM_SHA_512
        assert svc.users.verify_password("alice", "new-pw")
        await svc.users.delete("bob")
        before = len(replicated(svc))
        await svc.users.delete(
            "bob"
        )  # deleting a user that does not exist succeeds, as in Redpanda, and writes nothing
        assert len(replicated(svc)) == before
        with pytest.raises(UserNotFound):
            await svc.users.update("carol", "pw", scram.SCRAM_SHA_256)
    async with running_app(data_dir) as replayed:  # a restart replays the controller log
        assert replayed.users.list() == ["alice"] and replayed.users.verify_password(
            "alice", "new-pw"
        )


@pytest.mark.parametrize("username", ["", "a,b", "x=y", " lead", "tab\there", "z" * 129])
@pytest.mark.asyncio(loop_scope="module")
async def test_bad_usernames_are_rejected(unchanged, username):
    with pytest.raises(InvalidUserRequest):
        await unchanged.users.create(username, "pw", scram.SCRAM_SHA_256)


@pytest.mark.asyncio(loop_scope="module")
async def test_bad_algorithm_is_rejected(unchanged):
    with pytest.raises(InvalidUserRequest):
        await unchanged.users.create("u", "pw", "MD5")


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b))


def test_scram_sha256_matches_rfc7677_exchange():
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    cred = scram.derive_credential(scram.SCRAM_SHA_256, "pencil", salt, 4096)
    nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
    auth_message = (
        f"n=user,r=rOprNGfwEbeRWgbNEkqO,r={nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
        f"c=biws,r={nonce}"
    ).encode()
    proof = base64.b64decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    client_key = _xor(proof, scram.hmac_digest(scram.SCRAM_SHA_256, cred.stored_key, auth_message))
    assert scram.h(scram.SCRAM_SHA_256, client_key) == cred.stored_key
    server_signature = scram.hmac_digest(scram.SCRAM_SHA_256, cred.server_key, auth_message)
    assert (
        base64.b64encode(server_signature).decode()
        == "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    )
    assert scram.ScramCredential.from_json(cred.to_json()) == cred


async def test_concurrent_patches_cannot_break_a_min_max_pair_together(svc):
    """Each patch is valid against the config it saw; applied one after the other they are not.
    (The real controller yields to the loop while a command is replicated and flushed.)"""
    import asyncio

    outcomes = await asyncio.gather(
        svc.config_frontend.patch({"group_min_session_timeout_ms": 100_000}, []),
        svc.config_frontend.patch({"group_max_session_timeout_ms": 50_000}, []),
        return_exceptions=True,
    )
    assert [type(o) for o in outcomes] == [int, ConfigValidationError]
    store = svc.cluster_config
    assert store.get("group_min_session_timeout_ms") <= store.get("group_max_session_timeout_ms")
    assert len(replicated(svc)) == 1


async def test_unknown_users_cost_a_password_check_too(svc, monkeypatch):
    """Basic auth must not answer faster for a name that does not exist (user enumeration)."""
    from core.security import users

    await svc.users.create("alice", "pw", scram.SCRAM_SHA_512)
    checked = []
    real = users.password_matches
    monkeypatch.setattr(
        users, "password_matches", lambda cred, pw: checked.append(cred.mechanism) or real(cred, pw)
    )
    assert not svc.users.verify_password("mallory", "pw") and svc.users.verify_password(
        "alice", "pw"
    )
    assert checked == [scram.SCRAM_SHA_512, scram.SCRAM_SHA_512]
