"""The shape of one replica's log as Raft sees it: term starts (zero-width meta entries)
over a data log that is known only by its offsets.

Design choice (raft-notes §7 option 2(b), cluster-notes §3): Raft's own records (term
starts, and the voter set each carries) take no Kafka offset. They live in a small meta
log keyed by the data offset they precede: persisted with the hard state before any
message of the step that created them, sent in AppendEntries beside the data batches,
truncated with the log and counted in vote comparisons. So Kafka offsets stay equal to
log offsets (a new topic's high watermark starts at 0, unlike Redpanda #1135), and a new
leader commits its predecessors' entries by committing its own term start, without
waiting for a client write. Every data batch belongs to the latest term started at or
before its base offset, so the meta log also gives `term_of_offset` (what a per-batch
term field or a segment name would say) and OffsetForLeaderEpoch's answers.

Configuration entries (core.raft.config) are meta entries too, written by a leader inside its
term: one at offset c of term T follows the data ending at c, so it ends at the position
(c, T, seq) (Position in core.raft.types), after (c, T) and before any later data.
"""

from __future__ import annotations

import bisect

from core.raft.types import Config, ConfigAt, Entry, Position, TermStart

NO_POSITION: Position = (-1, -1)


class MetaLog:
    def __init__(
        self,
        runs: list[TermStart],
        start_offset: int,
        next_offset: int,
        configs: list[ConfigAt] | None = None,
    ) -> None:
        self.runs = sorted(runs, key=lambda r: (r.offset, r.term))
        self.start_offset = start_offset
        self.next_offset = next_offset
        self._terms = [r.term for r in self.runs]  # strictly increasing
        self.configs: list[ConfigAt] = sorted(configs or [], key=lambda c: c.position)

    # ---- queries ---------------------------------------------------------------------------------
    @property
    def last_term(self) -> int:
        return self.runs[-1].term if self.runs else -1

    @property
    def last(self) -> Position:
        term = self.last_term
        if self.configs:
            c = self.configs[-1]
            if c.offset == self.next_offset and c.term == term:
                return (self.next_offset, term, c.seq)
        return (self.next_offset, term)

    def config(self) -> Config | None:
        """The latest configuration in this log (in force, committed or not: Raft's rule)."""
        return self.configs[-1].config if self.configs else None

    def config_entry(self) -> ConfigAt | None:
        return self.configs[-1] if self.configs else None

    def _index_of(self, term: int) -> int:
        i = bisect.bisect_left(self._terms, term)
        return i if i < len(self._terms) and self._terms[i] == term else -1

    def _run_end(self, i: int) -> int:
        return self.runs[i + 1].offset if i + 1 < len(self.runs) else self.next_offset

    def run_start(self, term: int) -> int | None:
        i = self._index_of(term)
        return self.runs[i].offset if i >= 0 else None

    def voters(self) -> tuple[int, ...] | None:
        return self.runs[-1].voters if self.runs else None

    def has(self, position: Position) -> bool:
        """This log holds the prefix ending at `position`."""
        offset, term = position[0], position[1]
        if len(position) > 2:
            return any(c.position == position for c in reversed(self.configs))
        if offset > self.next_offset or offset < self.start_offset:
            return False
        if term < 0:
            return offset == self.start_offset and (not self.runs or self.runs[0].offset >= offset)
        i = self._index_of(term)
        return i >= 0 and self.runs[i].offset <= offset <= self._run_end(i)

    def term_of_offset(self, offset: int) -> int:
        """The term of the data batch holding `offset` (the latest term started at or before it)."""
        i = bisect.bisect_right([r.offset for r in self.runs], offset) - 1
        return self.runs[i].term if i >= 0 else -1

    def position_at(self, offset: int) -> Position:
        """The longest prefix of this log ending at data offset `offset` (metas at it included)."""
        offset = min(offset, self.next_offset)
        i = bisect.bisect_right([r.offset for r in self.runs], offset) - 1
        base = (offset, self.runs[i].term) if i >= 0 else (offset, -1)
        return self._with_configs(base, (offset, base[1], 1 << 62))

    def _with_configs(self, base: Position, limit: Position) -> Position:
        """`base` (a pair), or the last configuration entry at its offset and term that is at
        or below `limit`."""
        best = base
        for c in reversed(self.configs):
            if c.offset < base[0]:
                break
            if c.offset == base[0] and c.term == base[1] and c.position <= limit:
                if c.position > best:
                    best = c.position
        return best

    def hint(self, position: Position) -> Position:
        """The largest position of this log at or below `position` (a conflict hint)."""
        offset, term = position[0], position[1]
        offset = min(offset, self.next_offset)
        i = bisect.bisect_right(self._terms, term) - 1
        while i >= 0 and self.runs[i].offset > offset:
            i -= 1
        if i < 0:
            return (self.start_offset, -1)
        return self._with_configs((min(offset, self._run_end(i)), self.runs[i].term), position)

    def metas_after(self, position: Position, upto_offset: int) -> list[Entry]:
        """Meta entries after `position` whose offset is at most `upto_offset`."""
        out = []
        for r in self.runs:
            if (r.offset, r.term) > position and r.offset <= upto_offset:
                out.append(Entry(r.term, r.offset, r.offset - 1, r.voters))
        for c in self.configs:
            if c.position > position and c.offset <= upto_offset:
                out.append(Entry(c.term, c.offset, c.offset - 1, c))
        return out

    # ---- changes -----------------------------------------------------------------------------------
    def start_term(self, term: int, voters: tuple[int, ...]) -> TermStart:
        assert term > self.last_term, (term, self.last_term)
        run = TermStart(term, self.next_offset, voters)
        self.runs.append(run)
        self._terms.append(term)
        return run

    def add_meta(self, entry: Entry) -> None:
        if isinstance(entry.payload, ConfigAt):
            self.add_config(entry.payload)
            return
        assert entry.base == self.next_offset and entry.term > self.last_term
        self.runs.append(TermStart(entry.term, entry.base, tuple(entry.payload or ())))
        self._terms.append(entry.term)

    def add_config(self, c: ConfigAt) -> None:
        assert c.offset == self.next_offset and c.term == self.last_term, (c, self.last)
        assert c.position > self.last, (c, self.last)
        self.configs.append(c)

    def next_config_seq(self, term: int) -> int:
        """The seq a configuration entry appended now in `term` takes."""
        last = self.last
        return last[2] + 1 if len(last) > 2 and last[1] == term else 1

    def reset(
        self, runs: list[TermStart], offset: int, configs: list[ConfigAt] | None = None
    ) -> None:
        """An empty log starting at `offset` whose earlier terms are `runs` (a snapshot)."""
        self.runs = sorted(runs, key=lambda r: (r.offset, r.term))
        self._terms = [r.term for r in self.runs]
        self.configs = sorted(configs or [], key=lambda c: c.position)
        self.start_offset = self.next_offset = offset

    def truncate(self, position: Position) -> None:
        """Keep only the prefix ending at `position`."""
        offset, term = position[0], position[1]
        assert offset <= self.next_offset
        self.runs = [r for r in self.runs if r.term <= term and r.offset <= offset]
        self._terms = [r.term for r in self.runs]
        self.configs = [c for c in self.configs if c.term <= term and c.position <= position]
        self.next_offset = offset

    def config_at_or_before(self, position: Position) -> ConfigAt | None:
        """The latest configuration entry at or before `position` (a snapshot's)."""
        for c in reversed(self.configs):
            if c.position <= position:
                return c
        return None

    def trim_configs(self, below_offset: int) -> None:
        """Forget configuration entries superseded before `below_offset` (a log start)."""
        keep = [c for c in self.configs if c.offset >= below_offset]
        older = [c for c in self.configs if c.offset < below_offset]
        self.configs = older[-1:] + keep


def merge_entries(metas: list[Entry], data: list[Entry]) -> list[Entry]:
    """Meta and data entries in log order (by end position)."""
    if not metas:
        return data
    return sorted(metas + data, key=lambda e: e.end)
