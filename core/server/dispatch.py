"""API key -> handler module (an explicit table), and the versions served for each key."""

from __future__ import annotations

import types
from functools import lru_cache

from core.protocol.codec import request_class
from core.server.handlers import (
    add_offsets_to_txn,
    add_partitions_to_txn,
    alter_client_quotas,
    alter_configs,
    alter_partition_reassignments,
    alter_user_scram_credentials,
    api_versions,
    create_acls,
    create_partitions,
    create_topics,
    delete_acls,
    delete_groups,
    delete_records,
    delete_topics,
    describe_acls,
    describe_client_quotas,
    describe_configs,
    describe_groups,
    describe_log_dirs,
    describe_producers,
    describe_transactions,
    describe_user_scram_credentials,
    elect_leaders,
    end_txn,
    fetch,
    find_coordinator,
    heartbeat,
    incremental_alter_configs,
    init_producer_id,
    join_group,
    leave_group,
    list_groups,
    list_offsets,
    list_partition_reassignments,
    list_transactions,
    metadata,
    offset_commit,
    offset_delete,
    offset_fetch,
    offset_for_leader_epoch,
    produce,
    sasl_authenticate,
    sasl_handshake,
    sync_group,
    txn_offset_commit,
    write_txn_markers,
)

# Every handler module: API_KEY, MIN_VERSION, MAX_VERSION and `async def handle(ctx, request)`.
HANDLER_MODULES: tuple[types.ModuleType, ...] = (
    produce,  # 0
    fetch,  # 1
    list_offsets,  # 2
    metadata,  # 3
    offset_commit,  # 8
    offset_fetch,  # 9
    find_coordinator,  # 10
    join_group,  # 11
    heartbeat,  # 12
    leave_group,  # 13
    sync_group,  # 14
    describe_groups,  # 15
    list_groups,  # 16
    sasl_handshake,  # 17
    api_versions,  # 18
    create_topics,  # 19
    delete_topics,  # 20
    delete_records,  # 21
    init_producer_id,  # 22
    offset_for_leader_epoch,  # 23
    add_partitions_to_txn,  # 24
    add_offsets_to_txn,  # 25
    end_txn,  # 26
    write_txn_markers,  # 27
    txn_offset_commit,  # 28
    describe_acls,  # 29
    create_acls,  # 30
    delete_acls,  # 31
    describe_configs,  # 32
    alter_configs,  # 33
    describe_log_dirs,  # 35
    sasl_authenticate,  # 36
    create_partitions,  # 37
    delete_groups,  # 42
    elect_leaders,  # 43
    incremental_alter_configs,  # 44
    alter_partition_reassignments,  # 45
    list_partition_reassignments,  # 46
    offset_delete,  # 47
    describe_transactions,  # 65
    list_transactions,  # 66
    describe_client_quotas,  # 48
    alter_client_quotas,  # 49
    describe_user_scram_credentials,  # 50
    alter_user_scram_credentials,  # 51
    describe_producers,  # 61
)


@lru_cache(maxsize=1)
def handlers() -> dict[int, types.ModuleType]:
    """The handler modules keyed by API key."""
    found: dict[int, types.ModuleType] = {}
    for module in HANDLER_MODULES:
        key = module.API_KEY
        assert key not in found, f"two handlers for API key {key}"
        found[key] = module
    return found


def version_range(api_key: int) -> tuple[int, int] | None:
    """The versions served for a key: the handler's range where kio has schemas."""
    module = handlers().get(api_key)
    if module is None:
        return None
    lo, hi = module.MIN_VERSION, module.MAX_VERSION
    while lo <= hi and request_class(api_key, lo) is None:
        lo += 1
    while hi >= lo and request_class(api_key, hi) is None:
        hi -= 1
    return (lo, hi) if lo <= hi else None


def supported(api_key: int, api_version: int) -> bool:
    r = version_range(api_key)
    return r is not None and r[0] <= api_version <= r[1]
