"""`-X help` and `-X list` on every command, as rpk has them.

rpk's -X is a persistent flag of its root, so every command takes it, groups included. rpk's
hook (cobra's OnInitialize, in the command's preRun) looks at the first -X item only: `help`
prints the key registry with its descriptions, `list` the terse one, and rpk exits 0. cobra
runs the hook after it parsed the flags (a flag error wins, and so does --help) and before it
checks the arguments (a missing argument, an unknown subcommand or tuner). A group run without
a subcommand runs the hook, then prints its help, whatever else -X says.
"""

from __future__ import annotations

import pytest

from cli.config import xflags

pytestmark = pytest.mark.timeout(120)

REGISTRY = {"help": xflags.render_help(), "list": xflags.render_list()}


@pytest.mark.parametrize(
    "args",
    [
        ["-X", "help"],  # the root
        ["topic", "-X", "help"],  # a group
        ["cluster", "config", "-X", "list"],  # a group in a group
        ["g", "-X", "list"],  # a group's alias
        ["redpanda", "tune", "-X", "list"],  # tune without its tuner argument
        ["topic", "create", "-X", "help"],  # a command missing its argument
        ["topic", "bogus", "-X", "list"],  # not a subcommand: cobra checks that after the hook
        ["bogus", "-X", "help"],  # the root's NoArgs, after the hook too
        ["-X", "list", "security", "acl"],  # the root's -X, then a group
        ["-X", "help", "version"],  # the root's -X, then a command
        ["help", "topic", "-X", "list"],  # cobra's help command
    ],
)
def test_prints_the_key_registry_and_exits_0(rpk_subprocess, args):
    res = rpk_subprocess(args)
    assert res.exit_code == 0, res.stderr
    assert res.stdout == REGISTRY[args[args.index("-X") + 1]]
    assert res.stderr == ""


@pytest.mark.parametrize(
    "args",
    [
        ["cluster", "-X", "help", "partitions"],  # a group's -X reaches its subcommand
        ["security", "user", "create", "-X", "list"],
        ["redpanda", "tune", "bogus", "-X", "help"],  # tune's Args come after the hook
        ["redpanda", "tune", "help", "-X", "list"],
        ["redpanda", "tune", "list", "net", "-X", "help"],
        ["topic", "list", "--brokers", "127.0.0.1:1", "-X", "help"],  # a hidden back-compat flag
        ["-X", "bogus"],  # neither help nor list: the root run alone prints its help
        ["redpanda", "-X", "list"],
        ["profile", "-X", "help"],
    ],
)
def test_everywhere_in_process(rpk, args):
    res = rpk(args)
    assert res.exit_code == 0, res.stderr
    wanted = args[args.index("-X") + 1]
    if wanted in REGISTRY:
        assert res.stdout == REGISTRY[wanted]
    else:  # the root run alone: its help, as any group's
        assert res.stdout.startswith("rpk is the ")


def test_only_the_first_x_item_is_looked_at(rpk):
    # a group runs its hook (the first item is not help/list) and prints its help
    res = rpk(["topic", "-X", "brokers=127.0.0.1:1", "-X", "help"])
    assert res.exit_code == 0
    assert res.stdout.startswith("Create, delete, produce to and consume from Redpanda topics\n")
    # the root's items come first on the command line
    res = rpk(["-X", "brokers=127.0.0.1:1", "topic", "-X", "list"])
    assert res.exit_code == 0 and res.stdout.startswith("Create, delete")
    # rpk compares the item as typed
    res = rpk(["topic", "-X", "HELP"])
    assert res.exit_code == 0 and res.stdout.startswith("Create, delete")


def test_flag_errors_and_help_come_first(rpk):
    bad = rpk(["topic", "-X", "help", "--bogus"])
    assert bad.exit_code == 1
    assert bad.stderr.startswith("Error: unknown flag: --bogus\nUsage:\n  rpk topic [flags]\n")
    bad = rpk(["-X", "help", "topic", "create", "--bogus"])
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: unknown flag: --bogus\n")
    bad = rpk(["redpanda", "tune", "bogus", "--bogus", "-X", "help"])
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: unknown flag: --bogus\n")
    helped = rpk(["topic", "create", "-X", "list", "--help"])
    assert helped.exit_code == 0 and helped.stdout.startswith("Create topics")


def test_a_groups_flags_reach_the_command_and_its_checks(rpk):
    # given before the subcommand, -X is the command's: checked when it runs
    bad = rpk(["topic", "-X", "bogus=1", "list"])
    assert bad.exit_code == 1
    assert bad.stderr == 'flag config: unknown key "bogus"\n'
    # and a group's hidden back-compat flag too (rpk's are persistent flags of the group)
    refused = rpk(["topic", "--brokers", "127.0.0.1:1", "list"])
    assert refused.exit_code == 1
    assert "dial tcp 127.0.0.1:1: connect: connection refused" in refused.stderr
    # a group run alone never loads the profile: its help, exit 0
    assert rpk(["topic", "-X", "bogus=1"]).exit_code == 0
    # the argument count cobra reports leaves flag values out
    missing = rpk(["topic", "create", "-X", "brokers=127.0.0.1:1"])
    assert missing.exit_code == 1
    assert missing.stderr.startswith("Error: requires at least 1 arg(s), only received 0\n")


def test_unknown_subcommand_after_the_hook(rpk):
    res = rpk(["topic", "bogus", "-X", "brokers=127.0.0.1:1"])
    assert res.exit_code == 1
    assert res.stderr.startswith('Error: unknown command "bogus" for "rpk topic"\nUsage:\n')
