"""`--help` laid out as rpk's (issue 17): cobra's usage template, rpk's `Use:` and `Short:`.

The golden texts are cobra's template filled in from rpk's definitions (src/go/rpk/pkg/cli:
`Use:`, `Short:`, `Aliases:`, the flags' names and types), with pflag's layout (flags sorted,
usage 3 spaces after the longest flag, wrapped at 80 columns, `(default x)`); the flag
descriptions and long texts are ours.
"""

from __future__ import annotations

import pytest
import typer

from cli import _help, _pflag, _rpk_use
from cli.main import app

pytestmark = pytest.mark.timeout(60)

CONFIG_HOME = "/home/u/.config"
# rpk's own Shorts that end with a period (cluster/config/status.go, cluster/selftest/status.go)
RPK_SHORTS_ENDING_WITH_PERIOD = {"cluster config status", "cluster self-test status"}
# rpk's Use strings for its variadic-argument commands (the ones we ship)
RPK_VARIADIC_USAGE = {
    "cluster config force-reset": "rpk cluster config force-reset [PROPERTY...] [flags]",
    "cluster partitions list": "rpk cluster partitions list [TOPICS...] [flags]",
    "cluster txn describe": "rpk cluster txn describe [TXN-IDS...] [flags]",
    "group delete": "rpk group delete [GROUPS...] [flags]",
    "group describe": "rpk group describe [GROUPS...] [flags]",
    "profile set": "rpk profile set [KEY=VALUE]+ [flags]",
    "profile set-globals": "rpk profile set-globals [KEY=VALUE]+ [flags]",
    "redpanda admin config log-level set": (
        "rpk redpanda admin config log-level set [LOGGERS...] [flags]"
    ),
    "registry compatibility-level get": "rpk registry compatibility-level get [SUBJECT...] [flags]",
    "registry compatibility-level set": "rpk registry compatibility-level set [SUBJECT...] [flags]",
    "registry mode get": "rpk registry mode get [SUBJECT...] [flags]",
    "registry mode reset": "rpk registry mode reset [SUBJECT...] [flags]",
    "registry mode set": "rpk registry mode set [SUBJECT...] [flags]",
    "registry schema list": "rpk registry schema list [SUBJECT...] [flags]",
    "registry subject delete": "rpk registry subject delete [SUBJECT...] [flags]",
    "topic add-partitions": "rpk topic add-partitions [TOPICS...] --num [#] [flags]",
    "topic alter-config": (
        "rpk topic alter-config [TOPICS...] --set key=value --delete key2,key3 [flags]"
    ),
    "topic consume": "rpk topic consume TOPICS... [flags]",
    "topic create": "rpk topic create [TOPICS...] [flags]",
    "topic delete": "rpk topic delete [TOPICS...] [flags]",
    "topic describe": "rpk topic describe [TOPICS] [flags]",
}


def _walk():
    """(canonical path, command, context) for every real command of the tree (no alias copies)."""
    root = typer.main.get_command(app)
    stack = [([], root, typer.Context(root, info_name="rpk"))]
    while stack:
        path, cmd, ctx = stack.pop()
        yield path, cmd, ctx
        for name in getattr(cmd, "commands", {}):
            sub = cmd.get_command(ctx, name)
            if getattr(sub, "rpk_alias_of", None) is None:
                stack.append(([*path, name], sub, typer.Context(sub, info_name=name, parent=ctx)))


def _usage_line(text: str) -> str:
    lines = text.splitlines()
    return lines[lines.index("Usage:") + 1].strip()


def test_no_short_text_ends_with_a_period():
    listed = {}
    for path, cmd, _ in _walk():
        if path and not cmd.hidden:
            listed[" ".join(path)] = _help.short_text(cmd, path)
    assert len(listed) > 100
    with_period = {p for p, short in listed.items() if short.endswith(".")}
    assert with_period == RPK_SHORTS_ENDING_WITH_PERIOD
    for path in RPK_SHORTS_ENDING_WITH_PERIOD:  # these are rpk's own, word for word
        assert listed[path] == _rpk_use.COMMANDS[path][1]


def test_every_listed_command_has_rpks_use_and_short():
    missing = [
        " ".join(path)
        for path, cmd, _ in _walk()
        if not cmd.hidden and _rpk_use.lookup(" ".join(path)) is None
    ]
    assert missing == []


def test_variadic_usage_lines_are_rpks_use():
    variadic = set()
    for path, cmd, ctx in _walk():
        args = [p for p in cmd.params if p.param_type_name == "argument"]
        if cmd.hidden or not any(p.nargs == -1 for p in args):
            continue
        key = " ".join(path)
        variadic.add(key)
        line = _usage_line(_help.help_text(cmd, ctx))
        use = _rpk_use.COMMANDS[key][0]
        assert line == " ".join(["rpk", *path[:-1], use, "[flags]"]), key
        if key in RPK_VARIADIC_USAGE:
            assert line == RPK_VARIADIC_USAGE[key]
    assert set(RPK_VARIADIC_USAGE) <= variadic | {"topic describe", "topic add-partitions"}
    assert not any(line.endswith("...") for line in RPK_VARIADIC_USAGE.values())


@pytest.mark.parametrize(
    "args, usage_line",
    [
        (["group", "delete", "--help"], "rpk group delete [GROUPS...] [flags]"),
        (["g", "delete", "--help"], "rpk group delete [GROUPS...] [flags]"),  # paths name commands
        (["topic", "ls", "--help"], "rpk topic list [flags]"),
        (
            ["security", "user", "create", "--help"],
            "rpk security user create [USER] -p [PASS] [flags]",
        ),
        (["acl", "--help"], "rpk acl [flags]"),
    ],
)
def test_usage_lines(rpk, args, usage_line):
    res = rpk(args)
    assert res.exit_code == 0, res.stderr
    assert _usage_line(res.stdout) == usage_line


def test_flag_usage_is_wrapped_as_pflag_wraps_it():
    rows = [("  -s, --short", " ".join(["x"] * 60)), ("      --a-much-longer-name string", "short")]
    text = _pflag.render(rows, cols=80)
    first, *rest = text.splitlines()
    indent = len("      --a-much-longer-name string") + 3
    assert first.startswith("  -s, --short" + " " * (indent - len("  -s, --short")) + "x x")
    assert all(len(line) <= 80 for line in text.splitlines())
    assert rest[0].startswith(" " * indent + "x")
    assert _pflag.render(rows, cols=0).splitlines()[0].endswith("x")  # 0: no wrapping


GLOBAL_FLAGS = """\
Global Flags:
      --config string            Redpanda or rpk config file; default
                                 search paths are
                                 "/home/u/.config/rpk/rpk.yaml",
                                 $PWD/redpanda.yaml, and
                                 /etc/redpanda/redpanda.yaml
  -X, --config-opt stringArray   Override rpk configuration settings; '-X
                                 help' for detail or '-X list' for terser
                                 detail
      --profile string           rpk profile to use
  -v, --verbose                  Enable verbose logging
"""


def _group_help(name: str, short: str, commands: str, aliases: str = "") -> str:
    """cobra's template for a group: Short, use lines, Aliases, commands, Flags, Global Flags."""
    alias_block = f"Aliases:\n  {aliases}\n\n" if aliases else ""
    return (
        f"{short}\n\nUsage:\n  rpk {name} [flags]\n  rpk {name} [command]\n\n{alias_block}"
        f"Available Commands:\n{commands}\nFlags:\n  -h, --help   Help for {name}\n\n"
        f"{GLOBAL_FLAGS}\n"
        f'Use "rpk {name} [command] --help" for more information about a command.\n'
    )


TOPIC_HELP = _group_help(
    "topic",
    "Create, delete, produce to and consume from Redpanda topics",
    """\
  add-partitions Add partitions to existing topics
  alter-config   Set, delete, add, and remove key/value configs for a topic
  consume        Consume records from topics
  create         Create topics
  delete         Delete topics
  describe       Describe topics
  list           List topics, optionally listing specific topics
  produce        Produce records to a topic
  trim-prefix    Trim records from topics
""",
)

GROUP_HELP = _group_help(
    "group",
    "Describe, list, and delete consumer groups and manage their offsets",
    """\
  delete        Delete groups from brokers
  describe      Describe group offset status & lag
  list          List all groups
  offset-delete Delete offsets for a kafka group
  seek          Modify a group's current offsets
""",
    aliases="group, g",
)

CLUSTER_HELP = _group_help(
    "cluster",
    "Interact with a Redpanda cluster",
    """\
  config      Interact with cluster configuration properties
  health      Queries cluster for health overview
  info        Request broker metadata
  logdirs     Describe log directories on Redpanda brokers
  maintenance Toggle a node's maintenance mode
  partitions  Manage cluster partitions
  quotas      Manage Redpanda client quotas
  self-test   Start, stop and query runs of Redpanda self-test through the Admin API listener
  txn         Information about transactions and transactional producers
""",
)

TOPIC_CREATE_HELP = (
    """\
Create topics

Usage:
  rpk topic create [TOPICS...] [flags]

Flags:
  -d, --dry                        Dry run: validate the request without
                                   creating
  -h, --help                       Help for create
  -p, --partitions int32           Number of partitions (-1 = cluster
                                   default) (default -1)
  -r, --replicas int16             Replication factor, odd (-1 = cluster
                                   default) (default -1)
  -c, --topic-config stringArray   key=value topic config; repeatable

"""
    + GLOBAL_FLAGS
)


@pytest.mark.parametrize(
    "args, golden",
    [
        (["topic", "--help"], TOPIC_HELP),
        (["group", "--help"], GROUP_HELP),
        (["g", "--help"], GROUP_HELP),
        (["cluster", "--help"], CLUSTER_HELP),
        (["topic", "create", "--help"], TOPIC_CREATE_HELP),
    ],
)
def test_golden_help(rpk, monkeypatch, args, golden):
    # rpk asks the width of stdin's terminal, 80 columns when it is not one (as under pytest)
    monkeypatch.setattr(_pflag, "columns", lambda: _pflag.DEFAULT_COLUMNS)
    res = rpk(args, env={"XDG_CONFIG_HOME": CONFIG_HOME})
    assert res.exit_code == 0, res.stderr
    assert res.stdout == golden


def _section(text: str, title: str) -> str:
    return text.split(f"\n{title}:\n", 1)[1].split("\n\n", 1)[0] if f"\n{title}:\n" in text else ""


def test_a_groups_persistent_format_flag_is_global_below_it(rpk):
    group = rpk(["registry", "schema", "--help"]).stdout
    assert "      --format string   Output format (json,yaml,text,wide,help) (default" in group
    assert "--format" in _section(group, "Flags")
    leaf = rpk(["registry", "schema", "list", "--help"]).stdout
    assert "--format" not in _section(leaf, "Flags")
    assert "--format string" in _section(leaf, "Global Flags")
    # a command whose rpk flag is its own keeps it under Flags
    assert "--format string" in _section(rpk(["topic", "list", "--help"]).stdout, "Flags")


def test_flag_types_and_defaults_are_pflags(rpk):
    stop = _section(rpk(["redpanda", "stop", "--help"]).stdout, "Flags")
    assert "      --timeout duration" in stop and "(default 5s)" in stop
    produce = _section(rpk(["topic", "produce", "--help"]).stdout, "Flags")
    assert "  -p, --partition int32" in produce and "--delivery-timeout duration" in produce
    assert '(default "%v\\n")' in " ".join(produce.split())  # Go's %q of the format
    assert "  -s, --states strings" in _section(rpk(["group", "list", "--help"]).stdout, "Flags")
    assert [_pflag.go_duration(t) for t in ("10s", "1m", "1h", "90s", "500ms", "x")] == [
        "10s",
        "1m0s",
        "1h0m0s",
        "1m30s",
        "500ms",
        "x",
    ]


def test_examples_section_follows_usage(rpk):
    text = rpk(["group", "describe", "--help"]).stdout
    usage_at, examples_at, flags_at = (
        text.index("\nUsage:\n"),
        text.index("\nExamples:\n\n"),
        text.index("\nFlags:\n"),
    )
    assert usage_at < examples_at < flags_at
    assert "  rpk group describe -r '*'\n\n\nFlags:" in text  # cobra prints Example as it is


@pytest.mark.parametrize(
    "args, aliases",
    [
        (["cluster", "info", "--help"], "info, status, metadata"),
        (["cluster", "partitions", "move-cancel", "--help"], "move-cancel, alter-cancel"),
        (["redpanda", "admin", "config", "print", "--help"], "print, dump, list, ls, display"),
        (["sec", "--help"], "security, sec"),
    ],
)
def test_aliases_in_rpks_order(rpk, args, aliases):
    assert _section(rpk(args).stdout, "Aliases") == f"  {aliases}"
