"""Building the transaction coordinator in the composition root (core.app), in one call."""

from __future__ import annotations

from typing import Any

from core.groups.coordinator import GroupCoordinator
from core.transactions import marker_rpc
from core.transactions.coordinator import TransactionCoordinator


def start_transactions(app: Any, groups: GroupCoordinator) -> TransactionCoordinator:
    """The coordinator of a BrokerApp (its partitions, topics, producer ids, RPC), with the
    marker RPC method registered on its broker RPC server. Call `start()` on it afterwards."""
    cluster = app.cluster
    coordinator = TransactionCoordinator(
        node_id=app.node_id,
        clock=app.clock,
        partitions=app.partitions,
        topics=app.topics,
        config=app.cluster_config,
        allocate_pid=app.producer_ids.allocate,
        peers=cluster.rpc.peers,
        groups=groups,
        member_count=cluster.member_count,
    )
    cluster.rpc.register(
        marker_rpc.TXN_MARKER_METHOD, marker_rpc.server_handler(coordinator.markers.write_local)
    )
    return coordinator
