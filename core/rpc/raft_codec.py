"""The wire form of RaftCore's messages (core.raft.types), tagged with their group id.

`encode(group_id, message) -> (meta, blob)` and `decode(meta, blob) -> (group_id, message)`.
The meta is struct-packed; an AppendRequest's data entries travel in the blob as the
leader's batch bytes, one part per entry (sent one after another, never joined), and
decode hands each entry a memoryview slice of the received blob: no record is decoded
or copied. Meta entries (term starts, configurations) carry their voters in the meta.

Positions travel as (offset i64, term word i64): the term word is the term, and at a
configuration entry (a position (offset, term, seq), core.raft.types) seq << 48 is added to it,
so positions without one (every position of a group that never changed its configuration)
are encoded as they always were.

Common prefix: kind u8, group id u64, src i32, dst i32, term i64. Then per kind:
  vote_request  last (offset i64, term i64), flags u8 (1 prevote, 2 transfer)
  vote_reply    flags u8 (1 granted, 2 prevote), start i64
  append        prev (i64, i64), commit i64, visible i64, seq i64, entry count u32 (bit 31:
                a log start follows; bit 30: snapshot configurations follow), then per
                entry: term i64, base i64, last i64, kind u8 (0 data, 1 term start,
                2 configuration), n u32 (data: blob bytes; term start: voter count, followed
                by n voters i32; configuration: its seq, followed by a config); with bit 31:
                start i64 and the snapshot's term starts: count u32, per run term i64, offset
                i64, n u32, voters i32 (a log starting at 0 and no snapshot leave it out:
                heartbeats stay small); with bit 30: count u32, per configuration term i64,
                offset i64, seq u32, config. A config: voters, old, learners, target counts
                (u16 each), then their node ids (i32 each); with bit 29: the snapshot's
                state payload's length u32, its bytes in the blob after the entries'.
  append_reply  success u8, match (i64, i64), flushed i64, dirty i64, seq i64, start i64
  timeout_now   nothing more

These are one-way messages (RaftCore's replies are messages of their own): send them with
Method.raft_message, whose response is empty, or many groups' at once in a Method.raft_batch
frame (core.rpc.raft_batch, which uses `decode_at`). Heartbeats (AppendRequests without entries)
are small enough for the HeartbeatBatcher's opaque payloads: encode them with `encode` and
carry `meta` as the payload.
"""

from __future__ import annotations

import struct

from core.raft.types import (
    AppendReply,
    AppendRequest,
    Config,
    ConfigAt,
    Entry,
    Message,
    Position,
    TermStart,
    TimeoutNow,
    VoteReply,
    VoteRequest,
)
from core.rpc.frame import Buffer, FrameError

_PREFIX = struct.Struct("<BQiiq")
_VOTE_REQ = struct.Struct("<qqB")
_VOTE_REPLY = struct.Struct("<Bq")
_APPEND = struct.Struct("<qqqqqI")
_HAS_START = 1 << 31
_HAS_CONFIGS = 1 << 30
_HAS_STATE = 1 << 29
_COUNT_MASK = _HAS_STATE - 1
_STATE_MAX = 16 * 1024 * 1024
_CONFIG_HEAD = struct.Struct("<HHHH")
_CONFIG_AT = struct.Struct("<qqI")
_SEQ_SHIFT = 48
_TERM_MASK = (1 << _SEQ_SHIFT) - 1
_RUN = struct.Struct("<qqI")
_START = struct.Struct("<qI")
_ENTRY = struct.Struct("<qqqBI")
_APPEND_REPLY = struct.Struct("<Bqqqqqq")
_VOTERS_MAX = 1024
_ENTRIES_MAX = 1_000_000

VOTE_REQUEST, VOTE_REPLY, APPEND, APPEND_REPLY, TIMEOUT_NOW = 1, 2, 3, 4, 5


def encode(group_id: int, m: Message) -> tuple[bytes, list[Buffer]]:
    blob: list[Buffer] = []
    if isinstance(m, VoteRequest):
        flags = (1 if m.prevote else 0) | (2 if m.transfer else 0)
        body = _VOTE_REQ.pack(m.last[0], _word(m.last), flags)
        kind = VOTE_REQUEST
    elif isinstance(m, VoteReply):
        body = _VOTE_REPLY.pack((1 if m.granted else 0) | (2 if m.prevote else 0), m.start)
        kind = VOTE_REPLY
    elif isinstance(m, AppendRequest):
        body = _encode_append(m, blob)
        kind = APPEND
    elif isinstance(m, AppendReply):
        body = _APPEND_REPLY.pack(
            1 if m.success else 0, m.match[0], _word(m.match), m.flushed, m.dirty, m.seq, m.start
        )
        kind = APPEND_REPLY
    elif isinstance(m, TimeoutNow):
        body, kind = b"", TIMEOUT_NOW
    else:
        raise TypeError(f"not a Raft message: {type(m).__name__}")
    return _PREFIX.pack(kind, group_id, m.src, m.dst, m.term) + body, blob


def _encode_append(m: AppendRequest, blob: list[Buffer]) -> bytes:
    prev, n, extended = m.prev, len(m.entries), bool(m.start or m.snapshot)
    count = n | _HAS_START if extended else n
    if m.snapshot_configs:
        count |= _HAS_CONFIGS
    if m.snapshot_state:
        count |= _HAS_STATE
    parts = [_APPEND.pack(prev[0], _word(prev), m.commit, m.visible, m.seq, count)]
    for e in m.entries:
        if isinstance(e.payload, ConfigAt):
            parts.append(_ENTRY.pack(e.term, e.base, e.last, 2, e.payload.seq))
            parts.append(_pack_config(e.payload.config))
        elif e.is_meta:
            voters = tuple(e.payload or ())
            parts.append(_ENTRY.pack(e.term, e.base, e.last, 1, len(voters)))
            parts.append(struct.pack(f"<{len(voters)}i", *voters))
        else:
            payload = e.payload if e.payload is not None else b""
            parts.append(_ENTRY.pack(e.term, e.base, e.last, 0, memoryview(payload).nbytes))
            blob.append(payload)
    if extended:
        parts.append(_START.pack(m.start, len(m.snapshot)))
        for r in m.snapshot:
            parts.append(_RUN.pack(r.term, r.offset, len(r.voters)))
            parts.append(struct.pack(f"<{len(r.voters)}i", *r.voters))
    if m.snapshot_configs:
        parts.append(struct.pack("<I", len(m.snapshot_configs)))
        for c in m.snapshot_configs:
            parts.append(_CONFIG_AT.pack(c.term, c.offset, c.seq))
            parts.append(_pack_config(c.config))
    if m.snapshot_state:
        parts.append(struct.pack("<I", len(m.snapshot_state)))
        blob.append(m.snapshot_state)
    return b"".join(parts)


def _word(position: Position) -> int:
    """A position's term word: the term, plus seq << 48 at a configuration entry."""
    return position[1] | (position[2] << _SEQ_SHIFT) if len(position) > 2 else position[1]


def _position(offset: int, word: int) -> Position:
    if word > _TERM_MASK:
        return (offset, word & _TERM_MASK, word >> _SEQ_SHIFT)
    return (offset, word)


def _pack_config(c: Config) -> bytes:
    sets = (c.voters, c.old, c.learners, c.target)
    nodes = [n for group in sets for n in group]
    head = _CONFIG_HEAD.pack(*(len(group) for group in sets))
    return head + struct.pack(f"<{len(nodes)}i", *nodes)


def _unpack_config(view: memoryview, pos: int) -> tuple[Config, int]:
    counts = _CONFIG_HEAD.unpack_from(view, pos)
    pos += _CONFIG_HEAD.size
    total = sum(counts)
    if total > 4 * _VOTERS_MAX:
        raise FrameError(f"a configuration of {total} nodes")
    nodes = struct.unpack_from(f"<{total}i", view, pos)
    pos += 4 * total
    sets, at = [], 0
    for n in counts:
        sets.append(tuple(nodes[at : at + n]))
        at += n
    return Config(sets[0], sets[1], sets[2], sets[3]), pos


def decode(meta: Buffer, blob: Buffer = b"") -> tuple[int, Message]:
    """Raises FrameError on anything malformed (the caller answers with an error status)."""
    view, data = memoryview(meta), memoryview(blob)
    group_id, m, pos, at = decode_at(view, 0, data, 0)
    if pos != len(view):
        raise FrameError(f"raft message: {len(view) - pos} trailing bytes")
    if at != len(data):
        raise FrameError(f"{len(data) - at} blob bytes past the entries")
    return group_id, m


def decode_at(
    view: memoryview, pos: int, blob: memoryview, at: int
) -> tuple[int, Message, int, int]:
    """Decode the message whose meta starts at `view[pos]` and whose entries' bytes start at
    `blob[at]`: (group id, message, meta position after it, blob position after it)."""
    try:
        kind, group_id, src, dst, term = _PREFIX.unpack_from(view, pos)
        pos += _PREFIX.size
        if kind == VOTE_REQUEST:
            off, t, flags = _VOTE_REQ.unpack_from(view, pos)
            pos += _VOTE_REQ.size
            last = _position(off, t)
            m: Message = VoteRequest(src, dst, term, last, bool(flags & 1), bool(flags & 2))
        elif kind == VOTE_REPLY:
            flags, start = _VOTE_REPLY.unpack_from(view, pos)
            pos += _VOTE_REPLY.size
            m = VoteReply(src, dst, term, bool(flags & 1), bool(flags & 2), start)
        elif kind == APPEND:
            m, pos, at = _decode_append(view, pos, src, dst, term, blob, at)
        elif kind == APPEND_REPLY:
            ok, mo, mt, flushed, dirty, seq, start = _APPEND_REPLY.unpack_from(view, pos)
            pos += _APPEND_REPLY.size
            match = _position(mo, mt)
            m = AppendReply(src, dst, term, bool(ok), match, flushed, dirty, seq, start)
        elif kind == TIMEOUT_NOW:
            m = TimeoutNow(src, dst, term)
        else:
            raise FrameError(f"unknown raft message kind {kind}")
    except struct.error as e:
        raise FrameError(f"raft message truncated: {e}") from None
    return group_id, m, pos, at


def _decode_append(
    view: memoryview, pos: int, src: int, dst: int, term: int, blob: memoryview, at: int
) -> tuple[AppendRequest, int, int]:
    po, pt, commit, visible, seq, count = _APPEND.unpack_from(view, pos)
    pos += _APPEND.size
    extended, configs = bool(count & _HAS_START), bool(count & _HAS_CONFIGS)
    has_state = bool(count & _HAS_STATE)
    count &= _COUNT_MASK
    if count > _ENTRIES_MAX:
        raise FrameError(f"{count} entries")
    entries: list[Entry] = []
    for _ in range(count):
        et, base, last, ekind, n = _ENTRY.unpack_from(view, pos)
        pos += _ENTRY.size
        if ekind == 2:
            config, pos = _unpack_config(view, pos)
            entries.append(Entry(et, base, last, ConfigAt(et, base, n, config)))
        elif ekind == 1:
            if n > _VOTERS_MAX:
                raise FrameError(f"{n} voters")
            voters = struct.unpack_from(f"<{n}i", view, pos)
            pos += 4 * n
            entries.append(Entry(et, base, last, voters))
        elif ekind == 0:
            if at + n > len(blob):
                raise FrameError(f"entry of {n} bytes past the blob's {len(blob)}")
            entries.append(Entry(et, base, last, blob[at : at + n]))
            at += n
        else:
            raise FrameError(f"unknown entry kind {ekind}")
    start, snapshot = 0, tuple[TermStart, ...]()
    if extended:
        start, snapshot, pos = _decode_start(view, pos)
    snapshot_configs: tuple[ConfigAt, ...] = ()
    if configs:
        snapshot_configs, pos = _decode_configs(view, pos)
    state = b""
    if has_state:
        (n,) = struct.unpack_from("<I", view, pos)
        pos += 4
        if n > _STATE_MAX or at + n > len(blob):
            raise FrameError(f"snapshot state of {n} bytes (blob {len(blob)}, at {at})")
        state, at = bytes(blob[at : at + n]), at + n
    prev = _position(po, pt)
    m = AppendRequest(
        src,
        dst,
        term,
        prev,
        tuple(entries),
        commit,
        visible,
        seq,
        start,
        snapshot,
        snapshot_configs,
        state,
    )
    return m, pos, at


def _decode_configs(view: memoryview, pos: int) -> tuple[tuple[ConfigAt, ...], int]:
    (count,) = struct.unpack_from("<I", view, pos)
    pos += 4
    if count > _VOTERS_MAX:
        raise FrameError(f"{count} snapshot configurations")
    out = []
    for _ in range(count):
        term, offset, seq = _CONFIG_AT.unpack_from(view, pos)
        pos += _CONFIG_AT.size
        config, pos = _unpack_config(view, pos)
        out.append(ConfigAt(term, offset, seq, config))
    return tuple(out), pos


def _decode_start(view: memoryview, pos: int) -> tuple[int, tuple[TermStart, ...], int]:
    start, count = _START.unpack_from(view, pos)
    pos += _START.size
    if count > _ENTRIES_MAX:
        raise FrameError(f"{count} term starts")
    runs = []
    for _ in range(count):
        term, offset, n = _RUN.unpack_from(view, pos)
        pos += _RUN.size
        if n > _VOTERS_MAX:
            raise FrameError(f"{n} voters")
        runs.append(TermStart(term, offset, struct.unpack_from(f"<{n}i", view, pos)))
        pos += 4 * n
    return start, tuple(runs), pos
