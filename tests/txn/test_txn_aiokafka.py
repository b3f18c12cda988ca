"""aiokafka's transactional producer against a real broker: commit and abort over several
partitions (checked by the transactional history checker), and offsets sent to a transaction
that a consumer group sees only once it commits."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from tests.support.jepsen_txn import TxnHistory, check_txn
from tests.support.txn_clients import new_topic, read_all, values

PARTITIONS = 4


def test_aiokafka_commit_and_abort(txn_broker):
    bootstrap = txn_broker.bootstrap
    topic = new_topic(bootstrap, PARTITIONS)
    history = TxnHistory()

    async def run() -> None:
        p = AIOKafkaProducer(
            bootstrap_servers=bootstrap, transactional_id=f"aio-{uuid.uuid4().hex[:6]}"
        )
        await p.start()
        try:
            for k in range(6):
                await p.begin_transaction()
                txn = history.begin("aiokafka")
                for i in range(20):
                    value = f"aio-{k}-{i}"
                    await p.send(topic, value.encode(), partition=i % PARTITIONS)
                    history.write(txn, (topic, i % PARTITIONS), value)
                await p.flush()  # the aborted ones reach the log too
                if k % 3 == 2:
                    await p.abort_transaction()
                    history.end(txn, "aborted")
                else:
                    await p.commit_transaction()
                    history.end(txn, "committed")
        finally:
            await p.stop()

    asyncio.run(run())
    committed = read_all(bootstrap, topic, PARTITIONS, "read_committed")
    check_txn(history, committed).assert_valid()
    assert len(values(committed)) == 4 * 20
    assert len(values(read_all(bootstrap, topic, PARTITIONS, "read_uncommitted"))) == 6 * 20


def test_aiokafka_offsets_visible_at_commit(txn_broker):
    bootstrap = txn_broker.bootstrap
    source, sink = new_topic(bootstrap, 1), new_topic(bootstrap, 1)
    group = f"aio-g-{uuid.uuid4().hex[:6]}"
    tp = TopicPartition(source, 0)

    async def committed_offset() -> int | None:
        c = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
        await c.start()
        try:
            return await c.committed(tp)
        finally:
            await c.stop()

    async def run() -> tuple[int | None, int | None, int | None]:
        p = AIOKafkaProducer(
            bootstrap_servers=bootstrap, transactional_id=f"aio-o-{uuid.uuid4().hex[:6]}"
        )
        await p.start()
        try:
            await p.begin_transaction()
            await p.send_and_wait(sink, b"out-1", partition=0)
            await p.send_offsets_to_transaction({tp: 7}, group)
            during = await committed_offset()
            await p.commit_transaction()
            after_commit = await committed_offset()
            await p.begin_transaction()
            await p.send_and_wait(sink, b"out-2", partition=0)
            await p.send_offsets_to_transaction({tp: 9}, group)
            await p.abort_transaction()
            after_abort = await committed_offset()
        finally:
            await p.stop()
        return during, after_commit, after_abort

    during, after_commit, after_abort = asyncio.run(run())
    assert during is None  # pending in the open transaction
    assert after_commit == 7
    assert after_abort == 7  # the aborted transaction's offset never lands
    assert values(read_all(bootstrap, sink, 1, "read_committed")) == ["out-1"]
