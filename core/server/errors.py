"""The one place where domain errors become Kafka error codes."""

from __future__ import annotations

from core.cluster.errors import ClusterErrc, ClusterError
from core.model.batch import BatchError, CorruptBatch
from core.protocol.errors import ErrorCode
from core.raft.errors import RaftErrc, RaftError
from core.storage.errors import OffsetOutOfRange

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
}

_RAFT = {
    RaftErrc.not_leader: ErrorCode.not_leader_or_follower,
    RaftErrc.timeout: ErrorCode.request_timed_out,
    RaftErrc.shutting_down: ErrorCode.not_leader_or_follower,
    RaftErrc.term_changed: ErrorCode.not_leader_or_follower,
}


def to_error_code(exc: BaseException) -> ErrorCode:
    if isinstance(exc, ClusterError):
        return _CLUSTER[exc.errc]
    if isinstance(exc, RaftError):
        return _RAFT.get(exc.errc, ErrorCode.unknown_server_error)
    if isinstance(exc, CorruptBatch):
        return ErrorCode.corrupt_message
    if isinstance(exc, BatchError):
        return ErrorCode.invalid_record
    if isinstance(exc, OffsetOutOfRange):
        return ErrorCode.offset_out_of_range
    raise exc


def error_message(exc: BaseException) -> str:
    return getattr(exc, "message", None) or str(exc)
