"""Transactions on three brokers: the exactly-once transformer keeps running while the
transaction coordinator of its transactional id and the leader of an output partition are
killed with SIGKILL during its commits (and restarted); the output holds each input once."""

from __future__ import annotations

import threading
import time

import pytest

from core.groups.router import partition_for
from tests.support.cluster import CLUSTER_PROPERTIES, create_topic, running_cluster
from tests.support.eos_run import Transformer, fill_input
from tests.support.jepsen_txn import check_txn
from tests.support.txn_clients import read_all

pytestmark = pytest.mark.cluster

INPUTS = 900
PARTITIONS = 3
TXN_PARTITIONS = 3
PROPERTIES = dict(
    CLUSTER_PROPERTIES, transaction_coordinator_partitions=TXN_PARTITIONS, tx_timeout_delay_ms=200
)


def test_eos_through_coordinator_and_leader_kills(tmp_path):
    """transaction_coordinator_partitions=3: the id's coordinator is the leader of its
    partition of __transaction_state (RF 3), found and killed here."""
    with running_cluster(tmp_path / "cluster", 3, properties=PROPERTIES) as cluster:
        bootstrap = cluster.bootstrap
        create_topic(cluster, "in", PARTITIONS, 3)
        create_topic(cluster, "out", PARTITIONS, 3)
        expected = fill_input(bootstrap, "in", INPUTS, PARTITIONS)
        transformer = Transformer(bootstrap, "in", "out", tmp_path / "transformer.jsonl")
        transformer.start()
        time.sleep(4)  # it found its coordinator and commits
        coordinator = cluster.leader_of(
            "__transaction_state", partition_for(transformer.tid, TXN_PARTITIONS)
        )
        cluster.kill(coordinator)
        time.sleep(3)
        cluster.start_node(coordinator)
        time.sleep(2)
        leader = cluster.leader_of("out", 0)
        cluster.kill(leader)
        time.sleep(3)
        cluster.start_node(leader)
        try:
            transformer.finish(attempts=4)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{cluster.log_tails(60)}") from None
        final = read_all(bootstrap, "out", PARTITIONS)
        result = check_txn(
            transformer.history(), final, expected_once=expected, transform=lambda v: f"out-{v}"
        )
        print(result.stats, "coordinator", coordinator, "leader", leader)
        print("transformer runs:", transformer.starts, "failed:", *transformer.failures, sep="\n")
        result.assert_valid()
        assert result.stats["final_records"] == INPUTS


def test_a_prepared_commit_is_finished_by_the_next_coordinator(tmp_path):
    """The coordinator stores PrepareCommit but cannot reach the leader of the output partition
    (its RPC links to that node cut); it is then SIGKILLed. The coordinator elected next loads
    PrepareCommit from __transaction_state and writes the markers: the records become visible
    to read_committed readers and the id ends CompleteCommit."""
    from confluent_kafka import Producer

    from tests.support.txn_clients import values

    with running_cluster(
        tmp_path / "cluster", 3, rpc_proxies=True, properties=PROPERTIES
    ) as cluster:
        bootstrap = cluster.bootstrap
        tid = "prepared-1"
        p = Producer({"bootstrap.servers": bootstrap, "transactional.id": tid})
        p.init_transactions(60)
        coordinator = cluster.leader_of("__transaction_state", partition_for(tid, TXN_PARTITIONS))
        create_topic(cluster, "solo", 6, 1)  # one replica each, spread over the nodes
        leaders = {q: cluster.leader_of("solo", q) for q in range(6)}
        out = next(q for q, node in leaders.items() if node != coordinator)
        out_node = leaders[out]
        p.begin_transaction()
        for i in range(10):
            p.produce("solo", f"v{i}".encode(), partition=out)
        p.flush(30)
        cluster.cut(coordinator, out_node)
        cluster.cut(out_node, coordinator)
        committing = threading.Thread(target=_commit_quietly, args=(p,), daemon=True)
        committing.start()
        time.sleep(3)  # PrepareCommit stored; the marker to out_node cannot get through
        assert values(read_all(bootstrap, "solo", 6)) == []
        assert _state(cluster.nodes[coordinator].kafka_port, tid) == "PrepareCommit"
        cluster.kill(coordinator)
        deadline = time.monotonic() + 60
        seen: list[str] = []
        while time.monotonic() < deadline and len(seen) < 10:
            seen = values(read_all(bootstrap, "solo", 6))
        assert seen == sorted(f"v{i}" for i in range(10))
        new = cluster.leader_of("__transaction_state", partition_for(tid, TXN_PARTITIONS))
        assert _state(cluster.nodes[new].kafka_port, tid) == "CompleteCommit"
        cluster.heal()
        cluster.start_node(coordinator)


def _state(kafka_port: int, tid: str) -> str:
    from kio.schema.describe_transactions.v0.request import DescribeTransactionsRequest

    from tests.support.raw_client import RawClient

    client = RawClient(kafka_port)
    try:
        request = DescribeTransactionsRequest(transactional_ids=(tid,))
        (state,) = client.request(request).transaction_states
        return state.transaction_state
    finally:
        client.close()


def _commit_quietly(p) -> None:
    try:
        p.commit_transaction(60)
    except Exception:  # the coordinator it talked to was killed: the outcome is the test's
        pass
