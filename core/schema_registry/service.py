"""The registry's operations over the Store, writing through the `_schemas` log."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.schema_registry import errors, records
from core.schema_registry.compat import check_pair, is_transitive
from core.schema_registry.log import SchemasLog
from core.schema_registry.store import LEVELS, MODES, READ_ONLY, Store, Version
from core.schema_registry.types import Dep, Parsed, SchemaError, parse
from core.security.client_auth import ClientAuth

MAX_VERSION = 2**31 - 1
WRITE_ATTEMPTS = 50  # bounded by WRITE_RETRY_BUDGET_S too
WRITE_RETRY_BUDGET_S = 5.0
COLLISION_BACKOFF_MS = 20  # times the attempt number, jittered
PARSE_CACHE_SIZE = 1024

log = logging.getLogger("ailurus.schema_registry")


@dataclass(frozen=True)
class Candidate:
    schema_type: str
    text: str
    references: list[dict]


def parse_candidate(body: object) -> Candidate:
    if not isinstance(body, dict):
        raise errors.RegistryError(42201, "Invalid schema: the body must be a JSON object")
    text = body.get("schema")
    if not isinstance(text, str) or not text.strip():
        raise errors.RegistryError(42201, "Empty schema")
    schema_type = body.get("schemaType") or "AVRO"
    if not isinstance(schema_type, str) or schema_type.upper() not in ("AVRO", "JSON", "PROTOBUF"):
        raise errors.RegistryError(42201, f"Invalid schema type {schema_type!r}")
    refs = body.get("references") or []
    if not isinstance(refs, list) or not all(_valid_ref(r) for r in refs):
        raise errors.RegistryError(
            42201, "Invalid schema: references must be objects with name, subject and version"
        )
    clean = [{"name": r["name"], "subject": r["subject"], "version": r["version"]} for r in refs]
    return Candidate(schema_type.upper(), text, clean)


def _valid_ref(ref: object) -> bool:
    return (
        isinstance(ref, dict)
        and isinstance(ref.get("name"), str)
        and isinstance(ref.get("subject"), str)
        and isinstance(ref.get("version"), int)
        and not isinstance(ref.get("version"), bool)
    )


def parse_version(text: str) -> int | None:
    """None for latest; raises 42202 for anything but 1..2^31-1, 'latest' or -1."""
    if text in ("latest", "-1"):
        return None
    try:
        number = int(text)
    except ValueError:
        raise errors.invalid_version(text) from None
    if not 1 <= number <= MAX_VERSION:
        raise errors.invalid_version(text)
    return number


def mode_mutability(section: object) -> bool:
    """`schema_registry.mode_mutability` of redpanda.yaml (true unless set false, as Redpanda)."""
    value = section.get("mode_mutability", True) if isinstance(section, dict) else True
    return not (value is False or str(value).strip().lower() == "false")


class Registry:
    def __init__(
        self,
        bootstrap: str,
        replication_factor: int = 1,
        auth: ClientAuth = ClientAuth(),
        mode_mutable: bool = True,
        always_normalize: Callable[[], bool] = lambda: False,
    ) -> None:
        self.mode_mutable = mode_mutable
        self.always_normalize = always_normalize  # schema_registry_always_normalize, live
        self.store = Store()
        self.log = SchemasLog(bootstrap, self.store.apply, replication_factor, auth)
        self._write_lock = asyncio.Lock()
        self._parsed: dict[tuple, Parsed] = {}

    async def ready(self) -> Store:
        await self.log.ensure_started()
        return self.store

    # -- lookups ----------------------------------------------------------------------------

    def get_version(self, subject: str, version_text: str, deleted: bool = False) -> Version:
        number = parse_version(version_text)
        all_versions = self.store.versions(subject, deleted=True)
        if not all_versions:
            raise errors.subject_not_found(subject)
        visible = [v for v in all_versions if deleted or not v.deleted]
        if number is None:
            if not visible:
                raise errors.subject_not_found(subject)
            return visible[-1]
        for v in visible:
            if v.version == number:
                return v
        raise errors.version_not_found(number)

    def deps(self, references: list[dict], depth: int = 0) -> tuple[Dep, ...]:
        if depth > 32:
            raise errors.invalid_schema("references nested more than 32 deep")
        found = []
        for ref in references:
            version = self.store.subjects.get(ref["subject"], {}).get(ref["version"])
            if version is None:
                raise errors.invalid_schema(
                    f"reference '{ref['name']}' to subject '{ref['subject']}' version "
                    f"{ref['version']} not found"
                )
            found.append(
                Dep(
                    ref["name"],
                    (version.subject, version.version),
                    version.schema,
                    self.deps(version.references, depth + 1),
                )
            )
        return tuple(found)

    async def parsed(
        self, schema_type: str, text: str, references: list[dict], normalize: bool = False
    ) -> Parsed:
        """Parsed off the event loop (protoc runs as a process), then cached."""
        normalize = normalize or self.always_normalize()
        key = (schema_type, text, tuple(tuple(r.values()) for r in references), normalize)
        hit = self._parsed.get(key)
        if hit is not None:
            return hit
        try:
            deps = self.deps(references)
            result = await asyncio.to_thread(parse, schema_type, text, deps, normalize)
        except SchemaError as exc:
            raise errors.invalid_schema(str(exc)) from None
        if len(self._parsed) >= PARSE_CACHE_SIZE:
            self._parsed.pop(next(iter(self._parsed)))
        self._parsed[key] = result
        return result

    async def parsed_version(self, version: Version) -> Parsed:
        return await self.parsed(version.schema_type, version.schema, version.references)

    async def find_in_subject(
        self, subject: str, candidate: Candidate, normalize: bool, deleted: bool
    ) -> tuple[Version | None, Parsed]:
        new = await self.parsed(
            candidate.schema_type, candidate.text, candidate.references, normalize
        )
        identity = (new.schema_type, new.text, _refs_key(candidate.references))
        for version in reversed(self.store.versions(subject, deleted=deleted)):
            if version.identity() == identity:
                return version, new
        if normalize or self.always_normalize():  # versions registered without it match
            for version in reversed(self.store.versions(subject, deleted=deleted)):
                again = await self.parsed(
                    version.schema_type, version.schema, version.references, True
                )
                if (again.text, version.refs_key()) == (new.text, identity[2]):
                    return version, new
        return None, new

    # -- compatibility ----------------------------------------------------------------------

    async def incompatibilities(
        self, subject: str, new: Parsed, against: list[Version], level: str
    ):
        messages: list[str] = []
        for old in against:
            messages += check_pair(level, new, await self.parsed_version(old), old.version)
        return messages

    def versions_to_check(self, subject: str, level: str) -> list[Version]:
        live = self.store.versions(subject)
        if level == "NONE" or not live:
            return []
        return live if is_transitive(level) else live[-1:]

    # -- writes -----------------------------------------------------------------------------

    async def register(self, subject: str, body: dict, normalize: bool) -> int:
        candidate = parse_candidate(body)
        await self.ready()
        async with self._write_lock:
            deadline = asyncio.get_running_loop().time() + WRITE_RETRY_BUDGET_S
            for attempt in range(1, WRITE_ATTEMPTS + 1):
                await self.log.catch_up()
                schema_id, written = await self._register_locked(
                    subject, body, candidate, normalize
                )
                if written is None or self._won(subject, schema_id, *written):
                    return schema_id
                # Another registry instance took the same version or id between our catch-up
                # and our write; the first record in the topic won. Write the winner again so
                # that compaction keeps it rather than ours, then try again on the new state.
                log.info("registration in %s collided with another writer; retrying", subject)
                await self._reassert(subject, written[0])
                if asyncio.get_running_loop().time() > deadline:
                    break
                backoff_ms = COLLISION_BACKOFF_MS * min(attempt, 10)
                await asyncio.sleep(random.uniform(0, backoff_ms) / 1000)
        raise errors.RegistryError(50001, "Error in the backend data store: write collision")

    async def _reassert(self, subject: str, version: int) -> None:
        winner = self.store.subjects.get(subject, {}).get(version)
        if winner is not None:
            value = records.schema_value(
                subject, version, winner.id, winner.schema_type, winner.schema,
                winner.references, winner.deleted,
            )  # fmt: skip
            await self.log.write([(records.schema_key(subject, version), value)])

    def _won(self, subject: str, schema_id: int, version: int, identity: tuple) -> bool:
        """Did our record for (subject, version) survive, holding `schema_id` alone?"""
        mine = self.store.subjects.get(subject, {}).get(version)
        if mine is None or mine.id != schema_id or mine.identity() != identity:
            return False
        return all(v.identity() == identity for v in self.store.all_versions() if v.id == schema_id)

    async def _register_locked(
        self, subject, body, candidate: Candidate, normalize
    ) -> tuple[int, tuple[int, tuple] | None]:
        """(id, (version, identity) written, or None when nothing was written)."""
        store = self.store
        mode = store.effective_mode(subject)
        if mode in READ_ONLY:
            raise errors.not_permitted(f"Subject {subject} is in read-only mode")
        wanted_id, wanted_version = body.get("id"), body.get("version")
        for name, value in (("id", wanted_id), ("version", wanted_version)):
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or value < 1
            ):
                raise errors.RegistryError(
                    42201, f"Invalid schema: {name} must be a positive integer"
                )
        if wanted_id is not None and mode != "IMPORT":
            raise errors.not_permitted(
                f"Subject {subject} is not in import mode; an id can be given only in IMPORT mode"
            )
        existing, new = await self.find_in_subject(subject, candidate, normalize, deleted=False)
        if existing is not None and (wanted_id is None or wanted_id == existing.id):
            return existing.id, None
        identity = (new.schema_type, new.text, _refs_key(candidate.references))
        schema_id = store.id_by_identity.get(identity)
        if mode == "IMPORT":
            if wanted_id is not None and schema_id is not None and schema_id != wanted_id:
                raise errors.RegistryError(
                    42207,
                    f"Schema already registered with id {schema_id} instead of input id {wanted_id}",
                )
            if wanted_id is not None:
                holder = store.ids.get(wanted_id)
                if holder is not None and holder.identity() != identity:
                    raise errors.RegistryError(
                        42207, f"Overwrite new schema with id {wanted_id} is not permitted."
                    )
                schema_id = wanted_id
        else:
            level = store.level(subject)
            messages = await self.incompatibilities(
                subject, new, self.versions_to_check(subject, level), level
            )
            if messages:
                raise errors.RegistryError(
                    409,
                    "Schema being registered is incompatible with an earlier schema for subject "
                    f'"{subject}", details: {messages}',
                )
        if schema_id is None:
            schema_id = store.max_id + 1
        all_versions = store.versions(subject, deleted=True)
        version = (
            wanted_version
            if mode == "IMPORT" and wanted_version
            else (all_versions[-1].version + 1 if all_versions else 1)
        )
        value = records.schema_value(
            subject, version, schema_id, new.schema_type, new.text, candidate.references, False
        )
        await self.log.write([(records.schema_key(subject, version), value)])
        return schema_id, (version, identity)

    async def write(self, pairs: Sequence[tuple[bytes, bytes | None]]) -> None:
        await self.ready()
        await self.log.write(pairs)

    async def locked(self):
        await self.ready()
        await self._write_lock.acquire()
        try:
            await self.log.catch_up()
        except BaseException:
            self._write_lock.release()
            raise
        return self._write_lock

    def set_level(self, level: object) -> str:
        if not isinstance(level, str) or level.upper() not in LEVELS:
            raise errors.invalid_level(level)
        return level.upper()

    def check_mode_mutability(self, force: bool) -> None:
        """With `mode_mutability: false`, modes change only with ?force=true (Redpanda)."""
        if not self.mode_mutable and not force:
            raise errors.not_permitted("Mode changes are not allowed")

    def set_mode(self, mode: object) -> str:
        if not isinstance(mode, str) or mode.upper() not in MODES:
            raise errors.invalid_mode(mode)
        return mode.upper()


def _refs_key(references: list[dict]) -> tuple:
    return tuple((r.get("name"), r.get("subject"), r.get("version")) for r in references)
