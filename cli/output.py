"""Printing as rpk prints: uppercase headers, two-space padded columns, `=` under section titles.

Plain, stable text when stdout is not a terminal; Rich adds colour (and progress bars, on
stderr) only on a terminal. Commands build rows/views; these helpers lay them out.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from cli.errors import UsageError


def is_tty(stream=None) -> bool:
    stream = stream or sys.stdout
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


# rpk's out.NewTabWriterTo: tabwriter.NewWriter(w, 6, 4, 2, ' ', 0) (minwidth 6, tabwidth 4,
# padding 2, padchar ' ', no flags: tabwidth only matters when padding with tabs, never here).
TAB_MIN_WIDTH, TAB_PADDING = 6, 2


def _split_tabwriter_lines(text: str) -> list[list[str]]:
    """Go tabwriter's Write: '\t' and '\v' end a cell, '\n' and '\f' end a cell and a line;
    the text after a line's last tab is its last cell, which sits in no column."""
    lines: list[list[str]] = []
    cells: list[str] = []
    pending = ""
    for piece in re.split(r"([\t\v\n\f])", text):
        if piece in ("\t", "\v"):
            cells.append(pending)
        elif piece in ("\n", "\f"):
            lines.append([*cells, pending])
            cells = []
        else:
            pending = piece
            continue
        pending = ""
    if pending or cells:  # Flush: an unterminated last line keeps only its terminated cells
        lines.append([*cells, pending] if pending else cells)
    return lines


def tabwrite(text: str, minwidth: int = TAB_MIN_WIDTH, padding: int = TAB_PADDING) -> str:
    """Go's text/tabwriter with padchar ' ' and no flags, exactly: a column is aligned only over
    a block of consecutive lines that each have a cell in it (a line with fewer cells ends the
    block, and the next line with that column starts a new one); a column's width is its widest
    cell (in runes) plus the padding, at least minwidth; a line's last cell is never padded."""
    lines = _split_tabwriter_lines(text)
    out: list[str] = []
    widths: list[int] = []

    def write(first: int, end: int) -> None:
        for line in lines[first:end]:
            out.append(
                "".join(c.ljust(widths[j]) if j < len(widths) else c for j, c in enumerate(line))
            )

    def fmt(first: int, end: int) -> None:
        column, this = len(widths), first
        while this < end:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write(first, this)
            first, width = this, minwidth
            while this < end and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            widths.append(width)
            fmt(first, this)
            widths.pop()
            first = this
        write(first, end)

    fmt(0, len(lines))
    return "\n".join(out) + ("\n" if text.endswith(("\n", "\f")) else "")


def _layout(rows: list[list[str]]) -> list[str]:
    """rpk's TabWriter.Print for each row (cells joined by tabs, then a newline), flushed."""
    return tabwrite("".join("\t".join(row) + "\n" for row in rows)).split("\n")[:-1]


def _cells(row: Sequence[Any]) -> list[str]:
    return ["" if c is None else str(c) for c in row]


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """rpk's tabwriter layout: headers upper-cased and trimmed, columns padded by two spaces."""
    head = [str(h).strip().upper() for h in headers]
    return "\n".join(_layout([head, *(_cells(r) for r in rows)]))


def format_rows(rows: Iterable[Sequence[Any]]) -> str:
    """rpk's out.NewTable() with no headers (or NewTabWriter): rows printed as they are."""
    return "\n".join(_layout([_cells(r) for r in rows]))


def format_columns(rows: Iterable[Sequence[Any]]) -> str:
    """rpk's PrintColumn blocks: an UPPERCASE key, then its values, tab-aligned."""
    body = [[str(r[0]).upper(), *_cells(r[1:])] for r in rows]
    return "\n".join(_layout(body))


def section(title: str, body: str) -> str:
    title = title.upper()
    return f"{title}\n{'=' * len(title)}\n{body}\n"


def print_sections(sections: Sequence[tuple[str, str]], file=None) -> None:
    """rpk's NewMaybeHeaderSections: titles only when there are several sections, and a blank
    line after each section but the last (Sections.Add prints one while others remain)."""
    out = file or sys.stdout
    if len(sections) == 1:
        emit(sections[0][1], file=out)
        return
    for i, (title, body) in enumerate(sections):
        text = section(title, body)
        emit(text if i < len(sections) - 1 else text.removesuffix("\n"), file=out)


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


_GO_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def go_json(value: Any, indent: str | None = None, sort_keys: bool = False) -> str:
    """Go's json.Marshal (or MarshalIndent with `indent`): UTF-8 kept as it is, and <, >, &,
    U+2028 and U+2029 escaped (they only occur inside strings, so replacing them is safe);
    `sort_keys` for a Go map (Marshal sorts its keys)."""
    separators = (",", ": ") if indent is not None else (",", ":")
    text = json.dumps(
        value, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys
    )
    for char, escaped in _GO_ESCAPES.items():
        text = text.replace(char, escaped)
    return text


def print_structured(value: Any, fmt: str, file=None) -> None:
    """Print `value` as json (compact, like Go's json.Marshal) or yaml."""
    out = file or sys.stdout
    if fmt == "json":
        print(go_json(value), file=out)
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
