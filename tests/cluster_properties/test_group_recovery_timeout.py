"""kafka_group_recovery_timeout_ms bounds the group coordinator's load of a
`__consumer_offsets` partition it comes to lead (core/groups/leadership.py): the wait for its
term to serve and the replay share that time, as Redpanda's group manager gives its barrier
and its read one deadline. A load past it gives up (the groups answer NOT_COORDINATOR) and is
started again at the next leadership check.

One real broker, `__consumer_offsets` of one partition holding ~2 MiB of commits (600 groups,
3.5 KB of metadata each). With the property at 1 ms the restarted broker cannot replay that
(each 1 MiB chunk takes longer): the groups stay unanswered while we look (5 s: several
attempts) and the log names the property. Raised to 30 s, the next attempt loads and the
committed offset is answered."""

from __future__ import annotations

import time
import uuid

from confluent_kafka.admin import AdminClient, NewTopic
from kio.schema.errors import ErrorCode
from kio.schema.offset_commit.v8 import request as commit8
from kio.schema.offset_fetch.v7 import request as fetch7

from tests.cluster_properties.support import set_cluster_config
from tests.support.broker import BrokerProcess
from tests.support.raw_client import RawClient
from tests.support.wait import wait_for

GROUPS = 600
METADATA = "m" * 3_500  # under offset.metadata.max.bytes (4 KiB)
TOPIC = "recovered"
LOOK_S = 5.0
UNANSWERED = {ErrorCode.not_coordinator, ErrorCode.coordinator_load_in_progress}


def _commit(client: RawClient, group: str, offset: int) -> ErrorCode:
    """A simple consumer's commit (no generation) of `offset` with METADATA to TOPIC/0."""
    row = {"partition_index": 0, "committed_offset": offset, "committed_leader_epoch": -1}
    partition = commit8.OffsetCommitRequestPartition(**row, committed_metadata=METADATA)
    topic = commit8.OffsetCommitRequestTopic(name=TOPIC, partitions=(partition,))
    outside = {"generation_id_or_member_epoch": -1, "member_id": "", "group_instance_id": None}
    answer = client.request(commit8.OffsetCommitRequest(group_id=group, topics=(topic,), **outside))
    return answer.topics[0].partitions[0].error_code


def _fetch(port: int, group: str) -> tuple[ErrorCode, int]:
    client = RawClient(port)
    try:
        answer = client.request(
            fetch7.OffsetFetchRequest(
                group_id=group,
                topics=(fetch7.OffsetFetchRequestTopic(name=TOPIC, partition_indexes=(0,)),),
                require_stable=False,
            )
        )
    finally:
        client.close()
    if answer.error_code != ErrorCode.none:
        return answer.error_code, -1
    row = answer.topics[0].partitions[0]
    return row.error_code, int(row.committed_offset)


def test_groups_load_only_within_the_recovery_timeout(tmp_path):
    broker = BrokerProcess(
        tmp_path / "broker", "--set", "group_topic_partitions=1", die_with_parent=True
    ).start()
    try:
        admin = AdminClient({"bootstrap.servers": broker.bootstrap})
        admin.create_topics([NewTopic(TOPIC, 1, 1)])[TOPIC].result(30)
        groups = [f"g-{i}-{uuid.uuid4().hex[:6]}" for i in range(GROUPS)]
        client = RawClient(broker.kafka_port)
        try:
            for i, group in enumerate(groups):
                assert _commit(client, group, 1_000 + i) == ErrorCode.none, group
        finally:
            client.close()
        assert _fetch(broker.kafka_port, groups[0]) == (ErrorCode.none, 1_000)

        set_cluster_config(broker.admin_port, kafka_group_recovery_timeout_ms=1)
        broker.restart()
        deadline = time.monotonic() + LOOK_S
        while time.monotonic() < deadline:
            code, _offset = _fetch(broker.kafka_port, groups[0])
            assert code in UNANSWERED, code
            time.sleep(0.25)
        assert "kafka_group_recovery_timeout_ms=1 ms" in broker.log_text(since_start=True)

        set_cluster_config(broker.admin_port, kafka_group_recovery_timeout_ms=30_000)
        last = GROUPS - 1
        wait_for(
            lambda: _fetch(broker.kafka_port, groups[last]) == (ErrorCode.none, 1_000 + last),
            "the groups to load",
            30,
        )
    finally:
        broker.stop()
