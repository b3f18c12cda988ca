"""Consumer lag per group partition, for metrics and `rpk group describe`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import cast

from core.common.metrics import GroupLagSample
from core.groups.consumer_protocol import assignment_partitions
from core.groups.group import Group, GroupState

HighWatermarkFn = Callable[[str, int], "int | None"]


def _owners(group: Group) -> dict[tuple[str, int], tuple[str, str, str]]:
    owners: dict[tuple[str, int], tuple[str, str, str]] = {}
    if group.protocol_type != "consumer" or not group.is_(GroupState.STABLE):
        return owners
    for member in group.members.values():
        for tp in assignment_partitions(member.assignment) or []:
            owners[tp] = (member.member_id, member.client_id, member.client_host)
    return owners


def group_lags(groups: Iterable[Group], high_watermark_fn: HighWatermarkFn) -> list[GroupLagSample]:
    """Committed offset and lag of every committed partition whose high watermark is known."""
    return [
        GroupLagSample(
            str(r["group"]),
            str(r["topic"]),
            cast(int, r["partition"]),
            cast(int, r["committed_offset"]),
            cast(int, r["lag"]),
        )
        for r in lag_rows(groups, high_watermark_fn)
        if r["lag"] is not None
    ]


def lag_rows(
    groups: Iterable[Group], high_watermark_fn: HighWatermarkFn
) -> list[dict[str, object]]:
    """One row per (group, partition) that has a commit or an owner.

    `high_watermark_fn(topic, partition)` returns the partition's high watermark or
    None when the partition is unknown here; lag is then None as well.
    """
    rows: list[dict[str, object]] = []
    for group in sorted(groups, key=lambda g: g.group_id):
        owners = _owners(group)
        for topic, partition in sorted(set(group.offsets) | set(owners)):
            entry = group.offsets.get((topic, partition))
            committed = entry.offset if entry is not None else None
            hw = high_watermark_fn(topic, partition)
            lag = None if hw is None or committed is None else max(hw - committed, 0)
            member_id, client_id, host = owners.get((topic, partition), ("", "", ""))
            rows.append(
                {
                    "group": group.group_id,
                    "state": group.state.value,
                    "topic": topic,
                    "partition": partition,
                    "committed_offset": committed,
                    "high_watermark": hw,
                    "lag": lag,
                    "member_id": member_id,
                    "client_id": client_id,
                    "host": host,
                }
            )
    return rows
