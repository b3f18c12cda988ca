"""The registry's state in memory, rebuilt by applying `_schemas` records in offset order."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from core.schema_registry.records import decode

log = logging.getLogger("ailurus.schema_registry")

LEVELS = (
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
)
MODES = ("READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT")
OVERRIDE = "READONLY_OVERRIDE"
READ_ONLY = ("READONLY", OVERRIDE)
DEFAULT_LEVEL = "BACKWARD"
DEFAULT_MODE = "READWRITE"


@dataclass
class Version:
    subject: str
    version: int
    id: int
    schema_type: str
    schema: str
    references: list[dict]
    deleted: bool = False
    # Derived once (the fields above but `deleted` never change): the identity lookups compare,
    # and the JSON bodies the read endpoints answer (core.schema_registry.http).
    _identity: tuple | None = field(default=None, init=False, repr=False, compare=False)
    encoded: dict[str, bytes] = field(default_factory=dict, init=False, repr=False, compare=False)

    def refs_key(self) -> tuple:
        return tuple((r.get("name"), r.get("subject"), r.get("version")) for r in self.references)

    def identity(self) -> tuple:
        if self._identity is None:
            self._identity = (self.schema_type, self.schema, self.refs_key())
        return self._identity


@dataclass
class Store:
    subjects: dict[str, dict[int, Version]] = field(default_factory=dict)
    ids: dict[int, Version] = field(default_factory=dict)  # id -> one version holding it
    id_by_identity: dict[tuple, int] = field(default_factory=dict)
    config: dict[str | None, str] = field(default_factory=dict)
    mode: dict[str | None, str] = field(default_factory=dict)
    max_id: int = 0

    # -- applying records -------------------------------------------------------------------

    def apply(self, raw_key: bytes | None, raw_value: bytes | None) -> None:
        key, value = decode(raw_key), decode(raw_value)
        if not isinstance(key, dict) or value is ...:
            log.warning("skipping a _schemas record that is not Confluent JSON: %r", raw_key)
            return
        keytype = key.get("keytype")
        subject = key.get("subject")
        if keytype == "SCHEMA":
            self._apply_schema(subject, key.get("version"), value)
        elif keytype == "CONFIG":
            self._apply_setting(self.config, subject, value, "compatibilityLevel", LEVELS)
        elif keytype == "MODE":
            self._apply_setting(self.mode, subject, value, "mode", MODES)
        elif keytype == "DELETE_SUBJECT" and isinstance(value, dict) and isinstance(subject, str):
            upto = value.get("version")
            for v in self.subjects.get(subject, {}).values():
                if not isinstance(upto, int) or v.version <= upto:
                    v.deleted = True

    def _apply_setting(self, table: dict, subject, value, field_name: str, allowed) -> None:
        if value is None:
            table.pop(subject, None)
        elif isinstance(value, dict) and str(value.get(field_name)).upper() in allowed:
            table[subject] = str(value[field_name]).upper()

    def _apply_schema(self, subject, version, value) -> None:
        if not isinstance(subject, str) or not isinstance(version, int):
            return
        if value is None:
            versions = self.subjects.get(subject, {})
            old = versions.pop(version, None)
            if not versions:
                self.subjects.pop(subject, None)
            if old is not None:
                self._forget_id(old)
            return
        if not isinstance(value, dict) or not isinstance(value.get("id"), int):
            return
        entry = Version(
            subject=subject,
            version=version,
            id=value["id"],
            schema_type=str(value.get("schemaType") or "AVRO").upper(),
            schema=str(value.get("schema", "")),
            references=list(value.get("references") or []),
            deleted=bool(value.get("deleted", False)),
        )
        old = self.subjects.get(subject, {}).get(version)
        holder = self.ids.get(entry.id)
        if (old is not None and (old.id, old.identity()) != (entry.id, entry.identity())) or (
            holder is not None and holder.identity() != entry.identity()
        ):
            # First writer wins: a later record for a taken version or id lost a race between
            # two registry instances (its writer sees that, re-asserts the winner, retries).
            log.info("ignoring a conflicting _schemas record for %s version %s", subject, version)
            return
        self.subjects.setdefault(subject, {})[version] = entry
        if holder is None or holder.subject == subject and holder.version == version:
            self.ids[entry.id] = entry
        self.id_by_identity.setdefault(entry.identity(), entry.id)
        self.max_id = max(self.max_id, entry.id)

    def _forget_id(self, old: Version) -> None:
        holders = [v for v in self.all_versions() if v.id == old.id]
        if holders:
            self.ids[old.id] = holders[0]
        else:
            self.ids.pop(old.id, None)
            if self.id_by_identity.get(old.identity()) == old.id:
                del self.id_by_identity[old.identity()]

    # -- queries ----------------------------------------------------------------------------

    def all_versions(self):
        for versions in self.subjects.values():
            yield from versions.values()

    def versions(self, subject: str, deleted: bool = False) -> list[Version]:
        found = self.subjects.get(subject, {})
        return [found[n] for n in sorted(found) if deleted or not found[n].deleted]

    def level(self, subject: str | None) -> str:
        if subject is not None and subject in self.config:
            return self.config[subject]
        return self.config.get(None, DEFAULT_LEVEL)

    def effective_mode(self, subject: str | None) -> str:
        """The mode a subject is in: its own, else the global one; a global READONLY_OVERRIDE
        wins over subject modes (Confluent's getModeInScope)."""
        global_mode = self.mode.get(None, DEFAULT_MODE)
        if global_mode == OVERRIDE:
            return global_mode
        if subject is not None and subject in self.mode:
            return self.mode[subject]
        return global_mode

    def subject_mode(self, subject: str) -> str | None:
        """The subject's own mode, or the global READONLY_OVERRIDE; None when neither is set."""
        global_mode = self.mode.get(None)
        return global_mode if global_mode == OVERRIDE else self.mode.get(subject)

    def referenced_by(self, subject: str, version: int) -> list[int]:
        return sorted(
            {
                v.id
                for v in self.all_versions()
                if not v.deleted
                and any(
                    r.get("subject") == subject and r.get("version") == version
                    for r in v.references
                )
            }
        )
