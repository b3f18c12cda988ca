"""Parsing and formatting of the units tuners deal in: byte sizes, durations, CPU sets, masks."""

from __future__ import annotations

import re

_SIZE_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "t": 1000**4,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_DURATION_UNITS_S = {"": 1.0, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_size_bytes(text: str | int) -> int:
    """'1GiB' -> 1073741824, '100MB' -> 100000000, 4096 -> 4096."""
    if isinstance(text, int):
        return text
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(text))
    if not match or match.group(2).lower() not in _SIZE_UNITS:
        raise ValueError(f"invalid size {text!r} (examples: 1GiB, 500MB, 4096)")
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()])


def parse_duration_s(text: str | float) -> float:
    """Go-style durations: '10m', '1h30m', '500ms', '2s'; a bare number is seconds."""
    if isinstance(text, (int, float)):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|)", str(text).strip())
    joined = "".join(n + u for n, u in parts)
    if not parts or joined != str(text).strip():
        raise ValueError(f"invalid duration {text!r} (examples: 10s, 10m, 1h, 500ms)")
    return sum(float(n) * _DURATION_UNITS_S[u] for n, u in parts)


def parse_cpu_list(text: str) -> list[int]:
    """cpuset(7) list syntax: '0-3,8,10-11' -> [0, 1, 2, 3, 8, 10, 11]."""
    cpus: set[int] = set()
    for part in text.strip().split(","):
        part = part.strip()
        if not part:
            continue
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not match:
            raise ValueError(f"invalid CPU list {text!r} (cpuset syntax, e.g. 0-3,8)")
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if high < low:
            raise ValueError(f"invalid CPU range {part!r}")
        cpus.update(range(low, high + 1))
    return sorted(cpus)


def cpus_to_mask(cpus: list[int] | set[int]) -> int:
    mask = 0
    for cpu in cpus:
        mask |= 1 << cpu
    return mask


def format_mask(mask: int, cpu_count: int) -> str:
    """The kernel's bitmap form: 32-bit hex groups, comma separated ('00000000,0000000f')."""
    groups = max(1, (max(cpu_count, mask.bit_length()) + 31) // 32)
    words = [(mask >> (32 * i)) & 0xFFFFFFFF for i in reversed(range(groups))]
    return ",".join(f"{w:08x}" for w in words)


def parse_mask(text: str) -> int:
    cleaned = text.strip().replace(",", "")
    try:
        return int(cleaned or "0", 16)
    except ValueError:
        raise ValueError(f"invalid CPU mask {text!r}") from None


def mask_to_cpus(mask: int) -> list[int]:
    return [i for i in range(mask.bit_length()) if mask >> i & 1]
