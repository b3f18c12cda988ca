"""How the proxy reaches the Schema Registry for the avro, jsonschema and protobuf formats.

In process first: when this broker also serves the registry, its listener publishes a small
API (core.schema_registry.client_api) in core.common.local_services under this broker's Kafka
bootstrap, and the proxy calls it directly (looked up per call: the registry listener starts
after the proxy's). Otherwise over HTTP (httpx) to `pandaproxy_client.schema_registry_url`
(or `schema_registry_client.url`); over HTTP, Protobuf needs schemas the proxy can compile
and is refused (40801). Codecs are cached per schema id, registrations per (subject, text)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import httpx

from core.common import local_services
from core.proxy.codecs import Codec, CodecError, build_codec
from core.proxy.errors import SERIALIZATION, ProxyError
from core.proxy.formats import schema_ids

LOCAL_KIND = "schema_registry"
CACHE_ENTRIES = 1024
HTTP_TIMEOUT_S = 10.0


class _Lru(OrderedDict):
    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > CACHE_ENTRIES:
            self.popitem(last=False)


class RegistryClient:
    def __init__(self, broker_key: str, url: str | None) -> None:
        self._broker_key = broker_key
        self._url = url.rstrip("/") if url else None
        self._http: httpx.AsyncClient | None = None
        self._codecs: _Lru = _Lru()
        self._ids: _Lru = _Lru()

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    def _local(self) -> Any | None:
        return local_services.lookup(LOCAL_KIND, self._broker_key)

    def _client(self) -> httpx.AsyncClient:
        if self._url is None:
            raise ProxyError(SERIALIZATION, "no Schema Registry: none runs in this broker and "
                             "pandaproxy_client.schema_registry_url is not set")  # fmt: skip
        if self._http is None:
            self._http = httpx.AsyncClient(base_url=self._url, timeout=HTTP_TIMEOUT_S)
        return self._http

    async def _http_json(self, method: str, path: str, body: Any = None) -> Any:
        try:
            response = await self._client().request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise ProxyError(SERIALIZATION, f"Schema Registry unreachable: {exc}") from None
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code != 200:
            message = data.get("message") if isinstance(data, dict) else None
            raise ProxyError(SERIALIZATION, f"Schema Registry: {message or response.status_code}")
        return data

    async def _fetch(self, schema_id: int) -> dict[str, Any]:
        local = self._local()
        if local is not None:
            info = await local.schema_by_id(schema_id)
            if info is None:
                raise ProxyError(SERIALIZATION, f"Schema {schema_id} not found")
            return info
        data = await self._http_json("GET", f"/schemas/ids/{schema_id}")
        deps = []
        for ref in data.get("references") or []:
            dep = await self._http_json(
                "GET", f"/subjects/{ref['subject']}/versions/{ref['version']}"
            )
            deps.append(dep["schema"])
        kind = data.get("schemaType") or "AVRO"
        return {"id": schema_id, "schemaType": kind, "schema": data["schema"], "dep_texts": deps}

    async def codec(self, schema_id: int) -> tuple[str, Codec]:
        """(schema type, codec) of a schema id; 40801 when unknown or unusable."""
        hit = self._codecs.get(schema_id)
        if hit is not None:
            return hit
        info = await self._fetch(schema_id)
        try:
            found = (info["schemaType"], build_codec(info))
        except CodecError as exc:
            raise ProxyError(SERIALIZATION, str(exc)) from None
        self._codecs.put(schema_id, found)
        return found

    async def codecs_for(self, records: list[Any]) -> dict[int, Codec]:
        """The codecs of the schema ids the records name; ids the registry does not know are
        left out (those records then fail to render with 40801)."""
        codecs: dict[int, Codec] = {}
        for schema_id in schema_ids(records):
            try:
                codecs[schema_id] = (await self.codec(schema_id))[1]
            except ProxyError:
                continue
        return codecs

    async def register(self, subject: str, schema_type: str, text: str) -> int:
        """The id of the schema under `subject`, registered when new; 40801 when refused."""
        key = (subject, schema_type, text)
        hit = self._ids.get(key)
        if hit is not None:
            return hit
        local = self._local()
        if local is not None:
            try:
                schema_id = await local.register(subject, schema_type, text)
            except Exception as exc:  # the registry's RegistryError: invalid or incompatible
                code = getattr(exc, "error_code", None)
                raise ProxyError(
                    SERIALIZATION, f"Schema registration failed ({code}): {exc}"
                ) from None
        else:
            body = {"schema": text, "schemaType": schema_type}
            data = await self._http_json("POST", f"/subjects/{subject}/versions", body)
            schema_id = data["id"]
        self._ids.put(key, schema_id)
        return schema_id
