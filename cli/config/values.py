"""Parsers for the scalar kinds rpk accepts in -X values, env vars and profile files."""

from __future__ import annotations

import re

from cli.errors import UsageError

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_TRUE = {"1", "t", "true", "yes", "y", "on"}
_FALSE = {"0", "f", "false", "no", "n", "off"}


def parse_duration(text: str) -> float:
    """A Go duration (`30s`, `1m30s`, `500ms`, `-2h`) in seconds."""
    raw = text.strip()
    sign = -1.0 if raw.startswith("-") else 1.0
    body = raw.lstrip("+-")
    if body == "0":
        return 0.0
    total, pos = 0.0, 0
    for match in _DURATION_PART.finditer(body):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if not body or pos != len(body):
        raise UsageError(f"invalid duration {text!r}")
    return sign * total


def parse_bool(text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise UsageError(f"invalid boolean {text!r}")


def split_list(text: str) -> list[str]:
    """A comma-delimited list with blanks dropped."""
    return [part.strip() for part in text.split(",") if part.strip()]


def split_kv(text: str, what: str = "key=value") -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise UsageError(f"invalid {what} {text!r}: expected key=value")
    return key.strip(), value
