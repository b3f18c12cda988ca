"""The group APIs on the wire, at exact versions, through kio entities."""

from __future__ import annotations

import datetime

import pytest
from kio.schema.describe_groups.v5 import request as dg5
from kio.schema.errors import ErrorCode as E
from kio.schema.find_coordinator.v0 import request as fc0
from kio.schema.find_coordinator.v4 import request as fc4
from kio.schema.heartbeat.v4 import request as hb4
from kio.schema.join_group.v0 import request as jg0
from kio.schema.join_group.v6 import request as jg6
from kio.schema.leave_group.v4 import request as lg4
from kio.schema.list_groups.v4 import request as lsg4
from kio.schema.offset_commit.v8 import request as oc8
from kio.schema.offset_delete.v0 import request as od0
from kio.schema.offset_fetch.v1 import request as of1
from kio.schema.offset_fetch.v7 import request as of7
from kio.schema.sync_group.v4 import request as sg4

from tests.support.groups import GROUP_BROKER_ARGS, subscription
from tests.support.raw_client import RawClient
from tests.support.topics import make_topic

MS = datetime.timedelta(milliseconds=1)
SUBSCRIPTION = subscription("t")


@pytest.fixture
def client(broker_factory):
    broker = broker_factory(*GROUP_BROKER_ARGS)
    make_topic(broker.bootstrap, "t", 2)
    raw = RawClient(broker.kafka_port)
    raw.broker = broker
    yield raw
    raw.close()


def _join6(client, member_id="", group="wire", instance=None):
    return client.request(
        jg6.JoinGroupRequest(
            group_id=group,
            session_timeout=6_000 * MS,
            rebalance_timeout=10_000 * MS,
            member_id=member_id,
            group_instance_id=instance,
            protocol_type="consumer",
            protocols=(jg6.JoinGroupRequestProtocol(name="range", metadata=SUBSCRIPTION),),
        )
    )


def test_find_coordinator_single_and_batched(client):
    single = client.request(fc0.FindCoordinatorRequest(key="wire"))
    assert single.error_code is E.none and single.port == client.broker.kafka_port
    batched = client.request(
        fc4.FindCoordinatorRequest(key_type=0, coordinator_keys=("a", "b", "c"))
    )
    assert [c.key for c in batched.coordinators] == ["a", "b", "c"]
    assert all(
        c.error_code is E.none and c.node_id == client.broker.node_id for c in batched.coordinators
    )
    txn = client.request(fc4.FindCoordinatorRequest(key_type=1, coordinator_keys=("tx",)))
    assert txn.coordinators[0].error_code is E.none
    bad = client.request(fc4.FindCoordinatorRequest(key_type=7, coordinator_keys=("x",)))
    assert bad.coordinators[0].error_code is E.invalid_request


def test_member_lifecycle_on_the_wire(client):
    first = _join6(client)
    assert first.error_code is E.member_id_required and first.member_id
    joined = _join6(client, first.member_id)
    assert joined.error_code is E.none and joined.leader == joined.member_id == first.member_id
    assert [(m.member_id, m.metadata) for m in joined.members] == [(first.member_id, SUBSCRIPTION)]
    gen, me = joined.generation_id, joined.member_id
    synced = client.request(
        sg4.SyncGroupRequest(
            group_id="wire",
            generation_id=gen,
            member_id=me,
            group_instance_id=None,
            assignments=(sg4.SyncGroupRequestAssignment(member_id=me, assignment=b"mine"),),
        )
    )
    assert synced.error_code is E.none and synced.assignment == b"mine"
    ok = client.request(hb4.HeartbeatRequest(group_id="wire", generation_id=gen, member_id=me))
    stale = client.request(
        hb4.HeartbeatRequest(group_id="wire", generation_id=gen - 1, member_id=me)
    )
    assert (ok.error_code, stale.error_code) == (E.none, E.illegal_generation)

    committed = client.request(
        oc8.OffsetCommitRequest(
            group_id="wire",
            generation_id_or_member_epoch=gen,
            member_id=me,
            group_instance_id=None,
            topics=(
                oc8.OffsetCommitRequestTopic(
                    name="t",
                    partitions=(
                        oc8.OffsetCommitRequestPartition(
                            partition_index=0,
                            committed_offset=17,
                            committed_leader_epoch=2,
                            committed_metadata="hello",
                        ),
                        oc8.OffsetCommitRequestPartition(
                            partition_index=9,
                            committed_offset=1,
                            committed_leader_epoch=-1,
                            committed_metadata=None,
                        ),
                    ),
                ),
                oc8.OffsetCommitRequestTopic(
                    name="nope",
                    partitions=(
                        oc8.OffsetCommitRequestPartition(
                            partition_index=0,
                            committed_offset=1,
                            committed_leader_epoch=-1,
                            committed_metadata=None,
                        ),
                    ),
                ),
            ),
        )
    )
    errors = {
        (t.name, p.partition_index): p.error_code for t in committed.topics for p in t.partitions
    }
    assert errors == {
        ("t", 0): E.none,
        ("t", 9): E.unknown_topic_or_partition,
        ("nope", 0): E.unknown_topic_or_partition,
    }

    everything = client.request(
        of7.OffsetFetchRequest(group_id="wire", topics=None, require_stable=True)
    )
    assert everything.error_code is E.none
    (topic,) = everything.topics
    (p0,) = topic.partitions
    assert (
        topic.name,
        p0.partition_index,
        p0.committed_offset,
        p0.committed_leader_epoch,
        p0.metadata,
    ) == ("t", 0, 17, 2, "hello")
    old = client.request(
        of1.OffsetFetchRequest(
            group_id="wire",
            topics=(of1.OffsetFetchRequestTopic(name="t", partition_indexes=(0, 1)),),
        )
    )
    assert [(p.committed_offset, p.error_code) for p in old.topics[0].partitions] == [
        (17, E.none),
        (-1, E.none),
    ]

    listed = client.request(lsg4.ListGroupsRequest(states_filter=("Stable",)))
    assert [(g.group_id, g.group_state) for g in listed.groups] == [("wire", "Stable")]
    assert client.request(lsg4.ListGroupsRequest(states_filter=("Empty",))).groups == ()
    described = client.request(
        dg5.DescribeGroupsRequest(groups=("wire", "ghost"), include_authorized_operations=False)
    )
    wire, ghost = described.groups
    assert (wire.group_state, wire.protocol_data, wire.members[0].member_assignment) == (
        "Stable",
        "range",
        b"mine",
    )
    assert (ghost.error_code, ghost.group_state) == (E.none, "Dead")
    refused = client.request(
        od0.OffsetDeleteRequest(
            group_id="wire",
            topics=(
                od0.OffsetDeleteRequestTopic(
                    name="t", partitions=(od0.OffsetDeleteRequestPartition(partition_index=0),)
                ),
            ),
        )
    )
    assert refused.topics[0].partitions[0].error_code is E.group_subscribed_to_topic

    left = client.request(
        lg4.LeaveGroupRequest(
            group_id="wire",
            members=(
                lg4.MemberIdentity(member_id=me, group_instance_id=None),
                lg4.MemberIdentity(member_id="stranger", group_instance_id=None),
            ),
        )
    )
    assert left.error_code is E.none
    assert [m.error_code for m in left.members] == [E.none, E.unknown_member_id]
    deleted = client.request(
        od0.OffsetDeleteRequest(
            group_id="wire",
            topics=(
                od0.OffsetDeleteRequestTopic(
                    name="t", partitions=(od0.OffsetDeleteRequestPartition(partition_index=0),)
                ),
            ),
        )
    )
    assert deleted.error_code is E.none and deleted.topics[0].partitions[0].error_code is E.none


def test_join_group_v0_needs_no_member_id_handshake(client):
    joined = client.request(
        jg0.JoinGroupRequest(
            group_id="old",
            session_timeout=6_000 * MS,
            member_id="",
            protocol_type="consumer",
            protocols=(jg0.JoinGroupRequestProtocol(name="range", metadata=SUBSCRIPTION),),
        )
    )
    assert joined.error_code is E.none and joined.generation_id == 1
    too_short = client.request(
        jg0.JoinGroupRequest(
            group_id="old2",
            session_timeout=10 * MS,
            member_id="",
            protocol_type="consumer",
            protocols=(jg0.JoinGroupRequestProtocol(name="range", metadata=SUBSCRIPTION),),
        )
    )
    assert too_short.error_code is E.invalid_session_timeout
