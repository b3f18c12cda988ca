"""PartitionJournal against a real PartitionManager and DiskLog in a temp dir."""

from __future__ import annotations

from kio.schema.errors import ErrorCode as E

from core.cluster.partition_manager import PartitionManager
from core.cluster.topic_table import TopicTable
from core.common.clock import ManualClock
from core.config.cluster_properties import ClusterConfigStore
from core.groups.journal import PartitionJournal
from core.groups.router import OFFSETS_TOPIC
from core.model.records import iter_batches
from core.raft.group_commit import GroupCommit


async def test_appends_keep_their_order_share_batches_and_are_readable(tmp_path):
    flusher = GroupCommit()
    flusher.start()
    table = TopicTable()
    clock = ManualClock()
    partitions = PartitionManager(tmp_path, 0, table, ClusterConfigStore(), flusher, clock)
    table.apply_create(
        {
            "name": OFFSETS_TOPIC,
            "topic_id": "id",
            "partitions": 2,
            "replication_factor": 1,
            "configs": {"cleanup.policy": "compact"},
        },
        1,
    )
    journal = PartitionJournal(partitions, clock)
    try:
        first = journal.append(0, [(b"k1", b"v1")])
        second = journal.append(0, [(b"k2", None), (b"k1", b"v1b")])
        other = journal.append(1, [(b"k3", b"v3")])
        missing = journal.append(5, [(b"k", b"v")])
        assert [await c for c in (first, second, other, missing)] == [
            E.none,
            E.none,
            E.none,
            E.not_coordinator,
        ]
        third = journal.append(0, [(b"k4", b"v4")])
        assert await third is E.none

        p0 = partitions.get(OFFSETS_TOPIC, 0)
        batches = [
            [(r.key, r.value) for r in records]
            for header, records in iter_batches(p0.read_bytes(0, 1 << 20))
            if not header.is_control
        ]
        assert [kv for batch in batches for kv in batch] == [
            (b"k1", b"v1"),
            (b"k2", None),
            (b"k1", b"v1b"),
            (b"k4", b"v4"),
        ]
        assert len(batches[0]) == 3  # appends queued together went out as one batch

        await journal.close()
        assert journal.append(0, [(b"late", b"x")]).value is E.coordinator_not_available
    finally:
        await flusher.stop()
        partitions.close_all()
