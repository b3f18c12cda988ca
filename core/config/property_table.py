"""The cluster property table (Redpanda names) and lookups by name or alias."""

from __future__ import annotations

from typing import Any

from core.config.properties_kafka import KAFKA_PROPERTIES
from core.config.properties_storage import STORAGE_PROPERTIES
from core.config.property_types import Property, value_from_text

PROPERTIES: tuple[Property, ...] = (*STORAGE_PROPERTIES, *KAFKA_PROPERTIES)

PROPERTY_BY_NAME: dict[str, Property] = {p.name: p for p in PROPERTIES}
ALIASES: dict[str, str] = {a: p.name for p in PROPERTIES for a in p.aliases}
assert len(PROPERTY_BY_NAME) == len(PROPERTIES), "duplicate property names"


def canonical_name(name: str) -> str:
    return ALIASES.get(name, name)


def lookup(name: str) -> Property | None:
    return PROPERTY_BY_NAME.get(canonical_name(name))


def parse_text(name: str, text: str | None) -> Any:
    """The typed value of property `name` given as text; unknown names stay text."""
    prop = lookup(name)
    if prop is None or text is None:
        return text
    return value_from_text(text, prop.type, nullable=prop.nullable, items_type=prop.items_type)
