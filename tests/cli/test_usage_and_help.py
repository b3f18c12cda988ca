"""Usage errors and --help read as rpk's (cobra's `Error: ...` then the usage; cobra's help layout)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize(
    "args, error, usage_line",
    [
        (["topic", "list", "--x"], "unknown flag: --x", "  rpk topic list [flags]"),
        (["topic", "list", "-z"], "unknown shorthand flag: 'z' in -z", None),
        (["topic", "consume", "t", "-z"], "unknown shorthand flag: 'z' in -z", None),
        (["topic", "consume", "t", "--zz"], "unknown flag: --zz", None),
        (["topic", "consume"], "requires at least 1 arg(s), only received 0", None),
        (
            ["topic", "create"],
            "requires at least 1 arg(s), only received 0",
            "  rpk topic create [TOPICS...] [flags]",
        ),
        (["topic", "x"], 'unknown command "x" for "rpk topic"', "  rpk topic [flags]"),
        (["version", "x"], 'unknown command "x" for "rpk version"', "  rpk version [flags]"),
        (
            ["topic", "create", "t", "-p", "many"],
            'invalid argument "many" for "--partitions" flag: '
            'strconv.ParseInt: parsing "many": invalid syntax',
            None,
        ),
        (["topic", "create", "t", "--partitions"], "flag needs an argument: --partitions", None),
    ],
)
def test_usage_errors_are_cobras(rpk, args, error, usage_line):
    res = rpk(args)
    assert res.exit_code == 1
    lines = res.stderr.splitlines()
    assert lines[0] == f"Error: {error}", res.stderr
    assert lines[1] == "Usage:"
    if usage_line:
        assert lines[2] == usage_line
    assert "Flags:" in lines and "Traceback" not in res.stderr
    assert res.stdout == ""


def _sections(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith(" ")]


def test_help_layout_of_a_command(rpk):
    res = rpk(["topic", "list", "--help"])
    assert res.exit_code == 0, res.stderr
    assert _sections(res.stdout)[1:] == ["Usage:", "Aliases:", "Flags:", "Global Flags:"]
    lines = res.stdout.splitlines()
    assert lines[lines.index("Aliases:") + 1] == "  list, ls"
    assert "  -h, --help" in res.stdout and "Help for list" in res.stdout
    flags = res.stdout.split("Flags:\n", 1)[1].split("\n\n", 1)[0]
    assert "--config" not in flags  # persistent flags are listed under Global Flags only
    globals_ = res.stdout.split("Global Flags:\n", 1)[1]
    assert "  -X, --config-opt stringArray" in globals_
    assert "/etc/redpanda/redpanda.yaml" in globals_  # help text whole, not truncated


def test_help_layout_of_a_group(rpk):
    res = rpk(["topic", "--help"])
    assert res.exit_code == 0, res.stderr
    assert _sections(res.stdout)[1:] == [
        "Usage:",
        "Available Commands:",
        "Flags:",
        "Global Flags:",
        'Use "rpk topic [command] --help" for more information about a command.',
    ]
    listed = res.stdout.split("Available Commands:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    names = [line.split()[0] for line in listed]
    assert names == sorted(names) and "consume" in names
    assert not any(line.endswith("...") for line in listed)  # short help not truncated


def test_a_group_alone_prints_its_help(rpk):
    res = rpk(["topic"])
    assert res.exit_code == 0
    assert "Available Commands:" in res.stdout and res.stderr == ""


def test_root_help(rpk):
    res = rpk(["--help"])
    assert res.exit_code == 0
    assert "Usage:\n  rpk [flags]\n  rpk [command]\n" in res.stdout
    assert "      --version" in res.stdout
    assert "Global Flags:" not in res.stdout  # the root's own flags are its Flags
