"""Controller snapshots, one state owner at a time (core.cluster.controller_snapshot): each
owner's snapshot, through JSON, restored into a fresh owner, gives the same observable state
and the same state again after one more command; listeners hear the restore; the snapshot
file round trips, refuses torn or corrupt bytes and never goes back to an older offset."""

from __future__ import annotations

import json

import pytest

from core.cluster.config_frontend import CLUSTER_CONFIG_DELTA, ClusterConfigFrontend
from core.cluster.controller_snapshot import (
    ControllerSnapshot,
    SnapshotError,
    SnapshotFile,
    StateOwners,
)
from core.cluster.id_allocator import ProducerIdAllocator
from core.cluster.members import Member, Members
from core.cluster.metadata import KafkaEndpoint
from core.cluster.topic_table import TopicTable
from core.config.cluster_properties import ClusterConfigStore
from core.security.acls import ACLS_CREATE, ACLS_DELETE, AclFilter, AclStore
from core.security.scram import SCRAM_SHA_256, derive_credential
from core.security.users import USER_DELETE, USER_UPSERT, UserFrontend


class RecordingController:
    """Routes commands to appliers and keeps the state owners, as Controller does."""

    node_id = 0

    def __init__(self) -> None:
        self.appliers: dict = {}
        self.owners = StateOwners()
        self.offset = 0

    def register(self, command_type, apply_fn) -> None:
        self.appliers[command_type] = lambda payload, _offset: apply_fn(payload)

    def register_with_offset(self, command_type, apply_fn) -> None:
        self.appliers[command_type] = apply_fn

    def register_state(self, name, *, commands, snapshot, restore) -> None:
        self.owners.add(name, commands, snapshot, restore)

    def apply(self, command_type: str, payload: dict) -> int:
        self.offset += 1
        self.appliers[command_type](json.loads(json.dumps(payload)), self.offset)
        return self.offset

    async def submit(self, command_type, payload) -> int:
        return self.apply(command_type, payload)

    def restored_from(self, other: RecordingController) -> RecordingController:
        """`other`'s snapshot, through its encoded bytes, restored into this one."""
        snapshot = other.owners.capture(other.offset, 1)
        self.owners.restore(ControllerSnapshot.decode(snapshot.encode()))
        self.offset = other.offset
        return self


def through_json(state: dict) -> dict:
    return json.loads(json.dumps(state))


def test_topic_table_round_trip_and_listeners():
    before, after = TopicTable(default_node_id=7), TopicTable(default_node_id=7)
    create = {"topic_id": "a-id", "replication_factor": 3, "configs": {"cleanup.policy": "compact"}}
    before.apply_create(
        {"name": "a", "partitions": 2, **create, "assignments": [[1, 2], [2, 1]]}, 5
    )
    before.apply_create(
        {"name": "old", "topic_id": "o", "replication_factor": 1, "partitions": 1}, 6
    )
    before.apply_create(
        {"name": "gone", "topic_id": "g", "replication_factor": 1, "partitions": 1}, 7
    )
    before.apply_create_partitions({"name": "a", "count": 3, "assignments": [[3, 1]]}, 8)
    before.apply_update_config({"name": "old", "configs": {"retention.ms": "5"}}, 9)
    before.apply_delete({"name": "gone"}, 10)
    heard = []
    after.subscribe(lambda event, meta: heard.append((event, meta.name)))
    after.restore(through_json(before.snapshot()))
    assert after.topics == before.topics
    assert after.by_id("a-id") is after.get("a") and after.by_id("g") is None
    assert after.get("a").assignments == [(1, 2), (2, 1), (3, 1)]
    assert after.get("old").assignments == [(7,)] and after.get("a").partition_revisions == [
        5,
        5,
        8,
    ]
    assert sorted(heard) == [("created", "a"), ("created", "old")]
    for table in (before, after):
        table.apply_create_partitions({"name": "old", "count": 2}, 11)
    assert after.topics == before.topics and after.replica_counts() == before.replica_counts()


def member(node_id: int, port: int = 9092) -> Member:
    listeners = (KafkaEndpoint("internal", "10.0.0.1", port), KafkaEndpoint("ext", "h", 1))
    return Member(
        node_id, f"uuid-{node_id}", "127.0.0.1", port, "127.0.0.1", 33145, "r1", listeners
    )


def test_members_round_trip_keeps_ids_listeners_and_the_cluster_name():
    before, after = Members(), Members()
    before.apply_bootstrap({"cluster_uuid": "c-1", "founders": [2, 0, 1]}, 0)
    for i in range(3):
        before.apply_register(member(i).as_payload(), i + 1)
    before.apply_register(member(1, port=9999).as_payload(), 4)  # updated
    joiner = {**member(0).as_payload(), "node_id": None, "uuid": "new"}
    before.apply_register(joiner, 5)  # gets id 3
    heard, named = [], []
    after.subscribe(lambda event, m: heard.append((event, m.node_id)))
    after.on_bootstrap(named.append)
    after.restore(through_json(before.snapshot()))
    assert after.all() == before.all() and after.get(1) == member(1, port=9999)
    assert after.get(3) is not None and after.get(3).uuid == "new"
    assert (after.cluster_uuid, after.founders) == ("c-1", (0, 1, 2))
    assert heard == [("added", i) for i in range(4)] and named == ["c-1"]
    # the next id handed out is the same on both (the largest id ever assigned was kept)
    for table in (before, after):
        table.apply_register({**joiner, "uuid": "newer"}, 6)
    assert after.get(4) == before.get(4) and after.get(4) is not None


def test_users_round_trip_keeps_credentials():
    ctl, fresh = RecordingController(), RecordingController()
    users, restored = UserFrontend(ctl), UserFrontend(fresh)
    for name in ("alice", "bob", "carol"):
        cred = derive_credential(SCRAM_SHA_256, f"pw-{name}")
        ctl.apply(USER_UPSERT, {"username": name, "credential": cred.to_json()})
    ctl.apply(USER_DELETE, {"username": "bob"})
    fresh.restored_from(ctl)
    assert restored.list() == users.list() == ["alice", "carol"]
    assert restored.credential("alice") == users.credential("alice")
    assert restored.verify_password("carol", "pw-carol")
    assert not restored.verify_password("bob", "pw-bob")


def test_acls_round_trip_keeps_bindings_version_and_tells_listeners():
    ctl, fresh = RecordingController(), RecordingController()
    acls, restored = AclStore(ctl), AclStore(fresh)
    rows = [
        [2, "orders", 3, "User:alice", "*", 3, 3],
        [2, "logs-", 4, "User:*", "*", 2, 3],
        [3, "g", 3, "User:bob", "10.0.0.1", 3, 2],
    ]
    ctl.apply(ACLS_CREATE, {"acls": rows})
    ctl.apply(ACLS_DELETE, {"acls": rows[2:]})
    changes = []
    restored.on_change(lambda: changes.append(restored.version))
    fresh.restored_from(ctl)
    everything = AclFilter(1, None, 1, None, None, 1, 1)
    assert restored.describe(everything) == acls.describe(everything)
    assert len(restored.describe(everything)) == 2
    assert restored.version == acls.version == 2 and changes == [2]
    assert restored.for_type(acls.describe(everything)[0].resource_type)


def test_cluster_config_round_trip_keeps_what_the_log_set_not_local_overrides():
    ctl, fresh = RecordingController(), RecordingController()
    store, restored_store = ClusterConfigStore(), ClusterConfigStore()
    ClusterConfigFrontend(ctl, store)
    ClusterConfigFrontend(fresh, restored_store)
    ctl.apply(CLUSTER_CONFIG_DELTA, {"upsert": {"log_retention_ms": 1000, "no_such": 1}})
    ctl.apply(CLUSTER_CONFIG_DELTA, {"upsert": {"log_retention_ms": "bad"}, "remove": []})
    ctl.apply(CLUSTER_CONFIG_DELTA, {"upsert": {"log_segment_size": 1 << 24}})
    ctl.apply(CLUSTER_CONFIG_DELTA, {"upsert": {}, "remove": ["log_segment_size"]})
    ctl.apply(CLUSTER_CONFIG_DELTA, {"upsert": {"auto_create_topics_enabled": True}})
    # a node-local override (core.config.overrides) is in the store, not in the log
    store.apply({"kafka_connections_max": 7}, [], version=store.version)
    changed = []
    restored_store.subscribe(changed.append)
    fresh.restored_from(ctl)
    assert restored_store.values(include_defaults=False) == {
        "auto_create_topics_enabled": True,
        "log_retention_ms": 1000,  # the invalid forced value was never used
    }
    assert restored_store.unknown == ["no_such"] and restored_store.invalid == ["log_retention_ms"]
    assert restored_store.version == store.version == 5
    assert changed == [{"auto_create_topics_enabled": True, "log_retention_ms": 1000}]
    for c in (ctl, fresh):
        c.apply(CLUSTER_CONFIG_DELTA, {"upsert": {"log_retention_ms": 5}, "remove": ["no_such"]})
    assert restored_store.values(False)["log_retention_ms"] == store.get("log_retention_ms") == 5
    assert restored_store.unknown == store.unknown == [] and restored_store.invalid == []


def test_producer_ids_round_trip_keeps_the_reserved_end():
    ctl, fresh = RecordingController(), RecordingController()
    pids, restored = ProducerIdAllocator(ctl), ProducerIdAllocator(fresh)
    ctl.apply("allocate_producer_ids", {"start": 0, "end": 5_000})
    ctl.apply("allocate_producer_ids", {"count": 1000, "node_id": 3})
    fresh.restored_from(ctl)
    assert restored.reserved_end == pids.reserved_end == 6_000
    offsets = [
        c.apply("allocate_producer_ids", {"count": 1000, "node_id": 0}) for c in (ctl, fresh)
    ]
    assert restored.claim(offsets[1]) == pids.claim(offsets[0]) == (6_000, 7_000)


def test_owners_cover_their_commands_and_a_snapshot_lacking_one_is_noticed():
    ctl = RecordingController()
    UserFrontend(ctl), AclStore(ctl), ProducerIdAllocator(ctl)
    ClusterConfigFrontend(ctl, ClusterConfigStore())
    assert ctl.owners.uncovered(ctl.appliers) == []
    assert ctl.owners.uncovered([*ctl.appliers, "brand_new"]) == ["brand_new"]
    partial = ControllerSnapshot(3, 1, {"users": {"users": {}}})
    assert ctl.owners.missing(partial) == ["acls", "cluster_config", "producer_ids"]


def test_snapshot_file_round_trip_refuses_torn_bytes_and_keeps_the_newest(tmp_path):
    file = SnapshotFile(tmp_path)
    assert file.read() is None
    snap = ControllerSnapshot(41, 3, {"topics": {"topics": []}, "x": {"n": [1, "é"]}})
    assert file.write(snap) and file.read() == snap
    assert not file.write(ControllerSnapshot(40, 3, {})) and file.read() == snap  # older
    data = file.path.read_bytes()
    for bad in (data[:-3], data.replace(b'"n"', b'"m"'), b"", b"garbage\n{}", data[:10]):
        file.path.write_bytes(bad)
        assert file.read() is None
        with pytest.raises(SnapshotError):
            ControllerSnapshot.decode(bad)
    assert not list(tmp_path.glob("*.tmp"))
