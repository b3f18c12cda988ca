"""Compatibility levels: which earlier versions a new schema is checked against, which way."""

from __future__ import annotations

from core.schema_registry.types import Parsed, check


def directions(level: str) -> tuple[bool, bool]:
    """(backward, forward): backward = the new schema reads data written with the old one."""
    base = level.removesuffix("_TRANSITIVE")
    return base in ("BACKWARD", "FULL"), base in ("FORWARD", "FULL")


def is_transitive(level: str) -> bool:
    return level.endswith("_TRANSITIVE")


def check_pair(level: str, new: Parsed, old: Parsed, old_version: int) -> list[str]:
    backward, forward = directions(level)
    messages: list[str] = []
    if backward:
        messages += [f"{m} (new schema reading version {old_version})" for m in check(new, old)]
    if forward:
        messages += [f"{m} (version {old_version} reading new schema)" for m in check(old, new)]
    return messages
