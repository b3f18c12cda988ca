"""SASL on the Kafka API: the broker-wide authenticator and each connection's session.

`SaslAuthenticator` (one per broker) knows the enabled mechanisms (cluster property
`sasl_mechanisms`: SCRAM means SCRAM-SHA-256 and SCRAM-SHA-512; PLAIN), the users (replicated by
the controller, core.security.users) and a per-client-address limit on failed attempts.

`SaslSession` (one per connection on a SASL listener) follows Kafka's state machine:
SaslHandshake picks a mechanism; SaslAuthenticate (v1 handshake) or raw size-prefixed tokens
(v0 handshake, the pre-KIP-152 framing) carry the exchange; success sets the principal; a
failure answers SASL_AUTHENTICATION_FAILED and the connection closes after that answer.
Re-authentication (KIP-368) runs the same exchange again on an authenticated connection; the
principal may not change.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol

from core.security.authorizer import Decisions
from core.security.saslprep import SaslPrepError, saslprep
from core.security.scram import MECHANISMS, ScramCredential
from core.security.scram_server import ScramError, ScramExchange

PLAIN = "PLAIN"
ANONYMOUS = "User:ANONYMOUS"
MAX_TRACKED_ADDRESSES = 10_000
FAILURE_BURST = 10  # failed attempts a client address may make at once...
FAILURE_REFILL_PER_S = 1.0  # ...and then one more per second
FAILURE_FLOOR_S = 0.1  # a refused step is answered no sooner than this after it arrived
FAILED_MESSAGE = "Authentication failed: invalid credentials with SASL mechanism {}"
MAX_PLAIN_BYTES = 4096  # longer is refused unread (SASLprep of a 1 MiB name costs ~0.2 s of loop)
LOGGED_NAME_CHARS = 64


class Users(Protocol):
    def credential(self, username: str) -> ScramCredential | None: ...

    def verify_password(self, username: str, password: str) -> bool: ...


class AuthenticationFailed(Exception):
    """`str(exc)` goes to the log; `client_message` to the client."""

    def __init__(self, reason: str, client_message: str) -> None:
        super().__init__(reason)
        self.client_message = client_message


class FailureLimiter:
    """A token bucket per client address, spent by failed attempts; bounded in addresses."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def _tokens(self, address: str, now: float) -> float:
        tokens, at = self._buckets.get(address, (FAILURE_BURST, now))
        return min(FAILURE_BURST, tokens + (now - at) * FAILURE_REFILL_PER_S)

    def allowed(self, address: str) -> bool:
        return self._tokens(address, self._clock()) >= 1

    def failed(self, address: str) -> None:
        now = self._clock()
        tokens = self._tokens(address, now) - 1
        self._buckets.pop(address, None)
        self._buckets[address] = (max(tokens, 0.0), now)
        while len(self._buckets) > MAX_TRACKED_ADDRESSES:
            self._buckets.popitem(last=False)


def enabled_mechanisms(configured: list[str]) -> list[str]:
    out: list[str] = []
    for name in configured:
        if name == "SCRAM":
            out.extend(MECHANISMS)
        elif name == PLAIN:
            out.append(PLAIN)
    return out


class SaslAuthenticator:
    def __init__(self, users: Users, config_get: Callable[[str], Any]) -> None:
        self.users = users
        self._get = config_get
        self.config = config_get  # the live cluster config, for core.security.mtls
        self.limiter = FailureLimiter()
        self.audit: Any = None  # core.security.audit.log.AuditLog: logins are recorded there

    def audited(self, client_ip: str, mechanism: str, user: str, error: str | None) -> bool:
        """Record a login with the audit log, if any; False: it could not be recorded."""
        audit = self.audit
        return audit is None or audit.login(client_ip, mechanism, user, error)

    def mechanisms(self) -> list[str]:
        return enabled_mechanisms(self._get("sasl_mechanisms"))

    def sasl_required(self, authentication_method: str | None) -> bool:
        """Whether a listener with this `authentication_method` requires SASL (unset: follow
        the cluster's `enable_sasl`)."""
        if authentication_method is None:
            return bool(self._get("enable_sasl"))
        return authentication_method == "sasl"

    def session_lifetime_ms(self) -> int:
        value = self._get("kafka_sasl_max_reauth_ms")
        return int(value) if value else 0


class SaslSession:
    """One connection's SASL state (see the module docstring)."""

    def __init__(self, authenticator: SaslAuthenticator, client_ip: str) -> None:
        self.authenticator = authenticator
        self.client_ip = client_ip
        self.principal: str | None = None  # "User:name" once authenticated
        self.mechanism: str | None = None
        self.raw_tokens = False  # v0 handshake: the next frames are bare SASL tokens
        self.failed = False  # the connection closes after the current answer
        self.expires_at: float | None = None  # KIP-368 session end (monotonic seconds)
        self.fixed_identity = False  # mtls_identity: the principal is the certificate's
        self.decisions = Decisions()  # this connection's ACL decisions (core.security.authorizer)
        self._scram: ScramExchange | None = None
        self._user = ""  # the user name the exchange claims, once read (for the audit log)

    @property
    def authenticated(self) -> bool:
        return self.principal is not None and (
            self.expires_at is None or time.monotonic() < self.expires_at
        )

    @property
    def in_progress(self) -> bool:
        return self.mechanism is not None

    def handshake(self, mechanism: str, version: int) -> bool:
        """Choose `mechanism`; False (and the connection is to close) if it is not enabled."""
        if mechanism not in self.authenticator.mechanisms():
            self.failed = True
            return False
        self.mechanism = mechanism
        self.raw_tokens = version == 0
        self._scram = (
            ScramExchange(mechanism, self.authenticator.users.credential)
            if (mechanism in MECHANISMS)
            else None
        )
        return True

    async def step(self, token: bytes) -> bytes:
        """Feed one client token, get the server's; raises AuthenticationFailed (then the
        session is marked failed)."""
        mechanism = self.mechanism
        if mechanism is None:
            raise AuthenticationFailed("no SASL handshake", "SaslHandshake must come first")
        started = time.monotonic()
        try:
            return await self._step(mechanism, token)
        except AuthenticationFailed:
            # Every refusal takes the same time, whatever failed (unknown user, wrong password)
            await asyncio.sleep(max(0.0, FAILURE_FLOOR_S - (time.monotonic() - started)))
            raise

    async def _step(self, mechanism: str, token: bytes) -> bytes:
        limiter = self.authenticator.limiter
        if not limiter.allowed(self.client_ip):
            self._audit_failure(mechanism, "", "too many failed attempts from this address")
            self._fail()
            raise AuthenticationFailed(
                "too many failed attempts from this address",
                "Authentication failed: too many failed attempts, try again later",
            )
        try:
            if mechanism == PLAIN:
                username = await self._plain(token)
                return self._succeeded(username)
            assert self._scram is not None
            answer = self._scram.step(token)
        except (ScramError, AuthenticationFailed) as exc:
            limiter.failed(self.client_ip)
            claimed = self._scram.username if self._scram is not None else None
            self._audit_failure(mechanism, claimed or self._user, str(exc))
            self._fail()
            raise AuthenticationFailed(
                f"{mechanism}: {exc}", FAILED_MESSAGE.format(mechanism)
            ) from None
        if self._scram.done:
            assert self._scram.username is not None
            self._succeeded(self._scram.username)
        return answer

    async def _plain(self, token: bytes) -> str:
        if len(token) > MAX_PLAIN_BYTES:
            raise AuthenticationFailed(f"PLAIN message of {len(token)} bytes: too long", "")
        parts = token.split(b"\x00")
        if len(parts) != 3:
            raise AuthenticationFailed("malformed PLAIN message", "")
        try:
            authzid, username, password = (p.decode("utf-8") for p in parts)
            username = saslprep(username)
        except (UnicodeDecodeError, SaslPrepError) as exc:
            raise AuthenticationFailed(f"malformed PLAIN message: {exc}", "") from None
        self._user = username
        if authzid and authzid != username:
            raise AuthenticationFailed("authorization identity differs from the user name", "")
        users = self.authenticator.users
        # PBKDF2 costs milliseconds, also for an unknown user (the same cost): off the loop.
        if not await asyncio.to_thread(users.verify_password, username, password):
            shown = username[:LOGGED_NAME_CHARS] + (
                "..." if len(username) > LOGGED_NAME_CHARS else ""
            )
            raise AuthenticationFailed(f"invalid credentials for user {shown!r}", "")
        return username

    def _succeeded(self, username: str) -> bytes:
        principal = f"User:{username}"
        if self.principal is not None and principal != self.principal:
            self._fail()
            raise AuthenticationFailed(
                f"re-authentication as {principal} on a connection of {self.principal}",
                "Cannot change principals during re-authentication",
            )
        mechanism = self.mechanism or ""
        if not self.authenticator.audited(self.client_ip, mechanism, username, None):
            self._fail()  # Redpanda: a login that cannot be audited fails
            raise AuthenticationFailed(
                "Failed to audit authentication", "Authentication failed: audit queue full"
            )
        self.principal = principal
        lifetime_ms = self.authenticator.session_lifetime_ms()
        self.expires_at = time.monotonic() + lifetime_ms / 1000 if lifetime_ms else None
        self.mechanism, self._scram, self.raw_tokens = None, None, False
        return b""

    def _audit_failure(self, mechanism: str, user: str, reason: str) -> None:
        self.authenticator.audited(self.client_ip, mechanism, user, reason)

    def abort(self) -> None:
        """A SASL request out of the exchange's order (a second SaslHandshake mid-exchange):
        Kafka answers ILLEGAL_SASL_STATE and closes the connection after that answer."""
        self._fail()

    def _fail(self) -> None:
        self.failed = True
        self.mechanism, self._scram, self.raw_tokens = None, None, False
