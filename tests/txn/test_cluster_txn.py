"""Transactions on three brokers: the exactly-once transformer keeps running while the
transaction coordinator of its transactional id and the leader of an output partition are
killed with SIGKILL during its commits (and restarted); the output holds each input once."""

from __future__ import annotations

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
