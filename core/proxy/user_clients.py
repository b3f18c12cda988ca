"""Kafka clients per authenticated user: with `authentication_method: http_basic` and SASL
credentials in `pandaproxy_client`, the proxy does its Kafka work as the user who sent the
request, as Redpanda's pandaproxy does, so the broker authorizes every request for that user's
principal (and sees it as the group member, the producer, the reader).

Each user gets a KafkaSide (metadata client, one producer, a reader) authenticated with the
user's own credentials from the request's Basic header, over pandaproxy_client's mechanism and
TLS settings. The pool is bounded (`pandaproxy.client_cache_max_size`, Redpanda's name,
default 10) and a user's clients are closed once idle for `pandaproxy.client_keep_alive` ms
(default 300,000): a full pool evicts its least recently used idle entry; when every entry is
busy the request is answered 50003 (retriable). Entries are keyed by the user and a hash of the
password, so a changed password gets new clients and the old ones age out."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from dataclasses import dataclass, field, replace

from core.proxy.errors import KAFKA_RETRIABLE, ProxyError
from core.proxy.kafka import ClientSettings, KafkaSide

log = logging.getLogger(__name__)

DEFAULT_MAX_USERS = 10
DEFAULT_KEEP_ALIVE_MS = 300_000


@dataclass(eq=False)
class _Entry:
    side: KafkaSide
    in_use: int = 0
    last_used: float = field(default_factory=time.monotonic)


class UserClients:
    def __init__(
        self,
        settings: ClientSettings,
        max_users: int = DEFAULT_MAX_USERS,
        keep_alive_ms: int = DEFAULT_KEEP_ALIVE_MS,
    ) -> None:
        self._settings = settings
        self.max_users = max(1, max_users)
        self.keep_alive_ms = max(1, keep_alive_ms)
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        """Only when the proxy's own clients use SASL: users then have credentials to use."""
        return self._settings.auth.mechanism is not None

    def settings_for(self, user: str, password: str) -> ClientSettings:
        auth = replace(self._settings.auth, username=user, password=password)
        return replace(self._settings, auth=auth, producers=1)

    def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_loop(), name="pandaproxy-user-clients")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        entries, self._entries = list(self._entries.values()), {}
        await asyncio.gather(*(e.side.stop() for e in entries), return_exceptions=True)

    def __len__(self) -> int:
        return len(self._entries)

    async def acquire(self, user: str, password: str) -> KafkaSide:
        """The user's started clients (connecting them on first use), held until release()."""
        key = (user, hashlib.sha256(password.encode()).hexdigest())
        entry = self._entries.get(key)
        if entry is None:
            evicted = self._evict_for_room()  # no await between the check and the insert
            entry = self._entries[key] = _Entry(KafkaSide(self.settings_for(user, password)))
            if evicted is not None:
                await self._close(user_of=evicted[0], entry=evicted[1])
        entry.in_use += 1
        entry.last_used = time.monotonic()
        try:
            await entry.side.ensure_started()
        except BaseException:
            self.release(entry.side)
            raise
        return entry.side

    def release(self, side: KafkaSide) -> None:
        for entry in self._entries.values():
            if entry.side is side:
                entry.in_use -= 1
                entry.last_used = time.monotonic()
                return

    def _evict_for_room(self) -> tuple[str, _Entry] | None:
        """Take the least recently used idle entry out when the pool is full (its user and
        entry, to close); 50003 when every entry is busy."""
        if len(self._entries) < self.max_users:
            return None
        idle = [(e.last_used, k) for k, e in self._entries.items() if e.in_use == 0]
        if not idle:
            raise ProxyError(
                KAFKA_RETRIABLE,
                f"all {self.max_users} per-user Kafka clients are busy "
                "(pandaproxy.client_cache_max_size); retry",
            )
        _, key = min(idle)
        return key[0], self._entries.pop(key)

    async def _close(self, user_of: str, entry: _Entry) -> None:
        log.info("pandaproxy: closing the Kafka clients of user %r", user_of)
        await entry.side.stop()

    async def _sweep_loop(self) -> None:
        period_s = max(0.1, min(5.0, self.keep_alive_ms / 4000))
        while True:
            await asyncio.sleep(period_s)
            await self.expire_idle()

    async def expire_idle(self) -> None:
        limit = time.monotonic() - self.keep_alive_ms / 1000
        for key, entry in list(self._entries.items()):
            if entry.in_use == 0 and entry.last_used < limit and self._entries.get(key) is entry:
                del self._entries[key]
                await self._close(key[0], entry)
