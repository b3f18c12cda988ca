"""A connection's cached ACL decisions follow every change: on ONE authenticated connection,
Metadata for a topic is refused until an ALLOW is created, refused again when a DENY is added,
allowed when it is deleted; making the user a superuser allows without ACLs, and turning
`kafka_enable_authorization` off allows everything; each change is seen by the same connection
(no reconnect), as the authorizer's generation is bumped by ACL and settings changes alike."""

from __future__ import annotations

import time

import pytest
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)
from kio.schema.metadata.v8.request import MetadataRequest, MetadataRequestTopic

from tests.security.sasl_wire import WireClient, scram_login
from tests.support.broker import BrokerProcess
from tests.support.security import (
    SUPERUSER,
    confluent_sasl,
    create_user,
    sasl_args,
    set_cluster_config,
)

MECH = "SCRAM-SHA-256"
ALICE = ("alice", "alice-pw")
TOPIC = "cached"
WAIT_S = 15.0


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    b = BrokerProcess(tmp_path_factory.mktemp("authz-cache") / "broker", *sasl_args()).start()
    try:
        for user in (SUPERUSER, ALICE):
            create_user(b, *user, mechanism=MECH)
        yield b
    finally:
        b.stop()


def _binding(permission) -> AclBinding:
    return AclBinding(
        ResourceType.TOPIC,
        TOPIC,
        ResourcePatternType.LITERAL,
        f"User:{ALICE[0]}",
        "*",
        AclOperation.DESCRIBE,
        permission,
    )


def _delete(admin: AdminClient, permission) -> None:
    acl_filter = AclBindingFilter(
        ResourceType.TOPIC,
        TOPIC,
        ResourcePatternType.LITERAL,
        None,
        None,
        AclOperation.ANY,
        permission,
    )
    for f in admin.delete_acls([acl_filter]).values():
        f.result(10)


def _described(client: WireClient) -> bool:
    response = client.request(
        MetadataRequest(
            topics=(MetadataRequestTopic(name=TOPIC),),
            allow_auto_topic_creation=False,
            include_cluster_authorized_operations=False,
            include_topic_authorized_operations=False,
        )
    )
    return response.topics[0].error_code.value == 0


def _until(client: WireClient, allowed: bool, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while _described(client) != allowed:
        assert time.monotonic() < deadline, f"the connection did not see {what}"
        time.sleep(0.1)


def test_one_connection_sees_every_acl_and_settings_change(broker):
    admin = AdminClient(confluent_sasl(broker, *SUPERUSER, MECH))
    admin.create_topics([NewTopic(TOPIC, 1, 1)])[TOPIC].result(15)
    client = WireClient(broker.kafka_port)
    try:
        assert client.handshake(MECH) == 0
        assert scram_login(client, MECH, *ALICE).code == 0
        assert not _described(client)
        assert not _described(client)  # a cached refusal is still a refusal
        for f in admin.create_acls([_binding(AclPermissionType.ALLOW)]).values():
            f.result(10)
        _until(client, True, "the ALLOW")
        for f in admin.create_acls([_binding(AclPermissionType.DENY)]).values():
            f.result(10)
        _until(client, False, "the DENY")
        _delete(admin, AclPermissionType.DENY)
        _until(client, True, "the DENY deleted")
        _delete(admin, AclPermissionType.ALLOW)
        _until(client, False, "the ALLOW deleted")
        set_cluster_config(broker, superusers=[SUPERUSER[0], ALICE[0]])
        _until(client, True, "her becoming a superuser")
        set_cluster_config(broker, superusers=[SUPERUSER[0]])
        _until(client, False, "her ceasing to be one")
        set_cluster_config(broker, kafka_enable_authorization=False)
        _until(client, True, "authorization turned off")
    finally:
        client.close()
        set_cluster_config(broker, kafka_enable_authorization=None, superusers=[SUPERUSER[0]])
