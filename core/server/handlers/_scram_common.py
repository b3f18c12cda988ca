"""Shared by DescribeUserScramCredentials (50) and AlterUserScramCredentials (51): the broker's
one user table (core.security.users.UserFrontend), the same the Admin API's
/v1/security/users changes, and Kafka's ScramMechanism codes."""

from __future__ import annotations

from core.security.scram import KAFKA_MECHANISM_CODES
from core.security.users import UserFrontend
from core.server.context import RequestContext

MECHANISM_CODES = {name: code for code, name in KAFKA_MECHANISM_CODES.items()}


def user_frontend(ctx: RequestContext) -> UserFrontend | None:
    """The user table, None on a broker built without one (then the API is disabled)."""
    sasl = ctx.services.sasl
    users = getattr(sasl, "users", None)
    return users if isinstance(users, UserFrontend) else None
