"""`rpk generate shell-completion bash|zsh|fish`: print a completion script to stdout."""

from __future__ import annotations

from typing import Annotated

import typer
from typer.completion import get_completion_script

from cli.errors import UsageError
from cli.options import with_globals

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_RPK_COMPLETE"


def completion_script(shell: str) -> str:
    if shell not in SHELLS:
        raise UsageError(f"unsupported shell {shell!r}: use bash, zsh or fish")
    return get_completion_script(prog_name="rpk", complete_var=COMPLETE_VAR, shell=shell)


@with_globals
def generate_shell_completion(
    shell: Annotated[str, typer.Argument(help="bash, zsh or fish.")],
) -> None:
    """Generate a shell completion script; e.g. `source <(rpk generate shell-completion bash)`."""
    typer.echo(completion_script(shell), nl=False)


def register(app: typer.Typer) -> None:
    app.command("shell-completion")(generate_shell_completion)
