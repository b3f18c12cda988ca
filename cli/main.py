"""rpk: the root command. Errors become one stderr line and exit code 1 here, and only here."""

from __future__ import annotations

import sys

import typer

from cli._app import new_group
from cli.errors import CliError

app = new_group("rpk", "rpk is the Ailurus CLI & toolbox.")


@app.callback()
def _root() -> None:
    """rpk is the Ailurus CLI & toolbox."""


def _register_groups() -> None:
    # One line per command group; each group module registers its own subcommands.
    from cli.commands import version

    version.register(app)


_register_groups()


def main(argv: list[str] | None = None) -> int:
    try:
        app(args=argv, prog_name="rpk", standalone_mode=False)
    except CliError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except typer.Abort:
        print("aborted", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a usage error from Typer, or a bug: one line, never a traceback
        name = type(exc).__name__
        message = getattr(exc, "format_message", None)
        text = message() if callable(message) else str(exc)
        print(text if callable(message) else f"{name}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
