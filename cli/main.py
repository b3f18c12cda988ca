"""rpk: the root command. Errors become one stderr line and exit code 1 here, and only here."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from cli import _help, options
from cli._app import new_group
from cli.commands import redpanda
from cli.errors import CliError, CommandUsageError, describe_exception, one_line

app = new_group("rpk", "rpk is the Ailurus CLI & toolbox.", invoke_without_command=True)


def _print_version(value: bool) -> None:
    if value:
        from cli.commands.version import pretty

        typer.echo(f"rpk version {pretty()}")  # cobra's version template
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    config_opt: options.XOpt = None,
    config: options.ConfigOpt = None,
    profile: options.ProfileOpt = None,
    verbose: options.VerboseOpt = False,
    version: Annotated[
        bool,
        typer.Option("--version", help="version for rpk", is_eager=True, callback=_print_version),
    ] = False,
) -> None:
    """rpk is the Ailurus CLI & toolbox."""
    flags = options.make_flags(config_opt, config, profile, verbose)
    # the -X hook and checks are the running command's, once its own flags are parsed
    options.enter(ctx, flags, runs=False)
    if ctx.invoked_subcommand is None:  # rpk gives its groups a Run: the -X hook, the help
        options.handle_x_help(flags.given_x)
        typer.echo(ctx.get_help())
    notice = redpanda.deprecation_notice(ctx.invoked_subcommand)
    if notice:
        typer.echo(notice, err=True)


def _register_groups() -> None:
    # One line per command group; each group module registers its own subcommands.
    from cli.commands import cluster, generate, group, iotune, profile, security, topic, version

    version.register(app)
    profile.register(app)
    topic.register(app)
    cluster.register(app)
    group.register(app)
    generate.register(app)
    redpanda.register(app)
    redpanda.register_deprecated_aliases(
        app
    )  # linux rpk's hidden `rpk start|stop|config|mode|tune|check`
    iotune.register(app)
    security.register(app)
    from cli.commands import registry

    registry.register(app)
    from cli.commands import container

    container.register(app)
    from cli.commands import debug

    debug.register(app)
    from cli.commands import help as help_command

    help_command.register(app)  # cobra's default `help [command]`, which rpk's root has


_register_groups()
_help.apply(app)


def main(argv: list[str] | None = None) -> int:
    if (
        "_RPK_COMPLETE" in os.environ
    ):  # a shell asking for completions (rpk generate shell-completion)
        from typer.completion import completion_init

        completion_init()
    try:
        rc = app(args=argv, prog_name="rpk", standalone_mode=False)
    except CommandUsageError as exc:
        print(f"Error: {exc}\n{exc.usage}", file=sys.stderr, end="")
        return exc.exit_code
    except CliError as exc:
        if str(exc) and exc.multiline:
            print(str(exc), file=sys.stderr, end="" if str(exc).endswith("\n") else "\n")
        elif str(exc):
            print(one_line(str(exc)), file=sys.stderr)
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        print("aborted", file=sys.stderr)
        return 1
    except (
        Exception
    ) as exc:  # a usage error from Typer, a client error, or a bug: one line, no traceback
        print(describe_exception(exc), file=sys.stderr)
        return 1
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":
    sys.exit(main())
