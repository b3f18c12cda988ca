"""`rpk help [command]`: cobra's default help command at rpk's root (spf13/cobra v1.8.1,
InitDefaultHelpCmd), run as a real rpk process.

cobra's help walks the names with Find and prints that command's help on stdout (exit 0).
rpk gives every command with subcommands cobra.NoArgs, so Find never fails: a name that is not
a command ends the walk and the last command found prints its help (the "Unknown help topic"
branch of cobra is unreachable from rpk).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(120)

HELP_HELP_HEAD = """\
Help provides help for any command in the application.
Simply type rpk help [path to command] for full details.

Usage:
  rpk help [command] [flags]

Flags:
  -h, --help   help for help

Global Flags:
"""


@pytest.fixture
def run(rpk_subprocess):
    """rpk as a process, stdin a pipe (so flag usages wrap at 80 columns, as rpk's do)."""

    def go(*args: str):
        return rpk_subprocess(list(args), input="")

    return go


def _same(a, b) -> None:
    assert (a.exit_code, b.exit_code) == (0, 0), (a.stderr, b.stderr)
    assert a.stdout == b.stdout
    assert a.stdout.count("Usage:") == 1


def test_help_of_a_command_path_is_its_help_flag(run):
    _same(run("help", "topic", "create"), run("topic", "create", "--help"))
    _same(run("help", "redpanda", "admin", "brokers"), run("redpanda", "admin", "brokers", "-h"))


def test_help_alone_is_the_roots_help(run):
    helped = run("help")
    _same(helped, run("--help"))
    assert helped.stderr == ""
    assert helped.stdout.startswith("rpk is the Redpanda CLI & toolbox\n\nUsage:\n  rpk [flags]\n")


def test_unknown_names_end_the_walk(run):
    root = run("help", "bogus")
    _same(root, run("--help"))
    assert root.stderr == ""  # no "Unknown help topic": rpk's Find never fails
    _same(run("help", "topic", "bogus", "create"), run("topic", "--help"))
    _same(run("help", "topic", "create", "extra"), run("topic", "create", "--help"))


def test_aliases_and_hidden_commands(run):
    _same(run("help", "g"), run("group", "--help"))
    hidden = run("help", "start")  # rpk's deprecated `rpk start`: its help, no deprecation notice
    assert hidden.exit_code == 0 and hidden.stderr == ""
    assert hidden.stdout == run("start", "--help").stdout
    # a tuner name is an argument of `rpk redpanda tune`, not a command: tune's help
    _same(run("help", "redpanda", "tune", "swappiness"), run("redpanda", "tune", "--help"))


def test_help_is_listed_among_the_roots_commands(run):
    text = run("--help").stdout
    block = text.split("Available Commands:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    names = [line.split()[0] for line in block]
    assert names == sorted(names) and "help" in names
    assert "  help        Help about any command" in block
    # only the root has it (cobra adds it there): a group lists its own commands only
    assert "  help " not in run("topic", "--help").stdout


def test_help_of_help(run):
    res = run("help", "--help")
    assert res.exit_code == 0
    assert res.stdout.startswith(HELP_HELP_HEAD)
    assert res.stdout == run("help", "help").stdout


def test_flags_the_help_command_does_not_have(run):
    res = run("help", "topic", "--bogus")
    assert res.exit_code == 1
    assert res.stderr.startswith(
        "Error: unknown flag: --bogus\nUsage:\n  rpk help [command] [flags]"
    )
