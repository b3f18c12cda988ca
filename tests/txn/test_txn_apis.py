"""The transaction APIs at the wire (kio requests): AddPartitionsToTxn v5 (Kafka's batched
broker form, verify_only), DescribeTransactions and ListTransactions filters, InitProducerId
errors, EndTxn on a wrong producer id."""

from __future__ import annotations

import datetime
import uuid

from confluent_kafka import Producer
from kio.schema.add_partitions_to_txn.v5 import request as apt5
from kio.schema.describe_transactions.v0.request import DescribeTransactionsRequest
from kio.schema.end_txn.v3.request import EndTxnRequest
from kio.schema.errors import ErrorCode
from kio.schema.init_producer_id.v4.request import InitProducerIdRequest
from kio.schema.list_transactions.v1.request import ListTransactionsRequest

from tests.support.raw_client import RawClient
from tests.support.txn_clients import new_topic


def _describe(client: RawClient, tid: str):
    (state,) = client.request(
        DescribeTransactionsRequest(transactional_ids=(tid,))
    ).transaction_states
    return state


def test_batched_add_partitions_verify_and_describe(txn_broker):
    bootstrap = txn_broker.bootstrap
    topic = new_topic(bootstrap, 2)
    tid = f"raw-{uuid.uuid4().hex[:6]}"
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": tid})
    p.init_transactions(30)
    p.begin_transaction()
    p.produce(topic, b"x", partition=0)
    p.flush(30)
    client = RawClient(int(bootstrap.rsplit(":", 1)[1]))
    try:
        state = _describe(client, tid)
        assert state.error_code == ErrorCode.none and state.transaction_state == "Ongoing"
        pid, epoch = state.producer_id, state.producer_epoch

        def add(partitions: tuple[int, ...], verify_only: bool):
            txn = apt5.AddPartitionsToTxnTransaction(
                transactional_id=tid,
                producer_id=pid,
                producer_epoch=epoch,
                verify_only=verify_only,
                topics=(apt5.AddPartitionsToTxnTopic(name=topic, partitions=partitions),),
            )
            response = client.request(apt5.AddPartitionsToTxnRequest(transactions=(txn,)))
            assert response.error_code == ErrorCode.none
            (result,) = response.results_by_transaction
            (topic_result,) = result.topic_results
            return {
                r.partition_index: r.partition_error_code for r in topic_result.results_by_partition
            }

        assert add((0, 1), verify_only=True) == {0: ErrorCode.none, 1: ErrorCode.invalid_txn_state}
        assert add((1,), verify_only=False) == {1: ErrorCode.none}
        assert add((0, 1), verify_only=True) == {0: ErrorCode.none, 1: ErrorCode.none}
        (data,) = _describe(client, tid).topics
        assert data.topic == topic and sorted(data.partitions) == [0, 1]

        listed = client.request(
            ListTransactionsRequest(state_filters=("Ongoing", "Bogus"), producer_id_filters=(pid,))
        )
        assert listed.unknown_state_filters == ("Bogus",)
        assert [s.transactional_id for s in listed.transaction_states] == [tid]

        wrong = client.request(
            EndTxnRequest(
                transactional_id=tid, producer_id=pid + 1000, producer_epoch=epoch, committed=True
            )
        )
        assert wrong.error_code == ErrorCode.invalid_producer_id_mapping
        stale = client.request(
            EndTxnRequest(
                transactional_id=tid, producer_id=pid, producer_epoch=epoch - 1, committed=True
            )
        )
        assert stale.error_code == ErrorCode.producer_fenced

        missing = _describe(client, f"none-{uuid.uuid4().hex[:6]}")
        assert missing.error_code == ErrorCode.transactional_id_not_found

        too_long = client.request(
            InitProducerIdRequest(
                transactional_id=tid,
                transaction_timeout=datetime.timedelta(hours=1),
                producer_id=-1,
                producer_epoch=-1,
            )
        )
        assert too_long.error_code == ErrorCode.invalid_transaction_timeout
        p.abort_transaction(30)
    finally:
        client.close()
