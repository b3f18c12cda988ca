"""In-process cost of produce batch validation (core.model.validation), in CPU ms per MB.

Measured apart from the broker so the figure is steady on a shared machine: the broker's
produce CPU-s/GB moves by more than this between runs. Shapes: what the bench producer
sends (1 KiB records, one batch of about 1 MB), small records (100 B), and a compacted
topic's zstd batch (the one case that decompresses).
"""

from __future__ import annotations

import time

from core.model.batch import parse_header
from core.model.records import COMPRESSION_NONE, COMPRESSION_ZSTD, Record, build_batch
from core.model.validation import ProducePolicy, validate_client_batch

_SHAPES = {
    "uncompressed_1kib_records": (1024, 1000, COMPRESSION_NONE, False),
    "uncompressed_100b_records": (100, 10_000, COMPRESSION_NONE, False),
    "compacted_zstd_1kib_records": (1024, 1000, COMPRESSION_ZSTD, True),
}


def cpu_ms_per_mb(repeats: int = 30) -> dict[str, float]:
    now_ms = time.time_ns() // 1_000_000
    out: dict[str, float] = {}
    for name, (value_bytes, count, codec, compacted) in _SHAPES.items():
        records = [Record(b"key-%d" % i, b"x" * value_bytes) for i in range(count)]
        batch = build_batch(records, timestamp_ms=now_ms, compression=codec)
        header = parse_header(batch)
        policy = ProducePolicy(compacted=compacted, timestamp_after_max_ms=3_600_000)
        started = time.process_time()
        for _ in range(repeats):
            validate_client_batch(batch, header, policy, now_ms, "bench-0")
        cpu_s = time.process_time() - started
        uncompressed_mb = count * value_bytes * repeats / 1e6
        out[name] = round(cpu_s * 1000 / uncompressed_mb, 3)
    return out
