"""Authorization of the partition side of transactions (SASL on, ACL authorizer on): a
principal without CLUSTER_ACTION gets CLUSTER_AUTHORIZATION_FAILED from WriteTxnMarkers,
one without READ on the topic TOPIC_AUTHORIZATION_FAILED from DescribeProducers, and
transactional records need WRITE on their transactional id
(TRANSACTIONAL_ID_AUTHORIZATION_FAILED) besides WRITE on the topic."""

from __future__ import annotations

from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)

from core.protocol.errors import ErrorCode
from tests.support.broker import BrokerProcess
from tests.support.raw_client import RawClient
from tests.support.security import (
    SUPERUSER,
    confluent_sasl,
    create_user,
    raw_plain_login,
    sasl_args,
)
from tests.support.txn_requests import (
    TXN_ID,
    describe_producers,
    init_producer_id,
    produce,
    txn_batch,
    write_markers,
)

ALICE = ("alice", "alice-pw")
TOPIC = "txn-authz"


def acl(resource_type, name: str, op) -> AclBinding:
    return AclBinding(
        resource_type, name, ResourcePatternType.LITERAL, "User:alice", "*", op,
        AclPermissionType.ALLOW,
    )  # fmt: skip


def test_txn_apis_are_authorized(tmp_path) -> None:
    broker = BrokerProcess(tmp_path / "b", *sasl_args(mechanisms="[SCRAM, PLAIN]")).start()
    try:
        for user in (SUPERUSER, ALICE):
            create_user(broker, *user)
        admin = AdminClient(confluent_sasl(broker, *SUPERUSER, "SCRAM-SHA-256"))
        for f in admin.create_topics([NewTopic(TOPIC, 1, 1)]).values():
            f.result(15)
        for f in admin.create_acls([acl(ResourceType.TOPIC, TOPIC, AclOperation.WRITE)]).values():
            f.result(10)
        root = RawClient(broker.kafka_port)
        alice = RawClient(broker.kafka_port)
        try:
            raw_plain_login(root, *SUPERUSER)
            raw_plain_login(alice, *ALICE)
            pid, epoch = init_producer_id(root)
            batch = txn_batch(pid, epoch, 0, [b"v"])
            denied = ErrorCode.transactional_id_authorization_failed.value
            assert produce(alice, TOPIC, 0, batch)[0] == denied
            assert write_markers(alice, pid, epoch, False, [(TOPIC, 0)]) == [
                ErrorCode.cluster_authorization_failed.value
            ]
            row = describe_producers(alice, TOPIC, 0)
            assert row.error_code == ErrorCode.topic_authorization_failed
            grant = acl(ResourceType.TRANSACTIONAL_ID, TXN_ID, AclOperation.WRITE)
            for f in admin.create_acls([grant]).values():
                f.result(10)
            assert produce(alice, TOPIC, 0, batch)[0] == 0
            assert write_markers(root, pid, epoch, True, [(TOPIC, 0)]) == [0]
            assert describe_producers(root, TOPIC, 0).active_producers[0].producer_id == pid
        finally:
            root.close()
            alice.close()
    finally:
        broker.stop()
