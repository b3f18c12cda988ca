"""Where consume starts and stops on each partition, from an -o spec and the partitions' offsets."""

from __future__ import annotations

from dataclasses import dataclass

from kafka import TopicPartition

from cli.clients.offsets import offsets_for_time, watermarks
from cli.records.offsets import OffsetSpec


@dataclass(frozen=True)
class Range:
    start: int
    end: int | None  # exclusive; None = follow forever

    @property
    def empty(self) -> bool:
        return self.end is not None and self.start >= self.end


def plan(admin, tps: list[TopicPartition], spec: OffsetSpec) -> dict[TopicPartition, Range]:
    marks = watermarks(admin, tps)
    start_times = _times(admin, tps, spec.start)
    end_times = _times(admin, tps, spec.end)
    out = {}
    for tp in tps:
        lo, hi = marks[tp]
        start = spec.resolve_start(lo, hi, start_times.get(tp))
        end = spec.resolve_end(lo, hi, end_times.get(tp))
        out[tp] = Range(start, end)
    return out


def _times(admin, tps, bound) -> dict:
    if bound is None or bound.kind != "timestamp":
        return {}
    return offsets_for_time(admin, tps, bound.value)
