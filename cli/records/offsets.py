"""rpk's `-o/--offset` syntax for consume (and the @timestamp forms), parsed into bounds.

  start | oldest      from the log start          end | newest   from the current end
  N                   from offset N               +N / -N        N after the start / before the end
  o1:o2, :o2, o1:end  from o1 (default start) until o2 (exclusive) or the current end
  @t, @t:             from timestamp t            @:t            from the start until t
  @t1:t2              from t1 until t2 (t2 may be +duration, relative to t1, or end)
Timestamps: 13-digit unix ms, 9/10-digit unix s, YYYY-MM-DD, RFC3339, or a -duration from now.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from cli.config.values import parse_duration
from cli.errors import UsageError


@dataclass(frozen=True)
class Bound:
    kind: str  # start | end | exact | after_start | before_end | timestamp
    value: int = 0


@dataclass(frozen=True)
class OffsetSpec:
    start: Bound
    end: Bound | None = None  # None: consume forever; kinds end | exact | timestamp

    def resolve_start(self, log_start: int, log_end: int, by_time: int | None = None) -> int:
        return resolve(self.start, log_start, log_end, by_time)

    def resolve_end(self, log_start: int, log_end: int, by_time: int | None = None) -> int | None:
        return None if self.end is None else resolve(self.end, log_start, log_end, by_time)


def resolve(bound: Bound, log_start: int, log_end: int, by_time: int | None = None) -> int:
    """The concrete offset of `bound`, clamped to [log_start, log_end].

    For timestamp bounds `by_time` is the first offset with a timestamp >= the bound (None: log end).
    """
    if bound.kind == "start":
        return log_start
    if bound.kind == "end":
        return log_end
    if bound.kind == "exact":
        value = bound.value
    elif bound.kind == "after_start":
        value = log_start + bound.value
    elif bound.kind == "before_end":
        value = log_end - bound.value
    else:
        value = log_end if by_time is None else by_time
    return max(log_start, min(value, log_end))


_ERR = "invalid offset {!r}: expected start, end, N, +N, -N, o1:o2 or @timestamp"


def parse_offset(text: str, now_ms: int | None = None) -> OffsetSpec:
    raw = text.strip()
    if not raw:
        raise UsageError(_ERR.format(text))
    if raw.startswith("@"):
        return _parse_time_range(raw[1:], text, now_ms)
    if ":" in raw:
        left, right = raw.split(":", 1)
        start = _offset_bound(left, text) if left else Bound("start")
        end = Bound("end") if right in ("", "end") else _exact(right, text)
        return OffsetSpec(start, end)
    return OffsetSpec(_offset_bound(raw, text))


def _offset_bound(raw: str, whole: str) -> Bound:
    low = raw.lower()
    if low in ("start", "oldest"):
        return Bound("start")
    if low in ("end", "newest"):
        return Bound("end")
    if re.fullmatch(r"\+\d+", raw):
        return Bound("after_start", int(raw[1:]))
    if re.fullmatch(r"-\d+", raw):
        return Bound("before_end", int(raw[1:]))
    return _exact(raw, whole)


def _exact(raw: str, whole: str) -> Bound:
    if not raw.isdigit():
        raise UsageError(_ERR.format(whole))
    return Bound("exact", int(raw))


def _parse_time_range(raw: str, whole: str, now_ms: int | None) -> OffsetSpec:
    now = int(time.time() * 1000) if now_ms is None else now_ms
    left, sep, right = _split_time_range(raw)
    if not left and not sep:
        raise UsageError(_ERR.format(whole))
    start = Bound("timestamp", parse_timestamp(left, now)) if left else Bound("start")
    if not sep:
        return OffsetSpec(start)
    if not right:
        return OffsetSpec(start, None)
    if right == "end":
        return OffsetSpec(start, Bound("end"))
    if right.startswith("+"):
        base = start.value if start.kind == "timestamp" else now
        end_ms = base + int(parse_duration(right[1:]) * 1000)
    else:
        end_ms = parse_timestamp(right, now)
    return OffsetSpec(start, Bound("timestamp", end_ms))


def _split_time_range(raw: str) -> tuple[str, str, str]:
    """Split `t1:t2` on the colon that is not inside an RFC3339 time (HH:MM:SS)."""
    for i, ch in enumerate(raw):
        if ch != ":":
            continue
        if (
            i > 0
            and raw[i - 1].isdigit()
            and i + 1 < len(raw)
            and raw[i + 1].isdigit()
            and "T" in raw[:i]
        ):
            continue
        return raw[:i], ":", raw[i + 1 :]
    return raw, "", ""


def parse_timestamp(raw: str, now_ms: int) -> int:
    """A timestamp in unix ms from any of rpk's forms."""
    text = raw.strip()
    if re.fullmatch(r"\d{13}", text):
        return int(text)
    if re.fullmatch(r"\d{9,10}", text):
        return int(text) * 1000
    if text.startswith("-"):
        return now_ms - int(parse_duration(text[1:]) * 1000)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
        return int(day.timestamp() * 1000)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"invalid timestamp {raw!r}: expected unix ms, unix s, YYYY-MM-DD, RFC3339 "
            "or a -duration"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)
