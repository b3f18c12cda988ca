"""Printing as rpk prints: uppercase headers, two-space padded columns, `=` under section titles."""

from __future__ import annotations

import json
import sys
from typing import Any, Iterable, Sequence

import yaml


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """rpk's tabwriter layout: headers upper-cased, columns padded by two spaces."""
    head = [str(h).strip().upper() for h in headers]
    body = [["" if c is None else str(c) for c in row] for row in rows]
    widths = [len(h) for h in head]
    for row in body:
        for i, cell in enumerate(row):
            if i < len(widths):
                widths[i] = max(widths[i], len(cell))
            else:
                widths.append(len(cell))
    lines = []
    for row in [head, *body]:
        cells = [cell.ljust(widths[i]) if i < len(row) - 1 else cell for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def section(title: str, body: str) -> str:
    title = title.upper()
    return f"{title}\n{'=' * len(title)}\n{body}\n"


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], file=None) -> None:
    print(format_table(headers, rows), file=file or sys.stdout)


def print_structured(value: Any, fmt: str, file=None) -> None:
    """Print `value` as json or yaml (rpk's --format json|yaml)."""
    out = file or sys.stdout
    if fmt == "json":
        print(json.dumps(value, separators=(",", ":")), file=out)
    elif fmt == "yaml":
        print(yaml.safe_dump(value, sort_keys=False).rstrip(), file=out)
    else:
        raise ValueError(f"unsupported structured format {fmt!r}")
