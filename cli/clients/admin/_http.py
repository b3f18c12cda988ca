"""HTTP plumbing of the Admin API client: send-to-any with failover, errors as CliError.

Like rpadmin's sendAny: hosts are tried in random order; a connection failure moves on to the
next host at once, a 503/504 after a short pause. Each host is tried at most once per request.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from cli.clients.dial import go_text, split_host_port
from cli.errors import CliError, ConnectionFailed

DEFAULT_ADMIN_URL = "http://127.0.0.1:9644"
RETRY_PAUSE_S = 1.5
_RETRYABLE_STATUS = (503, 504)


class AdminApiError(CliError):
    """The Admin API answered with an error status; `body` is its decoded JSON, if any."""

    def __init__(self, method: str, url: str, status: int, message: str, body: Any = None) -> None:
        super().__init__(f"{method} {url}: {status} {message}")
        self.status = status
        self.message = message
        self.body = body


@dataclass
class AdminClient:
    urls: list[str]
    auth: tuple[str, str] | None = None
    timeout_s: float = 10.0
    retry_pause_s: float = RETRY_PAUSE_S
    transport: httpx.BaseTransport | None = field(default=None, repr=False)
    verify: Any = field(default=True, repr=False)  # an ssl.SSLContext from admin.tls.*

    def __post_init__(self) -> None:
        assert self.urls, "need at least one admin URL"
        self.urls = [u.rstrip("/") if "://" in u else f"http://{u.rstrip('/')}" for u in self.urls]

    def _client(self) -> httpx.Client:
        return httpx.Client(
            auth=self.auth, timeout=self.timeout_s, transport=self.transport, verify=self.verify
        )

    def send_any(
        self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None
    ) -> httpx.Response:
        """Send to one host after another until one answers without a retryable status."""
        hosts = random.sample(self.urls, len(self.urls))
        failures: list[str] = []
        with self._client() as client:
            for i, base in enumerate(hosts):
                try:
                    resp = client.request(method, base + path, json=json, params=params)
                except httpx.HTTPError as exc:
                    failures.append(_go_http_error(method, base + path, exc))
                    continue
                if resp.status_code in _RETRYABLE_STATUS and i < len(hosts) - 1:
                    failures.append(f"{base}: {resp.status_code}")
                    time.sleep(self.retry_pause_s)
                    continue
                return _checked(method, resp)
        raise ConnectionFailed(f"unable to reach the Admin API: {'; '.join(failures)}")

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.send_any("GET", path, params=params).json()


def _go_http_error(method: str, url: str, exc: httpx.HTTPError) -> str:
    """Go's net/http wording: `Get "http://h:p/v1/x": dial tcp h:p: connect: connection refused`."""
    prefix = f'{method.capitalize()} "{url}"'
    if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
        return (
            f"{prefix}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
        )
    host, port = split_host_port(url.split("/", 3)[2] if "://" in url else url, 9644)
    if isinstance(exc, httpx.ConnectTimeout):
        return f"{prefix}: dial tcp {host}:{port}: i/o timeout"
    if isinstance(exc, httpx.ConnectError):
        return f"{prefix}: {go_text(host, port, exc)}"
    return f"{prefix}: {str(exc) or 'request failed'}"


def _checked(method: str, resp: httpx.Response) -> httpx.Response:
    if resp.status_code < 400:
        return resp
    body: Any = None
    message = resp.reason_phrase
    try:
        body = resp.json()
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            message = body["message"]
    except ValueError:
        message = resp.text.strip()[:200] or message
    raise AdminApiError(method, str(resp.request.url), resp.status_code, message, body)


def query_flag(value: bool) -> str:
    return "true" if value else "false"
