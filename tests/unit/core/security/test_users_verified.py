"""UserFrontend.verify_password remembers a matched password per credential: the second check
skips PBKDF2, a changed or deleted credential is not matched by the old password."""

from __future__ import annotations

import time
from typing import Any

from core.security.users import UserFrontend


class Controller:
    """Applies commands at once (the replicated log is not what is tested here)."""

    def __init__(self) -> None:
        self.appliers: dict[str, Any] = {}

    def register(self, command_type, apply_fn) -> None:
        self.appliers[command_type] = apply_fn

    async def submit(self, command_type, payload) -> int:
        self.appliers[command_type](payload)
        return 0


async def test_a_matched_password_is_remembered_until_the_credential_changes():
    users = UserFrontend(Controller())  # type: ignore[arg-type]
    await users.create("ann", "first-pw", "SCRAM-SHA-512")
    started = time.perf_counter()
    assert users.verify_password("ann", "first-pw")
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(100):
        assert users.verify_password("ann", "first-pw")
    assert (time.perf_counter() - started) / 100 < first_s / 5
    assert not users.verify_password("ann", "wrong")
    await users.update("ann", "second-pw", "SCRAM-SHA-256")
    assert not users.verify_password("ann", "first-pw")
    assert users.verify_password("ann", "second-pw")
    await users.delete("ann")
    assert not users.verify_password("ann", "second-pw")
    assert not users.verify_password("nobody", "second-pw")
