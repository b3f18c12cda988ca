"""PartitionManager on one node (no RaftGroups): replicas open only where this node is
assigned, single-voter groups lead at once, and the leaders table answers the rest."""

from __future__ import annotations

import pytest

from core.cluster.errors import ClusterErrc, ClusterError
from core.cluster.partition_manager import PartitionManager
from core.cluster.topic_table import TopicTable
from core.common.clock import ManualClock
from core.config.cluster_properties import ClusterConfigStore
from core.storage.group_commit import GroupCommit


@pytest.fixture
async def manager(tmp_path):
    flusher = GroupCommit()
    flusher.start()
    table = TopicTable(default_node_id=1)
    partitions = PartitionManager(tmp_path, 1, table, ClusterConfigStore(), flusher, ManualClock())
    yield partitions
    partitions.close_all()
    await flusher.stop()


def create(manager: PartitionManager, name: str, assignments, offset: int) -> None:
    manager.topics.apply_create(
        {
            "name": name,
            "topic_id": f"id-{name}",
            "partitions": len(assignments),
            "replication_factor": len(assignments[0]),
            "configs": {},
            "assignments": assignments,
        },
        offset,
    )


async def test_only_assigned_replicas_open_and_lead_or_defer(manager):
    create(manager, "t", [[1], [2], [1, 2, 3]], 5)
    assert sorted(p.index for p in manager.all()) == [0, 2]
    mine = manager.describe("t", 0)
    assert (mine.leader_id, mine.replicas, mine.in_sync) == (1, (1,), (1,))
    assert mine.raft_group_id == 5 * 10_000 + 1
    assert manager.leader("t", 0).leader_epoch == mine.leader_epoch
    elsewhere = manager.describe("t", 1)
    assert (elsewhere.leader_id, elsewhere.leader_epoch, elsewhere.replicas) == (None, -1, (2,))
    for index in (1, 2):  # led elsewhere / a multi-voter group without RaftGroups never elects
        with pytest.raises(ClusterError) as raised:
            manager.leader("t", index)
        assert raised.value.errc is ClusterErrc.not_leader
    manager.leaders.set_local("t", 1, 5, 2, 4)  # as node 2 would tell us
    assert manager.describe("t", 1).leader_id == 2
    manager.leaders.set_local("t", 1, 4, 3, 9)  # a deleted incarnation's news is ignored
    assert manager.describe("t", 1).leader_epoch == 4
    assert manager.describe("t", 3) is None and manager.describe("nope", 0) is None
    with pytest.raises(ClusterError) as raised:
        manager.leader("nope", 0)
    assert raised.value.errc is ClusterErrc.partition_not_found


async def test_leadership_listeners_hear_each_local_replica(manager):
    heard = []
    manager.add_leadership_listener(lambda p: heard.append((p.topic, p.index, p.is_leader)))
    create(manager, "u", [[1], [3]], 9)
    assert ("u", 0, True) in heard and all(index == 0 for _, index, _ in heard)
    manager.topics.apply_delete({"name": "u"}, 10)
    assert manager.describe("u", 0) is None and manager.leaders.get("u", 0) is None
