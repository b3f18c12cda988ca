"""Cluster-level outcomes, and the one place where errors become Kafka error codes.

The partition facade (core.cluster.partition) and the frontends raise `ClusterError`; storage
(`OffsetOutOfRange`) and Raft (`RaftError`) errors do not cross the facade synchronously: it
turns them into a `ClusterError`. A write's acks future (`ProduceResult.acked`) may still fail
with whatever consensus failed it with, and a batch a client got wrong fails with the model's
`BatchError`/`InvalidBatch`. `to_error_code` maps every one of these to the Kafka code: handlers,
the Admin API and the group coordinator use it and never inspect a lower layer's error.
"""

from __future__ import annotations

import enum

from core.model.batch import BatchError, CorruptBatch
from core.protocol.errors import ErrorCode
from core.raft.errors import RaftErrc, RaftError
from core.storage.errors import OffsetOutOfRange


class ClusterErrc(enum.Enum):
    success = 0
    topic_already_exists = 1
    topic_not_found = 2
    invalid_partitions = 3
    invalid_replication_factor = 4
    invalid_config = 5
    invalid_topic_name = 6
    partition_not_found = 7
    not_leader = 8
    message_too_large = 9
    corrupt_message = 10
    invalid_record = 11
    out_of_order_sequence = 12
    invalid_producer_epoch = 13
    offset_out_of_range = 14
    shutting_down = 15
    timeout = 16
    policy_violation = 17
    not_controller = 18
    invalid_replica_assignment = 19
    partition_disabled = 20  # core.cluster.partition_disable


class ClusterError(Exception):
    def __init__(self, errc: ClusterErrc, message: str = "") -> None:
        super().__init__(message or errc.name)
        self.errc = errc
        self.message = message

    @property
    def error_code(self) -> ErrorCode:
        return _CLUSTER[self.errc]


_CLUSTER = {
    ClusterErrc.success: ErrorCode.none,
    ClusterErrc.topic_already_exists: ErrorCode.topic_already_exists,
    ClusterErrc.topic_not_found: ErrorCode.unknown_topic_or_partition,
    ClusterErrc.invalid_partitions: ErrorCode.invalid_partitions,
    ClusterErrc.invalid_replication_factor: ErrorCode.invalid_replication_factor,
    ClusterErrc.invalid_config: ErrorCode.invalid_config,
    ClusterErrc.invalid_topic_name: ErrorCode.invalid_topic_exception,
    ClusterErrc.partition_not_found: ErrorCode.unknown_topic_or_partition,
    ClusterErrc.not_leader: ErrorCode.not_leader_or_follower,
    ClusterErrc.message_too_large: ErrorCode.message_too_large,
    ClusterErrc.corrupt_message: ErrorCode.corrupt_message,
    ClusterErrc.invalid_record: ErrorCode.invalid_record,
    ClusterErrc.out_of_order_sequence: ErrorCode.out_of_order_sequence_number,
    ClusterErrc.invalid_producer_epoch: ErrorCode.invalid_producer_epoch,
    ClusterErrc.offset_out_of_range: ErrorCode.offset_out_of_range,
    ClusterErrc.shutting_down: ErrorCode.not_leader_or_follower,
    ClusterErrc.timeout: ErrorCode.request_timed_out,
    ClusterErrc.policy_violation: ErrorCode.policy_violation,
    ClusterErrc.not_controller: ErrorCode.not_controller,
    ClusterErrc.invalid_replica_assignment: ErrorCode.invalid_replica_assignment,
    ClusterErrc.partition_disabled: ErrorCode.replica_not_available,
}

_RAFT = {
    RaftErrc.not_leader: ClusterErrc.not_leader,
    RaftErrc.timeout: ClusterErrc.timeout,
    RaftErrc.shutting_down: ClusterErrc.shutting_down,
    RaftErrc.term_changed: ClusterErrc.not_leader,  # truncated by a new leader: find it
}


def from_raft(exc: RaftError) -> ClusterError:
    """A write consensus failed, at once or while waiting for its acks level."""
    return ClusterError(_RAFT.get(exc.errc, ClusterErrc.not_leader), str(exc))


def from_storage(exc: OffsetOutOfRange) -> ClusterError:
    return ClusterError(ClusterErrc.offset_out_of_range, str(exc))


def to_error_code(exc: BaseException) -> ErrorCode:
    """The Kafka error code for any error the partition facade or a frontend lets out.

    Anything else is a bug and is raised again (the connection answers it with
    UNKNOWN_SERVER_ERROR and logs one line)."""
    if isinstance(exc, ClusterError):
        return exc.error_code
    if isinstance(exc, RaftError):
        return from_raft(exc).error_code
    if isinstance(exc, CorruptBatch):
        return ErrorCode.corrupt_message
    if isinstance(exc, BatchError):
        return ErrorCode.invalid_record
    if isinstance(exc, OffsetOutOfRange):
        return ErrorCode.offset_out_of_range
    raise exc


def error_message(exc: BaseException) -> str:
    return getattr(exc, "message", None) or str(exc)
