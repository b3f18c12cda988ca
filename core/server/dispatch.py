"""API key -> handler module and the versions served for each key: a static table, so that
answering ApiVersions imports no handler, and each handler module (with what it imports) is
loaded by the first request of its key.

Every handler module declares API_KEY, MIN_VERSION, MAX_VERSION and
`async def handle(ctx, request)`. The table's range is the handler's, narrowed to the versions
kio has request schemas for; tests/unit/core/server/test_dispatch_table.py checks the table
agrees with the modules.
"""

from __future__ import annotations

import importlib
import types
from collections.abc import Iterator, Mapping
from functools import lru_cache

HANDLERS_PACKAGE = "core.server.handlers"

# api key -> (module under HANDLERS_PACKAGE, lowest and highest version served)
HANDLER_TABLE: dict[int, tuple[str, int, int]] = {
    0: ("produce", 3, 9),
    1: ("fetch", 4, 11),
    2: ("list_offsets", 1, 11),
    3: ("metadata", 0, 8),
    8: ("offset_commit", 2, 8),
    9: ("offset_fetch", 1, 7),
    10: ("find_coordinator", 0, 4),
    11: ("join_group", 0, 6),
    12: ("heartbeat", 0, 4),
    13: ("leave_group", 0, 4),
    14: ("sync_group", 0, 4),
    15: ("describe_groups", 0, 5),
    16: ("list_groups", 0, 4),
    17: ("sasl_handshake", 0, 1),
    18: ("api_versions", 0, 3),
    19: ("create_topics", 2, 7),
    20: ("delete_topics", 1, 6),
    21: ("delete_records", 0, 2),
    22: ("init_producer_id", 0, 4),
    23: ("offset_for_leader_epoch", 2, 4),
    24: ("add_partitions_to_txn", 0, 5),
    25: ("add_offsets_to_txn", 0, 4),
    26: ("end_txn", 0, 4),
    27: ("write_txn_markers", 1, 2),
    28: ("txn_offset_commit", 0, 4),
    29: ("describe_acls", 1, 2),
    30: ("create_acls", 1, 2),
    31: ("delete_acls", 1, 2),
    32: ("describe_configs", 1, 4),
    33: ("alter_configs", 0, 2),
    35: ("describe_log_dirs", 1, 4),
    36: ("sasl_authenticate", 0, 2),
    37: ("create_partitions", 0, 3),
    42: ("delete_groups", 0, 2),
    43: ("elect_leaders", 0, 2),
    44: ("incremental_alter_configs", 0, 1),
    45: ("alter_partition_reassignments", 0, 0),
    46: ("list_partition_reassignments", 0, 0),
    47: ("offset_delete", 0, 0),
    48: ("describe_client_quotas", 0, 1),
    49: ("alter_client_quotas", 0, 1),
    50: ("describe_user_scram_credentials", 0, 0),
    51: ("alter_user_scram_credentials", 0, 0),
    61: ("describe_producers", 0, 0),
    65: ("describe_transactions", 0, 0),
    66: ("list_transactions", 0, 1),
}


class LazyHandlers(Mapping[int, types.ModuleType]):
    """The handler modules keyed by API key, each imported when first looked up."""

    def __init__(self) -> None:
        self._loaded: dict[int, types.ModuleType] = {}

    def __getitem__(self, api_key: int) -> types.ModuleType:
        module = self._loaded.get(api_key)
        if module is None:
            name = HANDLER_TABLE[api_key][0]
            module = importlib.import_module(f"{HANDLERS_PACKAGE}.{name}")
            self._loaded[api_key] = module
        return module

    def __contains__(self, api_key: object) -> bool:
        return api_key in HANDLER_TABLE

    def __iter__(self) -> Iterator[int]:
        return iter(HANDLER_TABLE)

    def __len__(self) -> int:
        return len(HANDLER_TABLE)


@lru_cache(maxsize=1)
def handlers() -> LazyHandlers:
    """The handler modules keyed by API key (imported at their first use)."""
    return LazyHandlers()


def version_range(api_key: int) -> tuple[int, int] | None:
    """The versions served for a key (None: not served)."""
    entry = HANDLER_TABLE.get(api_key)
    return None if entry is None else (entry[1], entry[2])


def supported(api_key: int, api_version: int) -> bool:
    entry = HANDLER_TABLE.get(api_key)
    return entry is not None and entry[1] <= api_version <= entry[2]
