"""Kafka error codes, re-exported from kio so the whole code base uses one enum."""

from kio.schema.errors import ErrorCode

__all__ = ["ErrorCode"]
