"""A small read/register API over this process's Registry, for the HTTP proxy's embedded
formats (avro, jsonschema, protobuf). Published in core.common.local_services under
("schema_registry", <the broker's Kafka bootstrap>) while the registry listener runs; its
answers are plain data (dicts, ints) so that its users need not import this package."""

from __future__ import annotations

from typing import Any

from core.common import local_services
from core.schema_registry import errors
from core.schema_registry.service import Registry
from core.schema_registry.types import Dep

KIND = "schema_registry"


def _dep_texts(deps: tuple[Dep, ...], seen: set, out: list[str]) -> list[str]:
    """Referenced schema texts, each after its own references (the order to parse them)."""
    for dep in deps:
        if dep.key in seen:
            continue
        seen.add(dep.key)
        _dep_texts(dep.deps, seen, out)
        out.append(dep.text)
    return out


class LocalRegistryApi:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def schema_by_id(self, schema_id: int) -> dict[str, Any] | None:
        """{"id", "schemaType", "schema", "dep_texts", "descriptor_set", "main_file"}; None
        when no schema has that id. PROTOBUF schemas carry their compiled FileDescriptorSet
        (serialized) and the name of their own file in it."""
        reg = self._registry
        store = await reg.ready()
        version = store.ids.get(schema_id)
        if version is None:
            await reg.log.catch_up()
            version = store.ids.get(schema_id)
        if version is None:
            return None
        info: dict[str, Any] = {
            "id": schema_id,
            "schemaType": version.schema_type,
            "schema": version.schema,
            "dep_texts": _dep_texts(reg.deps(version.references), set(), []),
            "descriptor_set": None,
            "main_file": None,
        }
        if version.schema_type == "PROTOBUF":
            main, fds = (await reg.parsed_version(version)).obj
            info["descriptor_set"] = fds.SerializeToString()
            info["main_file"] = main.name
        return info

    async def register(self, subject: str, schema_type: str, text: str) -> int:
        """The id of `text` under `subject`, registering it when new; raises RegistryError
        (error_code, message) when it is invalid or incompatible."""
        body = {"schema": text, "schemaType": schema_type}
        return await self._registry.register(subject, body, normalize=False)


def attach(broker_key: str, registry: Registry) -> LocalRegistryApi:
    api = LocalRegistryApi(registry)
    local_services.publish(KIND, broker_key, api)
    return api


def detach(broker_key: str, api: LocalRegistryApi) -> None:
    local_services.withdraw(KIND, broker_key, api)


__all__ = ["KIND", "LocalRegistryApi", "attach", "detach", "errors"]
