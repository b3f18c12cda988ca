"""Services one listener publishes for another in the same process (e.g. the Schema Registry
for the HTTP proxy), keyed by the broker they belong to, so that packages of the same layer
reach each other without importing each other. Values are duck-typed by their users."""

from __future__ import annotations

from typing import Any

_SERVICES: dict[tuple[str, str], Any] = {}


def publish(kind: str, broker_key: str, service: Any) -> None:
    _SERVICES[(kind, broker_key)] = service


def withdraw(kind: str, broker_key: str, service: Any) -> None:
    if _SERVICES.get((kind, broker_key)) is service:
        del _SERVICES[(kind, broker_key)]


def lookup(kind: str, broker_key: str) -> Any | None:
    return _SERVICES.get((kind, broker_key))
