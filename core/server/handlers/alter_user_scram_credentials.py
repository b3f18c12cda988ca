"""AlterUserScramCredentials (51): create, replace or delete users' SCRAM credentials, in the
same replicated user table as the Admin API's /v1/security/users (both paths see each other's
users). The client sends SaltedPassword = Hi(password, salt, iterations); the broker keeps only
the derived StoredKey and ServerKey.

Needs ALTER on the cluster (else every user gets CLUSTER_AUTHORIZATION_FAILED). Per user, as
Kafka checks them: a user altered twice in one request DUPLICATE_RESOURCE; an empty or refused
name, or iterations outside 4096..16384, UNACCEPTABLE_CREDENTIAL; an unknown mechanism
UNSUPPORTED_SASL_MECHANISM; deleting a credential the user does not have RESOURCE_NOT_FOUND.
A user has one credential (Redpanda's model): an upsertion replaces it whatever its mechanism."""

from __future__ import annotations

from collections import Counter
from typing import Any

from core.protocol.errors import ErrorCode
from core.security.scram import (
    KAFKA_MECHANISM_CODES,
    MAX_ITERATIONS,
    MIN_ITERATIONS,
    credential_from_salted,
)
from core.security.users import InvalidUserRequest, validate_username
from core.server.context import RequestContext
from core.server.handlers._scram_common import user_frontend
from core.server.responses import ZERO, build, module_of

API_KEY = 51
MIN_VERSION = 0
MAX_VERSION = 0

Outcome = tuple[ErrorCode, str | None]
OK: Outcome = (ErrorCode.none, None)


async def handle(ctx: RequestContext, request: Any) -> Any:
    m = module_of(ctx.response_class)
    changes = [*request.deletions, *request.upsertions]
    names = list(dict.fromkeys(c.name for c in changes))
    users = user_frontend(ctx)
    outcomes: dict[str, Outcome]
    if users is None:
        outcomes = dict.fromkeys(names, (ErrorCode.security_disabled, "no user store"))
    elif not ctx.authorized("ALTER", "CLUSTER", "kafka-cluster"):
        outcomes = dict.fromkeys(names, (ErrorCode.cluster_authorization_failed, None))
    else:
        outcomes = await _apply(users, request, names)
    results = tuple(
        build(m.AlterUserScramCredentialsResult, user=n, error_code=c, error_message=msg)
        for n, (c, msg) in outcomes.items()
    )
    return build(ctx.response_class, throttle_time=ZERO, results=results)


async def _apply(users: Any, request: Any, names: list[str]) -> dict[str, Outcome]:
    counts = Counter(c.name for c in [*request.deletions, *request.upsertions])
    outcomes: dict[str, Outcome] = {}
    for name in names:
        if counts[name] > 1:
            message = "A user credential cannot be altered twice in the same request"
            outcomes[name] = (ErrorCode.duplicate_resource, message)
    for d in request.deletions:
        if d.name not in outcomes:
            outcomes[d.name] = _check(d.name, d.mechanism) or await _delete(users, d)
    for u in request.upsertions:
        if u.name not in outcomes:
            outcomes[u.name] = _check(u.name, u.mechanism, u.iterations) or await _upsert(users, u)
    return {name: outcomes[name] for name in names}


def _check(name: str, mechanism: int, iterations: int | None = None) -> Outcome | None:
    if not name:
        return ErrorCode.unacceptable_credential, "Username must not be empty"
    try:
        validate_username(name)
    except InvalidUserRequest as exc:
        return ErrorCode.unacceptable_credential, str(exc)
    if mechanism not in KAFKA_MECHANISM_CODES:
        return ErrorCode.unsupported_sasl_mechanism, "Unknown SCRAM mechanism"
    if iterations is not None and iterations < MIN_ITERATIONS:
        return ErrorCode.unacceptable_credential, "Too few iterations"
    if iterations is not None and iterations > MAX_ITERATIONS:
        return ErrorCode.unacceptable_credential, "Too many iterations"
    return None


async def _delete(users: Any, deletion: Any) -> Outcome:
    if await users.delete_credential(deletion.name, KAFKA_MECHANISM_CODES[deletion.mechanism]):
        return OK
    return ErrorCode.resource_not_found, "Attempt to delete a user credential that does not exist"


async def _upsert(users: Any, upsertion: Any) -> Outcome:
    if not upsertion.salt or not upsertion.salted_password:
        return ErrorCode.unacceptable_credential, "Salt and salted password must not be empty"
    mechanism = KAFKA_MECHANISM_CODES[upsertion.mechanism]
    credential = credential_from_salted(
        mechanism, upsertion.salted_password, upsertion.salt, upsertion.iterations
    )
    await users.put_credential(upsertion.name, credential)
    return OK
