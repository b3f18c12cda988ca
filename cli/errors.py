"""Typed CLI errors. Commands raise them; only cli.main turns them into exit codes."""

from __future__ import annotations


class CliError(Exception):
    """An error to print as one line on stderr, exiting with `exit_code`."""

    exit_code = 1
    multiline = False  # True: printed as written (rpk's multi-line messages)


class UsageError(CliError):
    """Bad flags, arguments or -X values."""


class ConnectionFailed(CliError):
    """The broker or the Admin API could not be reached."""


class KafkaRequestFailed(CliError):
    """A Kafka request was answered with an error."""


class NotFound(CliError):
    """A named topic, group or profile does not exist."""


def one_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return " ".join(lines) if lines else ""


def describe_exception(exc: BaseException) -> str:
    """One line for an exception that is not a CliError (Typer usage errors, client errors, bugs)."""
    message = getattr(exc, "format_message", None)
    if callable(message):  # Typer's usage errors
        return one_line(message())
    text = one_line(str(exc))
    return text or "unexpected error; run with -v for details"


class CommandUsageError(UsageError):
    """A usage error as cobra reports it: `Error: <message>`, then the command's usage."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.usage = usage


class FlagError(UsageError):
    """A flag/argument error a command finds itself (hand-parsed flags): cobra's format, printed
    with the command's usage by options.with_globals."""


class PartialFailure(CliError):
    """Per-item results (with their errors) were already printed; exit 1 without another line."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
