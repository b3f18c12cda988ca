"""Cluster-level outcomes. core.server.errors maps them to Kafka error codes."""

from __future__ import annotations

import enum


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


class ClusterError(Exception):
    def __init__(self, errc: ClusterErrc, message: str = "") -> None:
        super().__init__(message or errc.name)
        self.errc = errc
        self.message = message
