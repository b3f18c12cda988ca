"""`--all`, a persistent flag of `rpk cluster config` (rpk's cluster/config/config.go): it is
accepted on the group (`rpk cluster config --all export`) and on every subcommand. export,
import and edit include the low-level tunables with it (rpk's exportConfig/importConfig skip
properties of visibility "tunable" without it); status, force-reset, lint, set and get accept
it and ignore it, as rpk's do."""

from __future__ import annotations

from typing import Annotated

import typer

from cli import _rpk_use

_HELP = "Include all properties, including tunables"
AllOpt = Annotated[bool, typer.Option("--all", help=_HELP)]
# the group's own: its help lists it from _rpk_use.PERSISTENT_FLAGS once that names the group
# (then each subcommand lists it under Global Flags, as rpk), until then from this option
_GroupAllOpt = Annotated[
    bool,
    typer.Option("--all", help=_HELP, hidden="cluster config" in _rpk_use.PERSISTENT_FLAGS),
]


class _Group:
    """What the group's callback saw in this invocation (it runs before every subcommand of
    the group, so each invocation overwrites it)."""

    all_given = False


def group_options(all_: _GroupAllOpt = False) -> None:
    """The `cluster config` group's own flag, kept for the subcommand that runs."""
    _Group.all_given = all_


def include_all(given_here: bool) -> bool:
    """`--all` given on the subcommand or, before it, on the group."""
    return given_here or _Group.all_given
