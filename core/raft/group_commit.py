"""Moved: group commit is storage's (core.storage.group_commit). Kept for old imports."""

from core.storage.group_commit import GroupCommit

__all__ = ["GroupCommit"]
