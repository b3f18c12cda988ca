"""ApiVersions (18): advertise exactly the keys and versions this broker serves."""

from __future__ import annotations

from typing import Any, cast

from kio.schema.api_versions.v0.response import ApiVersion as ApiVersionV0
from kio.schema.api_versions.v0.response import ApiVersionsResponse as ApiVersionsResponseV0
from kio.static.primitive import i16

from core.protocol.errors import ErrorCode
from core.server import dispatch
from core.server.context import RequestContext
from core.server.responses import ZERO, build, module_of

API_KEY = 18
MIN_VERSION = 0
MAX_VERSION = 3

# key -> cluster property that must be true for the key to be advertised
_GATED = {
    22: "enable_idempotence",
    **dict.fromkeys((24, 25, 26, 28), "enable_transactions"),
}


def served(cluster_config=None) -> list[tuple[int, int, int]]:
    out = []
    for key in sorted(dispatch.HANDLER_TABLE):  # no handler module is imported
        gate = _GATED.get(key)
        if gate and cluster_config is not None and not cluster_config.get(gate):
            continue
        r = dispatch.version_range(key)
        if r is not None:
            out.append((key, r[0], r[1]))
    return out


def unsupported_version_response() -> ApiVersionsResponseV0:
    keys = tuple(
        ApiVersionV0(api_key=cast(i16, k), min_version=cast(i16, lo), max_version=cast(i16, hi))
        for k, lo, hi in served()
    )
    return ApiVersionsResponseV0(error_code=ErrorCode.unsupported_version, api_keys=keys)


async def handle(ctx: RequestContext, request: Any) -> Any:
    cls = ctx.response_class
    api_version_cls = module_of(cls).ApiVersion
    keys = tuple(
        build(api_version_cls, api_key=k, min_version=lo, max_version=hi)
        for k, lo, hi in served(ctx.services.cluster_config)
    )
    return build(
        cls,
        error_code=ErrorCode.none,
        api_keys=keys,
        throttle_time=ZERO,
        supported_features=(),
        finalized_features_epoch=-1,
        finalized_features=(),
        zk_migration_ready=False,
    )
