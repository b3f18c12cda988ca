"""The rows of the table-driven authorization test (test_authz_table.py): for every Kafka API
key the broker serves, the ACLs a minimal request needs and the error it gets without them.

Every resource is named "t" (the schemas' plain string): topic t, group t, transactional id t;
the destructive requests name their own topics (t-del, t-new). A row's `acls` are
(resource type, name, operation) granted to the user; `error` the code the request carries
without them (Kafka's, as AclAuthorizer-based brokers answer). Keys with no ACL (ApiVersions,
SASL) and the listing APIs that filter instead of refusing are listed apart."""

from __future__ import annotations

import datetime
import sys
from dataclasses import dataclass, field
from typing import Any

from kio.schema.errors import ErrorCode

TOPIC, GROUP, CLUSTER, TXN = 2, 3, 4, 5
READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE = 3, 4, 5, 6, 7, 8
CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS = 9, 10, 11
CLUSTER_NAME = "kafka-cluster"
TOPIC_DENIED = ErrorCode.topic_authorization_failed
GROUP_DENIED = ErrorCode.group_authorization_failed
CLUSTER_DENIED = ErrorCode.cluster_authorization_failed
TXN_DENIED = ErrorCode.transactional_id_authorization_failed
DENIALS = {TOPIC_DENIED, GROUP_DENIED, CLUSTER_DENIED, TXN_DENIED}
TEN_S = datetime.timedelta(seconds=10)


@dataclass(frozen=True)
class Row:
    key: int
    acls: tuple[tuple[int, str, int], ...]
    error: ErrorCode
    overrides: dict[str, Any] = field(default_factory=dict)
    version: int | None = None  # None: the newest served


def _c(op: int) -> tuple[int, str, int]:
    return (CLUSTER, CLUSTER_NAME, op)


def _metadata_topic_t(cls: type) -> tuple[Any, ...]:
    """Metadata's topic list naming "t" (a null list asks for every topic)."""
    return (sys.modules[cls.__module__].MetadataRequestTopic(name="t"),)


GROUP_MEMBER = {"member_id": "t", "generation_id": -1, "group_instance_id": None}
ROWS: tuple[Row, ...] = (
    Row(0, ((TOPIC, "t", WRITE),), TOPIC_DENIED),  # Produce
    Row(1, ((TOPIC, "t", READ),), TOPIC_DENIED),  # Fetch
    Row(2, ((TOPIC, "t", DESCRIBE),), TOPIC_DENIED),  # ListOffsets
    Row(3, ((TOPIC, "t", DESCRIBE),), TOPIC_DENIED, {"topics": _metadata_topic_t}),
    Row(8, ((GROUP, "t", READ), (TOPIC, "t", READ)), GROUP_DENIED, GROUP_MEMBER),  # OffsetCommit
    Row(9, ((GROUP, "t", DESCRIBE), (TOPIC, "t", DESCRIBE)), GROUP_DENIED),  # OffsetFetch
    Row(10, ((GROUP, "t", DESCRIBE),), GROUP_DENIED, {"key_type": 0, "key": "t"}),
    Row(
        11,
        ((GROUP, "t", READ),),
        GROUP_DENIED,
        {"member_id": "", "group_instance_id": None, "session_timeout": TEN_S},
    ),  # JoinGroup
    Row(12, ((GROUP, "t", READ),), GROUP_DENIED, GROUP_MEMBER),  # Heartbeat
    Row(13, ((GROUP, "t", READ),), GROUP_DENIED, {"group_instance_id": None}),  # LeaveGroup
    Row(14, ((GROUP, "t", READ),), GROUP_DENIED, GROUP_MEMBER),  # SyncGroup
    Row(15, ((GROUP, "t", DESCRIBE),), GROUP_DENIED),  # DescribeGroups
    Row(19, ((TOPIC, "t-new", CREATE),), TOPIC_DENIED, {"name": "t-new"}),  # CreateTopics
    Row(
        20, ((TOPIC, "t-del", DELETE),), TOPIC_DENIED, {"name": "t-del", "topic_names": ("t-del",)}
    ),
    Row(21, ((TOPIC, "t", DELETE),), TOPIC_DENIED),  # DeleteRecords
    Row(
        22,
        ((TXN, "t", WRITE),),
        TXN_DENIED,
        {"transactional_id": "t", "transaction_timeout": datetime.timedelta(seconds=60)},
    ),  # InitProducerId
    Row(23, ((TOPIC, "t", DESCRIBE),), TOPIC_DENIED),  # OffsetForLeaderEpoch
    Row(24, ((TXN, "t", WRITE), (TOPIC, "t", WRITE)), TXN_DENIED, version=3),  # AddPartitionsToTxn
    Row(25, ((TXN, "t", WRITE), (GROUP, "t", READ)), TXN_DENIED),  # AddOffsetsToTxn
    Row(26, ((TXN, "t", WRITE),), TXN_DENIED),  # EndTxn
    Row(27, (_c(CLUSTER_ACTION),), CLUSTER_DENIED),  # WriteTxnMarkers
    Row(
        28, ((TXN, "t", WRITE), (GROUP, "t", READ), (TOPIC, "t", READ)), TXN_DENIED, GROUP_MEMBER
    ),  # TxnOffsetCommit
    Row(29, (_c(DESCRIBE),), CLUSTER_DENIED, {"resource_type_filter": 1}),  # DescribeAcls
    Row(30, (_c(ALTER),), CLUSTER_DENIED),  # CreateAcls
    Row(31, (_c(ALTER),), CLUSTER_DENIED),  # DeleteAcls
    Row(32, ((TOPIC, "t", DESCRIBE_CONFIGS),), TOPIC_DENIED, {"resource_type": TOPIC}),
    Row(33, ((TOPIC, "t", ALTER_CONFIGS),), TOPIC_DENIED, {"resource_type": TOPIC}),
    Row(35, (_c(DESCRIBE),), CLUSTER_DENIED),  # DescribeLogDirs
    Row(37, ((TOPIC, "t", ALTER),), TOPIC_DENIED),  # CreatePartitions
    Row(42, ((GROUP, "t", DELETE),), GROUP_DENIED),  # DeleteGroups
    Row(43, (_c(ALTER),), CLUSTER_DENIED),  # ElectLeaders
    Row(44, ((TOPIC, "t", ALTER_CONFIGS),), TOPIC_DENIED, {"resource_type": TOPIC}),
    Row(45, (_c(ALTER),), CLUSTER_DENIED),  # AlterPartitionReassignments
    Row(46, (_c(DESCRIBE),), CLUSTER_DENIED),  # ListPartitionReassignments
    Row(47, ((GROUP, "t", DELETE), (TOPIC, "t", READ)), GROUP_DENIED),  # OffsetDelete
    Row(48, (_c(DESCRIBE_CONFIGS),), CLUSTER_DENIED),  # DescribeClientQuotas
    Row(49, (_c(ALTER_CONFIGS),), CLUSTER_DENIED),  # AlterClientQuotas
    Row(50, (_c(DESCRIBE),), CLUSTER_DENIED),  # DescribeUserScramCredentials
    Row(51, (_c(ALTER),), CLUSTER_DENIED),  # AlterUserScramCredentials
    Row(61, ((TOPIC, "t", READ),), TOPIC_DENIED),  # DescribeProducers
    Row(65, ((TXN, "t", DESCRIBE),), TXN_DENIED),  # DescribeTransactions
)

NO_ACL = {17: "SaslHandshake", 18: "ApiVersions", 36: "SaslAuthenticate"}
# Kafka answers these with what the user may see, never an authorization error
FILTERED = {16: "ListGroups (groups the user may DESCRIBE)", 66: "ListTransactions"}
