"""Typed CLI errors. Commands raise them; only cli.main turns them into exit codes."""

from __future__ import annotations


class CliError(Exception):
    """An error to print as one line on stderr, exiting with `exit_code`."""

    exit_code = 1


class UsageError(CliError):
    """Bad flags, arguments or -X values."""


class ConnectionFailed(CliError):
    """The broker or the Admin API could not be reached."""
