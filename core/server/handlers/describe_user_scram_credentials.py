"""DescribeUserScramCredentials (50): each user's SCRAM mechanism and iterations, never a key.

Needs DESCRIBE on the cluster (else CLUSTER_AUTHORIZATION_FAILED for the whole request and
each user asked about, as Kafka answers; librdkafka 2.16 crashes reading that answer). A null
or empty user list describes every user; a user named twice is DUPLICATE_RESOURCE, an unknown one
RESOURCE_NOT_FOUND (Kafka's messages). A user has one credential (Redpanda's model)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from core.protocol.errors import ErrorCode
from core.server.context import RequestContext
from core.server.handlers._scram_common import MECHANISM_CODES, user_frontend
from core.server.responses import ZERO, build, module_of

API_KEY = 50
MIN_VERSION = 0
MAX_VERSION = 0


async def handle(ctx: RequestContext, request: Any) -> Any:
    users = user_frontend(ctx)
    if users is None:
        return _top(ctx, request, ErrorCode.security_disabled, "no user store is configured")
    if not ctx.authorized("DESCRIBE", "CLUSTER", "kafka-cluster"):
        denied = "Cluster authorization failed."
        return _top(ctx, request, ErrorCode.cluster_authorization_failed, denied)
    m = module_of(ctx.response_class)
    names = [u.name for u in request.users or ()] or users.list()
    counts = Counter(names)
    results = []
    for name in dict.fromkeys(names):
        code: ErrorCode = ErrorCode.none
        message: str | None = None
        infos: tuple[Any, ...] = ()
        credential = users.credential(name)
        if counts[name] > 1:
            code, message = ErrorCode.duplicate_resource, "Cannot describe SCRAM credentials for "
            message += "the same user twice in a single request"
        elif credential is None:
            code = ErrorCode.resource_not_found
            message = "Attempt to describe a user credential that does not exist"
        else:
            info = build(
                m.CredentialInfo,
                mechanism=MECHANISM_CODES[credential.mechanism],
                iterations=credential.iterations,
            )
            infos = (info,)
        results.append(
            build(
                m.DescribeUserScramCredentialsResult,
                user=name,
                error_code=code,
                error_message=message,
                credential_infos=infos,
            )
        )
    return build(
        ctx.response_class,
        throttle_time=ZERO,
        error_code=ErrorCode.none,
        error_message=None,
        results=tuple(results),
    )


def _top(ctx: RequestContext, request: Any, code: ErrorCode, message: str) -> Any:
    """A whole-request error, repeated for each user asked about (as Kafka answers it)."""
    m = module_of(ctx.response_class)
    results = tuple(
        build(
            m.DescribeUserScramCredentialsResult,
            user=u.name,
            error_code=code,
            error_message=message,
            credential_infos=(),
        )
        for u in request.users or ()
    )
    return build(
        ctx.response_class,
        throttle_time=ZERO,
        error_code=code,
        error_message=message,
        results=results,
    )
