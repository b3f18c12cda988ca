"""rpk's flags before the command group (`rpk --brokers X topic list`), against a real broker.

Cobra finds the command first and lets it parse every flag of the line, so a flag of the command
(rpk's hidden back-compat --brokers, --user..., the persistent -X, --config, --profile, -v, even
-h) works before the group as after it. The root itself knows only its own flags: a flag it does
not know, given before a group, takes the next word as its value, so `rpk --brokers topic list`
is the root's `unknown flag` error, as in rpk.
"""

from __future__ import annotations

import json
import shutil
import socket
import uuid

import pytest

pytestmark = pytest.mark.timeout(180)

FAST = ["-X", "globals.dial_timeout=1s"]


def _dead() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
def dead_env() -> dict[str, str]:
    """The environment points at nothing: only the flag under test can reach the broker."""
    dead = _dead()
    return {"RPK_BROKERS": dead, "RPK_ADMIN_HOSTS": dead}


def _topic_round_trip(rpk, flags: list[str], env: dict[str, str]) -> None:
    """create, produce, consume and list with `flags` before the `topic` group."""
    name = f"fb-{uuid.uuid4().hex[:8]}"
    res = rpk([*flags, "topic", "create", name, "-p", "1"], env=env)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.splitlines()[1].split() == [name, "OK"]
    res = rpk([*flags, "topic", "produce", name, "-f", "%k %v\\n"], env=env, input="k1 v1\n")
    assert res.exit_code == 0, res.stderr
    assert "Produced to partition 0 at offset 0" in res.stdout
    res = rpk([*flags, "topic", "consume", name, "-n", "1"], env=env)
    assert res.exit_code == 0, res.stderr
    record = json.loads(res.stdout)
    assert (record["topic"], record["key"], record["value"]) == (name, "k1", "v1")
    res = rpk([*flags, "topic", "list"], env=env)
    assert res.exit_code == 0, res.stderr
    assert name in [line.split()[0] for line in res.stdout.splitlines()[1:]]


@pytest.mark.parametrize(
    "flags",
    [
        pytest.param(lambda b: ["--brokers", b], id="--brokers value"),
        pytest.param(lambda b: [f"--brokers={b}"], id="--brokers=value"),
        pytest.param(lambda b: ["--brokers", f"{_dead()},{b}"], id="--brokers list"),
        pytest.param(lambda b: ["-X", f"brokers={b}"], id="-X"),
        pytest.param(lambda b: [f"-Xbrokers={b}"], id="-Xkey=value"),
        pytest.param(lambda b: ["-v", "--brokers", b], id="-v"),
        pytest.param(lambda b: ["--tls-enabled=false", "--brokers", b], id="bool=false"),
    ],
)
def test_topic_commands_with_the_flag_before_the_group(rpk, broker, dead_env, flags):
    _topic_round_trip(rpk, flags(broker.bootstrap), dead_env)


def test_verbose_before_the_group_logs_to_stderr(rpk, broker, dead_env):
    res = rpk(["-v", "--brokers", broker.bootstrap, "topic", "list"], env=dead_env)
    assert res.exit_code == 0, res.stderr
    assert "DEBUG" in res.stderr


def test_profile_and_config_before_the_group(rpk, broker, tmp_path, home):
    good, dead = broker.bootstrap, _dead()
    assert rpk(["profile", "create", "good", "-s", f"brokers={good}"]).exit_code == 0
    other = tmp_path / "other-rpk.yaml"
    shutil.copy(home / ".config" / "rpk" / "rpk.yaml", other)
    assert rpk(["profile", "create", "dead", "-s", f"brokers={dead}"]).exit_code == 0
    assert rpk(["topic", "list", *FAST]).exit_code == 1  # the current profile reaches nothing
    _topic_round_trip(rpk, ["--profile", "good"], {})
    _topic_round_trip(rpk, ["--config", str(other)], {})
    _topic_round_trip(rpk, [f"--config={other}", "--profile=good"], {})


def test_admin_flags_before_the_group(rpk, broker, dead_env):
    admin = f"127.0.0.1:{broker.admin_port}"
    for flags in (["--api-urls", admin], ["--hosts", admin], [f"--admin-url={admin}"]):
        res = rpk([*flags, "cluster", "health"], env=dead_env)
        assert res.exit_code == 0, res.stderr
        assert "Healthy:" in res.stdout


@pytest.mark.parametrize(
    "flags",
    [
        ["--sasl-mechanism", "BOGUS", "--user", "u", "--password", "p"],
        ["--brokers", "127.0.0.1:1"],
        ["--tls-enabled=notabool"],
        ["-v=maybe"],
        ["--admin-api-tls-enabled=2"],
    ],
)
def test_a_flag_before_the_group_does_what_it_does_after(rpk, dead_env, flags):
    before = rpk([*flags, "topic", "list", *FAST], env=dead_env)
    after = rpk(["topic", "list", *flags, *FAST], env=dead_env)
    assert before.exit_code == after.exit_code == 1
    assert (before.stdout, before.stderr) == (after.stdout, after.stderr)


def test_a_bad_bool_value_is_pflags_error_with_the_commands_usage(rpk):
    res = rpk(["--tls-enabled=maybe", "topic", "list"])
    assert res.exit_code == 1
    assert res.stderr.startswith(
        'Error: invalid argument "maybe" for "--tls-enabled" flag: '
        'strconv.ParseBool: parsing "maybe": invalid syntax\nUsage:\n  rpk topic list [flags]\n'
    )
    res = rpk(["-v=maybe", "topic", "list"])
    assert res.stderr.startswith('Error: invalid argument "maybe" for "-v, --verbose" flag: ')


ROOT_USAGE = "Usage:\n  rpk [flags]\n  rpk [command]\n"


@pytest.mark.parametrize(
    "args, message, usage",
    [
        # the root has no --brokers: before a group it is the root's unknown flag, whether it
        # has no value or takes the group's name as its value
        (["--brokers"], "unknown flag: --brokers", ROOT_USAGE),
        (["--brokers", "topic", "list"], "unknown flag: --brokers", ROOT_USAGE),
        (["--tls-enabled", "topic", "list"], "unknown flag: --tls-enabled", ROOT_USAGE),
        (["--user"], "unknown flag: --user", ROOT_USAGE),
        (["-X"], "flag needs an argument: 'X' in -X", ROOT_USAGE),
        (["--config"], "flag needs an argument: --config", ROOT_USAGE),
        (["--profile"], "flag needs an argument: --profile", ROOT_USAGE),
        (
            ["topic", "--brokers"],
            "flag needs an argument: --brokers",
            "Usage:\n  rpk topic [flags]",
        ),
        (
            ["-v", "topic", "list", "--brokers"],
            "flag needs an argument: --brokers",
            "Usage:\n  rpk topic list [flags]",
        ),
        (
            ["--brokers", "127.0.0.1:1", "topic", "list", "-X"],
            "flag needs an argument: 'X' in -X",
            "Usage:\n  rpk topic list [flags]",
        ),
    ],
)
def test_a_missing_value_errors_as_rpk(rpk, args, message, usage):
    res = rpk(args)
    assert res.exit_code == 1
    assert res.stdout == ""
    assert res.stderr.startswith(f"Error: {message}\n{usage}"), res.stderr


def test_profile_value_taken_from_the_group_name_is_rpks_unknown_command(rpk):
    # cobra's root takes `topic` as --profile's value, then `list` is no command of the root
    res = rpk(["--profile", "topic", "list"])
    assert res.exit_code == 1
    assert res.stderr.startswith('Error: unknown command "list" for "rpk"\n')


def test_help_before_the_group_is_the_commands_help(rpk):
    before = rpk(["-h", "topic", "list"])
    assert before.exit_code == 0
    assert before.stdout == rpk(["topic", "list", "-h"]).stdout
    assert "Usage:\n  rpk topic list [flags]" in before.stdout


def test_the_flag_before_the_group_in_a_real_process(rpk_subprocess, broker, dead_env):
    res = rpk_subprocess(["--brokers", broker.bootstrap, "topic", "list"], env=dead_env)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.splitlines()[0].split() == ["NAME", "PARTITIONS", "REPLICAS"]
