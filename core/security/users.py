"""SASL/SCRAM users, replicated through the controller log.

Commands: "user_upsert" {"username", "credential": ScramCredential.to_json()} and
"user_delete" {"username"}. Passwords never reach the log; only salted SCRAM keys do.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from core.cluster.controller_snapshot import offer_state
from core.security.saslprep import SaslPrepError, saslprep
from core.security.scram import (
    MECHANISMS,
    SCRAM_SHA_512,
    ScramCredential,
    derive_credential,
    password_matches,
)

USER_UPSERT = "user_upsert"
USER_DELETE = "user_delete"
MAX_USERNAME_CHARS = 128
MAX_PASSWORD_CHARS = 1024


_UNKNOWN_USER = derive_credential(SCRAM_SHA_512, os.urandom(16).hex())
_VERIFIED_KEY = os.urandom(32)
MAX_VERIFIED = 1024


class Controller(Protocol):
    def register(self, command_type: str, apply_fn: Callable[[dict[str, Any]], None]) -> None: ...

    def submit(self, command_type: str, payload: dict[str, Any]) -> Awaitable[int]: ...


class UserError(Exception):
    """Base of user-management errors; `status` is the HTTP status the Admin API answers."""

    status = 400


class InvalidUserRequest(UserError):
    status = 400


class UserExists(UserError):
    status = 409


class UserNotFound(UserError):
    status = 404


def validate_username(username: Any) -> str:
    if not isinstance(username, str) or not 1 <= len(username) <= MAX_USERNAME_CHARS:
        raise InvalidUserRequest(
            f"username must be a string of 1 to {MAX_USERNAME_CHARS} characters"
        )
    if (
        any(ord(c) < 0x20 or ord(c) == 0x7F or c in ",=" for c in username)
        or username.strip() != username
    ):
        raise InvalidUserRequest(
            "username must not contain control characters, ',' or '=', "
            "nor start or end with whitespace"
        )
    return username


def validate_password(password: Any) -> str:
    if not isinstance(password, str) or not 1 <= len(password) <= MAX_PASSWORD_CHARS:
        raise InvalidUserRequest(
            f"password must be a string of 1 to {MAX_PASSWORD_CHARS} characters"
        )
    try:
        saslprep(password, allow_unassigned=False)
    except SaslPrepError as exc:
        raise InvalidUserRequest(f"password is not allowed by SASLprep (RFC 4013): {exc}") from None
    return password


def validate_mechanism(mechanism: Any) -> str:
    if mechanism not in MECHANISMS:
        raise InvalidUserRequest(f"algorithm must be one of {', '.join(MECHANISMS)}")
    return mechanism


class UserFrontend:
    """Owns the credential table; every change goes through the controller log."""

    def __init__(self, controller: Controller) -> None:
        self._controller = controller
        self._credentials: dict[str, ScramCredential] = {}
        self._lock = asyncio.Lock()
        self._verified: OrderedDict[bytes, ScramCredential] = OrderedDict()
        self._verified_lock = threading.Lock()  # verify_password runs on worker threads
        controller.register(USER_UPSERT, self._apply_upsert)
        controller.register(USER_DELETE, self._apply_delete)
        offer_state(controller, "users", (USER_UPSERT, USER_DELETE), self.snapshot, self.restore)

    def _apply_upsert(self, payload: dict[str, Any]) -> None:
        self._credentials[payload["username"]] = ScramCredential.from_json(payload["credential"])

    def _apply_delete(self, payload: dict[str, Any]) -> None:
        self._credentials.pop(payload["username"], None)

    def snapshot(self) -> dict[str, Any]:
        """Every user's credential (salted SCRAM keys, as in the log), JSON-ready."""
        return {"users": {name: cred.to_json() for name, cred in self._credentials.items()}}

    def restore(self, state: dict[str, Any]) -> None:
        self._credentials = {
            name: ScramCredential.from_json(cred) for name, cred in state["users"].items()
        }

    def list(self) -> list[str]:
        return sorted(self._credentials)

    def credential(self, username: str) -> ScramCredential | None:
        """For the SASL/SCRAM authenticator."""
        return self._credentials.get(username)

    def verify_password(self, username: str, password: str) -> bool:
        """For HTTP basic auth and SASL/PLAIN. A password that matched the user's current
        credential is remembered (keyed by an HMAC under a per-process secret, bounded), so a
        client sending the same basic auth on every request pays PBKDF2 once; any change of the
        credential forgets it. Failures always pay PBKDF2 (an unknown user too)."""
        cred = self._credentials.get(username)
        key = hmac.digest(_VERIFIED_KEY, f"{username}\0{password}".encode(), "sha256")
        with self._verified_lock:
            if cred is not None and self._verified.get(key) is cred:
                self._verified.move_to_end(key)
                return True
        if cred is None:  # pay the same PBKDF2 cost, so response time does not reveal who exists
            password_matches(_UNKNOWN_USER, password)
            return False
        if not password_matches(cred, password):
            return False
        with self._verified_lock:
            self._verified[key] = cred
            while len(self._verified) > MAX_VERIFIED:
                self._verified.popitem(last=False)
        return True

    async def create(self, username: str, password: str, mechanism: str) -> None:
        """Create a user. As in Redpanda, creating an existing user again with the same password and
        mechanism succeeds without writing anything; with another credential it raises UserExists.
        (Redpanda answers that case with a 500 "Unexpected cluster error: User already exists" only
        because its error mapping has no case for it; the Admin API answers 409 instead.)
        """
        validate_username(username), validate_password(password), validate_mechanism(mechanism)
        async with self._lock:
            existing = self._credentials.get(username)
            if existing is not None:
                if existing.mechanism == mechanism and await asyncio.to_thread(
                    password_matches, existing, password
                ):
                    return
                raise UserExists(f"user {username!r} already exists")
            await self._submit_upsert(username, password, mechanism)

    async def update(self, username: str, password: str, mechanism: str) -> None:
        validate_username(username), validate_password(password), validate_mechanism(mechanism)
        async with self._lock:
            if username not in self._credentials:
                raise UserNotFound(f"user {username!r} does not exist")
            await self._submit_upsert(username, password, mechanism)

    async def delete(self, username: str) -> None:
        """Delete a user; as in Redpanda, deleting a user that does not exist succeeds (idempotent)."""
        async with self._lock:
            if username not in self._credentials:
                return
            await self._controller.submit(USER_DELETE, {"username": username})

    async def put_credential(self, username: str, credential: ScramCredential) -> None:
        """Set a user's one credential (Kafka's AlterUserScramCredentials upsertion): creates the
        user, or replaces the credential whatever its mechanism (Redpanda keeps one a user)."""
        validate_username(username)
        async with self._lock:
            await self._controller.submit(
                USER_UPSERT, {"username": username, "credential": credential.to_json()}
            )

    async def delete_credential(self, username: str, mechanism: str) -> bool:
        """Remove the user whose credential is of `mechanism` (Kafka's deletion); False when the
        user has no such credential."""
        async with self._lock:
            existing = self._credentials.get(username)
            if existing is None or existing.mechanism != mechanism:
                return False
            await self._controller.submit(USER_DELETE, {"username": username})
            return True

    async def _submit_upsert(self, username: str, password: str, mechanism: str) -> None:
        # PBKDF2 costs milliseconds; keep it off the event loop.
        credential = await asyncio.to_thread(derive_credential, mechanism, password)
        await self._controller.submit(
            USER_UPSERT, {"username": username, "credential": credential.to_json()}
        )
