"""Compare a partition's replicas byte for byte: read every node's segment files
(<data>/kafka/<topic>/<index>_<revision>/<base>-<term>-v1.log, concatenated v2 batches) and check
that the batches up to the commit point (the high watermark) are the same bytes on every node."""

from __future__ import annotations

import struct
import time
from pathlib import Path

from core.testing.cluster import BrokerCluster

_HEAD = struct.Struct(">qi")  # baseOffset, batchLength
_LAST_DELTA_AT = 23  # base 8 + length 4 + epoch 4 + magic 1 + crc 4 + attributes 2
LOG_OVERHEAD = 12
CONVERGE_TIMEOUT_S = 15.0


def segment_files(partition_dir: Path) -> list[Path]:
    def base(p: Path) -> int:
        return int(p.name.split("-", 1)[0])

    return sorted((p for p in partition_dir.iterdir() if p.name.endswith("-v1.log")), key=base)


def batches(partition_dir: Path) -> list[tuple[int, int, bytes]]:
    """(base offset, last offset, batch bytes) of every whole batch, in log order. A torn or
    zero-filled tail (preallocation, a write in progress) ends a segment's scan."""
    out: list[tuple[int, int, bytes]] = []
    for path in segment_files(partition_dir):
        data = path.read_bytes()
        pos = 0
        while pos + LOG_OVERHEAD <= len(data):
            base, length = _HEAD.unpack_from(data, pos)
            end = pos + LOG_OVERHEAD + length
            if length < _LAST_DELTA_AT or end > len(data):
                break
            (delta,) = struct.unpack_from(">i", data, pos + _LAST_DELTA_AT)
            out.append((base, base + delta, data[pos:end]))
            pos = end
    return out


def committed_prefix(partition_dir: Path, high_watermark: int) -> tuple[bytes, int]:
    """(the bytes of the batches ending below the high watermark, next offset after them)."""
    chunks, nxt = [], 0
    for _base, last, raw in batches(partition_dir):
        if last >= high_watermark:
            break
        chunks.append(raw)
        nxt = last + 1
    return b"".join(chunks), nxt


def assert_replicas_identical(
    cluster: BrokerCluster,
    topic: str,
    partition: int,
    high_watermark: int,
    *,
    replicas: int,
    timeout_s: float = CONVERGE_TIMEOUT_S,
) -> dict[int, int]:
    """Wait until `replicas` nodes hold the partition up to the high watermark with the same
    bytes (a healed node may still have to truncate a divergent tail), else AssertionError naming
    the laggards or the first differing batch. Returns node id -> committed bytes compared."""
    deadline = time.monotonic() + timeout_s
    while True:
        dirs = cluster.partition_dirs(topic, partition)
        prefixes = {node: committed_prefix(d, high_watermark) for node, d in dirs.items()}
        behind = {n: nxt for n, (_, nxt) in prefixes.items() if nxt < high_watermark}
        differ = {n for n, (data, _) in prefixes.items() if data != prefixes[min(prefixes)][0]}
        if len(dirs) >= replicas and not behind and not differ:
            return {node: len(data) for node, (data, _) in prefixes.items()}
        if time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    problems = [f"replicas on nodes {sorted(dirs)} (want {replicas})"]
    if behind:
        problems.append(f"behind the high watermark {high_watermark} (next offset): {behind}")
    for node in sorted(differ):
        diff = first_difference(dirs[min(prefixes)], dirs[node], high_watermark)
        problems.append(f"node {node} differs from node {min(prefixes)}: {diff}")
    raise AssertionError(
        f"{topic}/{partition} after {timeout_s}s: "
        + "; ".join(problems)
        + "\n"
        + cluster.log_tails(15)
    )


def first_difference(a: Path, b: Path, high_watermark: int) -> str:
    left = [x for x in batches(a) if x[1] < high_watermark]
    right = [x for x in batches(b) if x[1] < high_watermark]
    for (base_a, last_a, raw_a), (base_b, last_b, raw_b) in zip(left, right):
        if raw_a != raw_b:
            return (
                f"batch {base_a}-{last_a} ({len(raw_a)} B) vs {base_b}-{last_b} ({len(raw_b)} B), "
                f"leader epochs {raw_a[12:16].hex()} vs {raw_b[12:16].hex()}"
            )
    return f"{len(left)} vs {len(right)} batches below {high_watermark}"
