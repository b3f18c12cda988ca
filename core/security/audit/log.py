"""The audit log of one broker (Redpanda's audit_log_manager): what is audited, the queue, the
drain loop.

`audit_enabled` is live. Enabled: the topic is created (writer.py), an application lifecycle
start event is written directly (as Redpanda's audit_sink does, past the queue and the
filters), then every `audit_queue_drain_interval_ms` the queued events are written, off the
request path: a request only builds its event and puts it in the queue (queue.py). Disabled: a
lifecycle stop event, the queue drained, then nothing is recorded.

An event is recorded when its kind is in `audit_enabled_event_types` and its principal is not
in `audit_excluded_principals` (name or User:name), nor, for a topic, the topic in
`audit_excluded_topics`. When the queue has no room for it, the `record_*` methods answer False
and the caller fails what it audits, as Redpanda does: the Kafka authorization is denied, the
SASL login fails, the Admin API request answers 503. With `audit_failure_policy` permit (newer
Redpanda; default reject) the event is dropped instead and the operation goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from core.security.audit import ocsf
from core.security.audit.queue import AuditQueue
from core.security.audit.writer import AUDIT_TOPIC, AuditWriter

log = logging.getLogger("ailurus.audit")

DEFAULTS: dict[str, Any] = {
    "audit_enabled": False,
    "audit_enabled_event_types": ["management", "authenticate", "admin"],
    "audit_excluded_topics": [],
    "audit_excluded_principals": [],
    "audit_queue_drain_interval_ms": 500,
    "audit_queue_max_buffer_size_per_shard": 1_048_576,
    "audit_client_max_buffer_size": 16_777_216,
    "audit_log_num_partitions": 12,
    "audit_log_replication_factor": None,
    "audit_failure_policy": "reject",
}
WATCHED = frozenset(DEFAULTS)
RETRY_S = 0.25
SHUTDOWN_FLUSH_S = 3.0
SERIALIZE_SLICE = 256  # events serialized between two yields to the event loop


class _Settings:
    """The audit properties, read once per change."""

    def __init__(self, get: Callable[[str], Any]) -> None:
        self.enabled = bool(get("audit_enabled"))
        self.event_types = frozenset(get("audit_enabled_event_types") or ())
        self.excluded_topics = frozenset(get("audit_excluded_topics") or ())
        self.excluded_users = frozenset(
            p.removeprefix("User:") for p in get("audit_excluded_principals") or ()
        )
        self.drain_interval_s = int(get("audit_queue_drain_interval_ms")) / 1000
        self.permit_unaudited = get("audit_failure_policy") == "permit"


class AuditLog:
    def __init__(
        self,
        node_id: int,
        version: str,
        config_get: Callable[[str], Any],
        writer: AuditWriter,
        kafka_address: tuple[str, int],
        is_superuser: Callable[[str], bool] = lambda _principal: False,
    ) -> None:
        self.node_id = node_id
        self.version = version
        self._config_get = config_get
        self.writer = writer
        self.kafka_address = kafka_address
        self.is_superuser = is_superuser
        self.settings = _Settings(self.get)
        self.queue = AuditQueue(int(self.get("audit_queue_max_buffer_size_per_shard")))
        self.effective = False  # the topic exists and the drain loop runs
        self._toggle: asyncio.Task | None = None
        self._drainer: asyncio.Task | None = None
        self._wake = asyncio.Event()

    def get(self, name: str) -> Any:
        """A property, or Redpanda's default while the property table lacks it."""
        try:
            return self._config_get(name)
        except KeyError:
            return DEFAULTS[name]

    # ---- what is audited ---------------------------------------------------------------------
    def _audits(self, kind: str, principal: str | None) -> bool:
        s = self.settings
        if not s.enabled or kind not in s.event_types:
            return False
        return principal is None or principal.removeprefix("User:") not in s.excluded_users

    def record_authorization(self, authz: ocsf.Authorization) -> bool:
        """Record a Kafka authorization decision; False: it could not be queued."""
        api = ocsf.KAFKA_APIS.get(authz.api_key)
        if api is None or not self._audits(api[1], authz.principal):
            return True
        if (
            authz.resource_type == "TOPIC"
            and authz.resource_name in self.settings.excluded_topics
            and authz.resource_name != AUDIT_TOPIC
        ):
            return True
        return self._push(ocsf.kafka_api_activity(authz, self.node_id, self.version))

    def record_login(self, login: ocsf.Login) -> bool:
        """Record a SASL login (success or failure); False: it could not be queued."""
        if not self._audits("authenticate", login.user):
            return True
        return self._push(ocsf.authentication(login, self.node_id, self.version))

    def record_http(self, call: ocsf.HttpCall) -> bool:
        """Record an Admin API request; False: it could not be queued."""
        if not self._audits("admin", call.user):
            return True
        return self._push(ocsf.http_api_activity(call, self.node_id, self.version))

    def admits_http(self, call: ocsf.HttpCall) -> bool:
        """Whether the Admin API request may run: its event fits the queue now (or
        audit_failure_policy permits requests that cannot be audited)."""
        if not self._audits("admin", call.user) or self.settings.permit_unaudited:
            return True
        return self.queue.fits(ocsf.http_api_activity(call, self.node_id, self.version))

    def _push(self, event: ocsf.Event) -> bool:
        if self.queue.push(event):
            return True
        permit = self.settings.permit_unaudited
        log.error(
            "audit event %s: the queue holds %d of %d bytes",
            "dropped (audit_failure_policy permit)" if permit else "not queued",
            self.queue.used_bytes,
            self.queue.max_bytes,
        )
        return permit

    # ---- Kafka hooks (core.server.context, core.security.sasl) -------------------------------
    def authorized(
        self, ctx: Any, operation: str, resource_type: str, name: str, allowed: bool
    ) -> bool:
        """The decision of a Kafka request's authorization, audited: False when not queued."""
        if not self.settings.enabled or ctx.api_key not in ocsf.KAFKA_APIS:
            return allowed
        authorizer = ctx.services.authorizer
        superuser = authorizer is not None and authorizer.is_superuser(ctx.principal)
        if authorizer is None or not authorizer.enabled:
            policy = "authorization disabled"
        else:
            policy = "superuser" if superuser else "acl"
        authz = ocsf.Authorization(
            api_key=ctx.api_key,
            principal=ctx.principal,
            operation=operation,
            resource_type=resource_type,
            resource_name=name,
            allowed=allowed,
            client=ocsf.split_address(ctx.peer),
            server=self.kafka_address,
            client_id=ctx.client_id,
            policy=policy,
            superuser=superuser,
        )
        if self.record_authorization(authz):
            return allowed
        log.error("Failed to append authz event to audit log: %s", operation)
        return False

    def login(self, client_ip: str, mechanism: str, user: str, error: str | None) -> bool:
        login = ocsf.Login(
            user=user,
            mechanism=mechanism,
            client=(client_ip, None),
            server=self.kafka_address,
            error=error,
            superuser=error is None and self.is_superuser(f"User:{user}"),
        )
        return self.record_login(login)

    # ---- enabling, draining ------------------------------------------------------------------
    def start(self, subscribe: Callable[[Callable[[dict], None]], Any]) -> None:
        subscribe(self._config_changed)
        if self.settings.enabled:
            self._toggle = asyncio.create_task(self._enable(), name="audit-enable")

    def _config_changed(self, changed: dict) -> None:
        if WATCHED.isdisjoint(changed):
            return
        was = self.settings.enabled
        self.settings = _Settings(self.get)
        if self.settings.enabled != was:
            previous = self._toggle
            job = self._enable if self.settings.enabled else self._disable
            self._toggle = asyncio.create_task(_after(previous, job), name="audit-toggle")
        self._wake.set()  # a new drain interval applies now

    async def _enable(self) -> None:
        """Create the topic and write the lifecycle start, retrying until a partition of it is
        led here and takes the record; then drain."""
        start = ocsf.lifecycle(ocsf.LIFECYCLE_START, self.node_id, self.version).to_json()
        while self.settings.enabled:
            try:
                await self.writer.ensure_topic()
                if self.writer.ready() and await self.writer.write([start]):
                    break
            except Exception as exc:  # no controller leader yet, a leadership change, ...
                log.warning("audit log not ready: %r", exc)
            await asyncio.sleep(RETRY_S)
        if not self.settings.enabled:
            return
        self.effective = True
        self._drainer = asyncio.create_task(self._drain_loop(), name="audit-drain")
        log.info("audit logging enabled: %s", AUDIT_TOPIC)

    async def _disable(self) -> None:
        if not self.effective:
            return
        await self._stop_draining()
        with contextlib.suppress(Exception):
            stop = ocsf.lifecycle(ocsf.LIFECYCLE_STOP, self.node_id, self.version)
            await self.writer.write([stop.to_json()])
        log.info("audit logging disabled")

    async def _stop_draining(self) -> None:
        self.effective = False
        drainer, self._drainer = self._drainer, None
        if drainer is not None:
            drainer.cancel()
            await asyncio.gather(drainer, return_exceptions=True)
        await self.drain()

    async def _drain_loop(self) -> None:
        while True:
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.drain_interval_s)
            try:
                await self.drain()
            except Exception as exc:
                log.warning("audit drain failed: %r", exc)

    async def drain(self) -> None:
        """Write what is queued, when a partition of the topic is led here."""
        if not len(self.queue) or not self.writer.ready():
            return
        events = self.queue.take()
        values: list[bytes] = []
        for i, event in enumerate(events):
            values.append(event.to_json())
            if i % SERIALIZE_SLICE == SERIALIZE_SLICE - 1:
                await asyncio.sleep(0)  # a full queue is ~1 MiB of JSON: let requests in
        handed = await self.writer.write(values)
        for event in events[handed:]:  # leadership moved away meanwhile: queued again
            self.queue.push(event)

    async def stop(self) -> None:
        """Write what is queued (waiting at most a few seconds for acks), then stop."""
        toggle, self._toggle = self._toggle, None
        if toggle is not None:
            toggle.cancel()
            await asyncio.gather(toggle, return_exceptions=True)
        if self.effective:
            with contextlib.suppress(Exception):
                await self._stop_draining()
        await self.writer.flush(SHUTDOWN_FLUSH_S)


async def _after(previous: asyncio.Task | None, job: Callable[[], Any]) -> None:
    if previous is not None and not previous.done():
        previous.cancel()
        await asyncio.gather(previous, return_exceptions=True)
    await job()
