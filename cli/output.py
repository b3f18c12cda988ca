"""Printing as rpk prints: uppercase headers, two-space padded columns, `=` under section titles.

Plain, stable text when stdout is not a terminal; Rich adds colour (and progress bars, on
stderr) only on a terminal. Commands build rows/views; these helpers lay them out.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from cli.errors import UsageError


def is_tty(stream=None) -> bool:
    stream = stream or sys.stdout
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


TAB_MIN_WIDTH, TAB_PADDING = 6, 2  # rpk's tabwriter.NewWriter(os.Stdout, 6, 4, 2, ' ', 0)


def _layout(rows: list[list[str]]) -> list[str]:
    """Go's text/tabwriter: every cell but a line's last sits in a column as wide as its widest
    cell plus the padding, at least the minimum width; the last cell is not padded (an empty
    last cell leaves the padding of the one before, as Go prints it)."""
    widths: list[int] = []
    for row in rows:
        for i, cell in enumerate(row[:-1]):
            width = max(TAB_MIN_WIDTH, len(cell) + TAB_PADDING)
            if i < len(widths):
                widths[i] = max(widths[i], width)
            else:
                widths.append(width)
    return ["".join(c.ljust(widths[i]) for i, c in enumerate(row[:-1])) + row[-1] for row in rows]


def _cells(row: Sequence[Any]) -> list[str]:
    return ["" if c is None else str(c) for c in row]


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """rpk's tabwriter layout: headers upper-cased and trimmed, columns padded by two spaces."""
    head = [str(h).strip().upper() for h in headers]
    return "\n".join(_layout([head, *(_cells(r) for r in rows)]))


def format_columns(rows: Iterable[Sequence[Any]]) -> str:
    """rpk's PrintColumn blocks: an UPPERCASE key, then its values, tab-aligned."""
    body = [[str(r[0]).upper(), *_cells(r[1:])] for r in rows]
    return "\n".join(_layout(body))


def section(title: str, body: str) -> str:
    title = title.upper()
    return f"{title}\n{'=' * len(title)}\n{body}\n"


def print_sections(sections: Sequence[tuple[str, str]], file=None) -> None:
    """Titled sections; with only one section the title is omitted (NewMaybeHeaderSections)."""
    out = file or sys.stdout
    if len(sections) == 1:
        emit(sections[0][1], file=out)
        return
    for title, body in sections:
        emit(section(title, body), file=out)


def emit(text: str, file=None) -> None:
    """Print one block of text; on a terminal, headers of tables get colour through Rich."""
    out = file or sys.stdout
    if out is sys.stdout and is_tty(out):
        from rich.console import Console

        Console(highlight=False, soft_wrap=True).print(text, markup=False)
        return
    print(text, file=out)


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], file=None) -> None:
    emit(format_table(headers, rows), file=file)


def check_format(fmt: str, allowed: Sequence[str] = ("text", "json", "yaml")) -> str:
    value = fmt.strip().lower()
    if value in ("short",):
        value = "text"
    if value not in allowed:
        raise UsageError(f"unsupported format {fmt!r}, supported: {', '.join(allowed)}")
    return value


def print_structured(value: Any, fmt: str, file=None) -> None:
    """Print `value` as json (compact, like Go's json.Marshal) or yaml."""
    out = file or sys.stdout
    if fmt == "json":
        print(json.dumps(value, separators=(",", ":")), file=out)
    elif fmt == "yaml":  # yaml.v3's Marshal, then Println: rpk ends it with a blank line
        from cli import yaml_v3

        print(yaml_v3.dump(value), file=out)
    else:
        raise UsageError(f"unsupported structured format {fmt!r}")


@contextlib.contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Any]:
    """A Rich progress bar on stderr when it is a terminal; a no-op advance() otherwise."""
    if not is_tty(sys.stderr):
        yield lambda n=1: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)
