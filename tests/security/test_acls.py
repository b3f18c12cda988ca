"""ACLs and the authorizer with SASL on (kafka_enable_authorization null follows enable_sasl):
a user without ACLs cannot produce, consume or see a topic; an ALLOW lets her; DENY wins;
prefixed patterns; superusers bypass; Create/Describe/DeleteAcls through confluent-kafka's
AdminClient; ACLs survive a restart. One broker for the module (restarted by the last test)."""

from __future__ import annotations

import time

import confluent_kafka as ck
import pytest
from confluent_kafka import ConsumerGroupTopicPartitions
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewPartitions,
    NewTopic,
    OffsetSpec,
    ResourcePatternType,
    ResourceType,
)

from tests.support.broker import BrokerProcess
from tests.support.raw_client import RawClient
from tests.support.rpk import run_in_process
from tests.support.security import (
    SUPERUSER,
    confluent_sasl,
    create_user,
    kafka_python_sasl,
    raw_plain_login,
    sasl_args,
)

MECH = "SCRAM-SHA-256"
ALICE = ("alice", "alice-pw")
BOB = ("bob", "bob-pw")
TOPICS = ("t", "d-x", "d-y", "p-1", "q-1", "r-1")


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    b = BrokerProcess(tmp_path_factory.mktemp("acls") / "broker", *sasl_args()).start()
    try:
        for user in (SUPERUSER, ALICE, BOB):
            create_user(b, *user, mechanism=MECH)
        admin = _admin(b, SUPERUSER)
        for f in admin.create_topics([NewTopic(t, 1, 1) for t in TOPICS]).values():
            f.result(15)
        yield b
    finally:
        b.stop()


def _cfg(broker, who) -> dict:
    return confluent_sasl(broker, *who, MECH)


def _admin(broker, who) -> AdminClient:
    return AdminClient(_cfg(broker, who))


def _acl(name, op, perm=AclPermissionType.ALLOW, principal="User:alice", pattern=None, rt=None):
    return AclBinding(
        rt or ResourceType.TOPIC,
        name,
        pattern or ResourcePatternType.LITERAL,
        principal,
        "*",
        op,
        perm,
    )


def _create(broker, *bindings) -> None:
    admin = _admin(broker, SUPERUSER)  # kept alive until the futures resolve
    for f in admin.create_acls(list(bindings)).values():
        f.result(10)


def _produce(broker, who, topic) -> ck.KafkaError | None:
    errors: list = []
    # a denial is final at once; the generous timeout is for a broker still opening its
    # partitions after a restart on a loaded machine
    producer = ck.Producer({**_cfg(broker, who), "message.timeout.ms": 20_000})
    producer.produce(topic, b"v", on_delivery=lambda err, _msg: errors.append(err))
    producer.flush(30)
    return errors[0] if errors else "not delivered"


def _read_errors(broker, who, topic) -> set[int]:
    """The error codes a consumer (assigned, no group membership) meets reading `topic`."""
    consumer = ck.Consumer({**_cfg(broker, who), "group.id": "g-a", "enable.auto.commit": False})
    consumer.assign([ck.TopicPartition(topic, 0, ck.OFFSET_BEGINNING)])
    codes = set()
    deadline = time.monotonic() + 10
    while ck.KafkaError.TOPIC_AUTHORIZATION_FAILED not in codes and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None:
            assert msg.error() is not None, "a record was read without READ"
            codes.add(msg.error().code())
    consumer.close()
    return codes


def _visible_topics(broker, who) -> set[str]:
    admin = _admin(broker, who)
    return set(admin.list_topics(timeout=10).topics)


def test_a_user_without_acls_is_denied_everything(broker):
    err = _produce(broker, ALICE, "t")
    assert err is not None and err.code() == ck.KafkaError.TOPIC_AUTHORIZATION_FAILED
    assert "t" not in _visible_topics(broker, ALICE)  # left out of Metadata, as Kafka does


def test_an_allow_acl_lets_her_write(broker):
    _create(broker, _acl("t", AclOperation.WRITE))
    assert _produce(broker, ALICE, "t") is None
    assert "t" in _visible_topics(broker, ALICE)  # WRITE implies DESCRIBE
    assert "t" not in _visible_topics(broker, BOB)
    assert ck.KafkaError.TOPIC_AUTHORIZATION_FAILED in _read_errors(broker, ALICE, "t")


def test_an_idempotent_producer_needs_only_a_topic_write(broker):
    """InitProducerId is allowed to whoever may WRITE some topic (KIP-679), not only to holders
    of IDEMPOTENT_WRITE on the cluster."""
    from kafka import KafkaProducer

    cfg = kafka_python_sasl(broker, *ALICE, MECH)
    producer = KafkaProducer(enable_idempotence=True, **cfg)
    try:
        producer.send("t", b"idempotent").get(timeout=10)
    finally:
        producer.close()


def test_metadata_reports_the_authorized_operations(broker):
    from kio.schema.metadata.v8.request import MetadataRequest, MetadataRequestTopic

    client = RawClient(broker.kafka_port)
    try:
        raw_plain_login(client, *ALICE)
        response = client.request(
            MetadataRequest(
                topics=(MetadataRequestTopic(name="t"),),
                allow_auto_topic_creation=False,
                include_cluster_authorized_operations=True,
                include_topic_authorized_operations=True,
            )
        )
    finally:
        client.close()
    (topic,) = response.topics
    assert topic.topic_authorized_operations == (1 << 4) | (1 << 8)  # WRITE, DESCRIBE
    assert response.cluster_authorized_operations == 0


def test_deny_wins_over_allow_and_prefixes_match(broker):
    _create(
        broker,
        _acl("d-", AclOperation.ALL, pattern=ResourcePatternType.PREFIXED),
        _acl("d-x", AclOperation.WRITE, perm=AclPermissionType.DENY),
    )
    assert _produce(broker, ALICE, "d-y") is None
    err = _produce(broker, ALICE, "d-x")
    assert err is not None and err.code() == ck.KafkaError.TOPIC_AUTHORIZATION_FAILED
    assert {"d-x", "d-y"} <= _visible_topics(broker, ALICE)  # DENY WRITE leaves DESCRIBE
    err = _produce(broker, ALICE, "p-1")
    assert err is not None and err.code() == ck.KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_superusers_bypass_acls(broker):
    assert _produce(broker, SUPERUSER, "q-1") is None
    assert set(TOPICS) <= _visible_topics(broker, SUPERUSER)


def test_acl_apis_need_cluster_permissions(broker):
    bob = _admin(broker, BOB)
    futures = bob.create_acls([_acl("t", AclOperation.READ, principal="User:bob")])
    with pytest.raises(ck.KafkaException) as info:
        next(iter(futures.values())).result(10)
    assert info.value.args[0].code() == ck.KafkaError.CLUSTER_AUTHORIZATION_FAILED


def test_describe_and_delete_acls(broker):
    _create(broker, _acl("gone", AclOperation.READ, principal="User:bob"))
    any_filter = AclBindingFilter(
        ResourceType.ANY,
        None,
        ResourcePatternType.ANY,
        "User:bob",
        None,
        AclOperation.ANY,
        AclPermissionType.ANY,
    )
    admin = _admin(broker, SUPERUSER)
    described = admin.describe_acls(any_filter).result(10)
    assert [(b.name, b.operation) for b in described] == [("gone", AclOperation.READ)]
    match = AclBindingFilter(
        ResourceType.TOPIC,
        "d-x",
        ResourcePatternType.MATCH,
        None,
        None,
        AclOperation.ANY,
        AclPermissionType.ANY,
    )
    names = sorted((b.name, b.resource_pattern_type) for b in admin.describe_acls(match).result(10))
    assert names == [
        ("d-", ResourcePatternType.PREFIXED),
        ("d-x", ResourcePatternType.LITERAL),
    ]
    deleted = admin.delete_acls([any_filter])[any_filter].result(10)
    assert [b.name for b in deleted] == ["gone"]
    assert admin.describe_acls(any_filter).result(10) == []


def _denials(admin: AdminClient) -> dict[str, int]:
    """What each Admin API call as a user without ACLs fails with (its Kafka error code)."""
    topic, group = ck.TopicPartition("t", 0), "g-denied"
    calls = {
        "CreateTopics": lambda: admin.create_topics([NewTopic("new-t", 1, 1)])["new-t"],
        "DeleteTopics": lambda: admin.delete_topics(["t"])["t"],
        "CreatePartitions": lambda: admin.create_partitions([NewPartitions("t", 2)])["t"],
        "DescribeConfigs(topic)": lambda: next(
            iter(admin.describe_configs([ConfigResource("TOPIC", "t")]).values())
        ),
        "DescribeConfigs(broker)": lambda: next(
            iter(admin.describe_configs([ConfigResource("BROKER", "0")]).values())
        ),
        "IncrementalAlterConfigs": lambda: next(
            iter(
                admin.incremental_alter_configs(
                    [
                        ConfigResource(
                            "TOPIC",
                            "t",
                            incremental_configs=[
                                ConfigEntry(
                                    "retention.ms",
                                    "1000",
                                    incremental_operation=AlterConfigOpType.SET,
                                )
                            ],
                        )
                    ]
                ).values()
            )
        ),
        "DeleteRecords": lambda: admin.delete_records([ck.TopicPartition("t", 0, 0)])[
            ck.TopicPartition("t", 0, 0)
        ],
        "ListOffsets": lambda: admin.list_offsets({topic: OffsetSpec.latest()})[topic],
        "DescribeGroups": lambda: admin.describe_consumer_groups([group])[group],
        "DeleteGroups": lambda: admin.delete_consumer_groups([group])[group],
        "OffsetFetch": lambda: admin.list_consumer_group_offsets(
            [ConsumerGroupTopicPartitions(group)]
        )[group],
    }
    out = {}
    for name, call in calls.items():
        try:
            call().result(10)
            out[name] = 0
        except ck.KafkaException as exc:
            out[name] = exc.args[0].code()
    return out


def test_every_admin_request_without_acls_is_refused_with_kafkas_error(broker):
    bob = _admin(broker, BOB)
    topic_denied, cluster_denied = (
        ck.KafkaError.TOPIC_AUTHORIZATION_FAILED,
        ck.KafkaError.CLUSTER_AUTHORIZATION_FAILED,
    )
    group_denied = ck.KafkaError.GROUP_AUTHORIZATION_FAILED
    assert _denials(bob) == {
        "CreateTopics": topic_denied,
        "DeleteTopics": topic_denied,
        "CreatePartitions": topic_denied,
        "DescribeConfigs(topic)": topic_denied,
        "DescribeConfigs(broker)": cluster_denied,
        "IncrementalAlterConfigs": topic_denied,
        # The client finds no leader for a topic Metadata does not show it: as if it did not exist
        "DeleteRecords": ck.KafkaError._NOENT,
        "ListOffsets": ck.KafkaError._NOENT,
        "DescribeGroups": group_denied,
        "DeleteGroups": group_denied,
        "OffsetFetch": group_denied,
    }
    assert bob.list_consumer_groups().result(10).valid == []  # none it may describe


def _rpk(broker, *args: str, who=SUPERUSER) -> str:
    x = [f"brokers={broker.bootstrap}", f"user={who[0]}", f"pass={who[1]}"]
    x.append(f"sasl.mechanism={MECH}")
    argv = [a for kv in x for a in ("-X", kv)]
    result = run_in_process(["security", "acl", *args, *argv])
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout


def test_rpk_security_acl_create_list_delete(broker):
    err = _produce(broker, BOB, "r-1")
    assert err is not None and err.code() == ck.KafkaError.TOPIC_AUTHORIZATION_FAILED
    out = _rpk(
        broker,
        "create",
        "--allow-principal",
        "bob",
        "--operation",
        "write,describe",
        "--topic",
        "r-1",
    )
    lines = out.splitlines()
    assert lines[0].split() == [
        "PRINCIPAL",
        "HOST",
        "RESOURCE-TYPE",
        "RESOURCE-NAME",
        "RESOURCE-PATTERN-TYPE",
        "OPERATION",
        "PERMISSION",
        "ERROR",
    ]
    assert lines[1].split() == ["User:bob", "*", "TOPIC", "r-1", "LITERAL", "DESCRIBE", "ALLOW"]
    assert lines[2].split() == ["User:bob", "*", "TOPIC", "r-1", "LITERAL", "WRITE", "ALLOW"]
    assert _produce(broker, BOB, "r-1") is None
    listed = _rpk(broker, "list", "--allow-principal", "User:bob").splitlines()
    assert [line.split()[5] for line in listed[1:]] == ["DESCRIBE", "WRITE"]
    out = _rpk(broker, "delete", "--topic", "r-1", "--operation", "write", "--no-confirm")
    assert "DELETIONS" in out and "WRITE" in out
    err = _produce(broker, BOB, "r-1")
    assert err is not None and err.code() == ck.KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_acls_survive_a_restart(broker):
    broker.stop()
    broker.start()
    assert _produce(broker, ALICE, "t") is None
    err = _produce(broker, ALICE, "d-x")
    assert err is not None and err.code() == ck.KafkaError.TOPIC_AUTHORIZATION_FAILED
