"""Transaction bookkeeping of one partition replica's producer state (core.cluster.producer_state).

`OpenTxns`: the producers with an open transaction here and the offset of its first batch.
A transactional data batch opens one (if its producer has none open), a COMMIT or ABORT
marker closes it. The first offset of the oldest open transaction bounds the last stable
offset (LSO): a read_committed consumer reads below it only.

`TxnError`: a produce or marker refusal whose Kafka code has no ClusterErrc of its own
(INVALID_TXN_STATE, TRANSACTION_COORDINATOR_FENCED); `core.cluster.errors.to_error_code`
maps it through its `error_code` like any ClusterError.
"""

from __future__ import annotations

from collections.abc import Iterator

from core.cluster.errors import ClusterErrc, ClusterError
from core.protocol.errors import ErrorCode


class TxnError(ClusterError):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(ClusterErrc.invalid_record, message)
        self._code = code

    @property
    def error_code(self) -> ErrorCode:
        return self._code


class OpenTxns:
    """producer id -> first offset of its open transaction, with the smallest at hand."""

    __slots__ = ("_first", "_min")

    def __init__(self) -> None:
        self._first: dict[int, int] = {}
        self._min: int | None = None  # cached smallest first offset; None: recompute

    def __len__(self) -> int:
        return len(self._first)

    def __contains__(self, producer_id: int) -> bool:
        return producer_id in self._first

    def get(self, producer_id: int) -> int:
        """First offset of the producer's open transaction, -1 when none is open."""
        return self._first.get(producer_id, -1)

    def items(self) -> Iterator[tuple[int, int]]:
        return iter(self._first.items())

    def open(self, producer_id: int, first_offset: int) -> None:
        if producer_id in self._first:
            return
        self._first[producer_id] = first_offset
        if self._min is not None and first_offset < self._min:
            self._min = first_offset

    def close(self, producer_id: int) -> int | None:
        """Close the producer's transaction; its first offset, None when none was open."""
        first = self._first.pop(producer_id, None)
        if first is not None and first == self._min:
            self._min = None
        return first

    def first(self) -> int | None:
        """The first offset of the oldest open transaction (None: none is open)."""
        if not self._first:
            return None
        if self._min is None:
            self._min = min(self._first.values())
        return self._min

    def clear(self) -> None:
        self._first.clear()
        self._min = None

    def copy(self) -> OpenTxns:
        other = OpenTxns()
        other._first = dict(self._first)
        other._min = self._min
        return other
