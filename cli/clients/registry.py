"""A Schema Registry client (httpx) for `rpk registry`: hosts from the profile's
`schema_registry.addresses` / `-X registry.hosts` (default 127.0.0.1:8081), tried in turn."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from cli.errors import CliError, ConnectionFailed

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
TIMEOUT_S = 10.0


class RegistryError(CliError):
    """The registry answered with an error body `{"error_code", "message"}`."""

    def __init__(self, status: int, error_code: int, message: str) -> None:
        super().__init__(f"{message} (error code {error_code})")
        self.status = status
        self.error_code = error_code
        self.message = message


@dataclass
class RegistryClient:
    urls: list[str]
    timeout_s: float = TIMEOUT_S

    def __post_init__(self) -> None:
        self.urls = [u.rstrip("/") if "://" in u else f"http://{u.rstrip('/')}" for u in self.urls]
        if not self.urls:
            self.urls = ["http://127.0.0.1:8081"]

    def request(self, method: str, path: str, *, json: Any = None, params=None) -> Any:
        failures = []
        headers = {"Accept": CONTENT_TYPE, "Content-Type": CONTENT_TYPE}
        with httpx.Client(timeout=self.timeout_s, headers=headers) as client:
            for base in self.urls:
                try:
                    resp = client.request(method, base + path, json=json, params=params)
                except httpx.HTTPError as exc:
                    failures.append(f"{base}: {exc or type(exc).__name__}")
                    continue
                return _checked(resp)
        raise ConnectionFailed(f"unable to reach the schema registry ({'; '.join(failures)})")

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=_params(params))

    # -- the calls rpk makes --------------------------------------------------------------

    def subjects(self, deleted: bool = False) -> list[str]:
        return self.get("/subjects", deleted=deleted)

    def versions(self, subject: str, deleted: bool = False) -> list[int]:
        return self.get(f"/subjects/{_q(subject)}/versions", deleted=deleted)

    def version(self, subject: str, version: str, deleted: bool = False) -> dict:
        return self.get(f"/subjects/{_q(subject)}/versions/{version}", deleted=deleted)

    def register(self, subject: str, schema: dict) -> int:
        return self.request("POST", f"/subjects/{_q(subject)}/versions", json=schema)["id"]

    def lookup(self, subject: str, schema: dict, deleted: bool = False) -> dict:
        params = _params({"deleted": deleted})
        return self.request("POST", f"/subjects/{_q(subject)}", json=schema, params=params)

    def usages(self, schema_id: int, deleted: bool = False) -> list[dict]:
        return self.get(f"/schemas/ids/{schema_id}/versions", deleted=deleted)

    def referenced_by(self, subject: str, version: str) -> list[int]:
        return self.get(f"/subjects/{_q(subject)}/versions/{version}/referencedby")

    def delete_version(self, subject: str, version: str, permanent: bool) -> Any:
        params = _params({"permanent": permanent})
        return self.request("DELETE", f"/subjects/{_q(subject)}/versions/{version}", params=params)

    def delete_subject(self, subject: str, permanent: bool) -> list[int]:
        params = _params({"permanent": permanent})
        return self.request("DELETE", f"/subjects/{_q(subject)}", params=params)

    def check(self, subject: str, version: str, schema: dict) -> dict:
        path = f"/compatibility/subjects/{_q(subject)}/versions/{version}"
        return self.request("POST", path, json=schema, params={"verbose": "true"})

    def compatibility(self, subject: str | None) -> str:
        if subject is None:
            return self.get("/config")["compatibilityLevel"]
        return self.get(f"/config/{_q(subject)}", defaultToGlobal=True)["compatibilityLevel"]

    def set_compatibility(self, subject: str | None, level: str) -> str:
        path = "/config" if subject is None else f"/config/{_q(subject)}"
        return self.request("PUT", path, json={"compatibility": level})["compatibility"]

    def mode(self, subject: str | None) -> str:
        if subject is None:
            return self.get("/mode")["mode"]
        return self.get(f"/mode/{_q(subject)}", defaultToGlobal=True)["mode"]

    def set_mode(self, subject: str | None, mode: str) -> str:
        path = "/mode" if subject is None else f"/mode/{_q(subject)}"
        return self.request("PUT", path, json={"mode": mode})["mode"]

    def reset_mode(self, subject: str) -> str:
        return self.request("DELETE", f"/mode/{_q(subject)}")["mode"]


def _q(subject: str) -> str:
    return httpx.URL("/" + subject).raw_path.decode()[1:].replace("/", "%2F")


def _params(params: dict[str, Any]) -> dict[str, str]:
    return {
        k: ("true" if v is True else str(v)) for k, v in params.items() if v not in (None, False)
    }


def _checked(resp: httpx.Response) -> Any:
    try:
        body = resp.json()
    except ValueError:
        body = resp.text
    if resp.status_code < 400:
        return body
    if isinstance(body, dict) and "message" in body:
        code = body.get("error_code", resp.status_code)
        raise RegistryError(resp.status_code, int(code), str(body["message"]))
    raise RegistryError(
        resp.status_code, resp.status_code, f"{resp.status_code} {resp.reason_phrase}"
    )
