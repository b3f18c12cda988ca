"""rpk's out.Pick (survey's Select prompt) on a line-based reader.

Survey renders the question and its options, then reads keys from stdin whatever it is: the keys
typed filter the options (case-insensitive substring, survey's default filter) and Enter picks the
first option left (the first of all on an empty line). When stdin ends first, survey's read fails
with `EOF`, which rpk reports (`unable to pick logger: EOF`). Here the question and options are
shown only when stdin is a terminal (a script's stdout gets no prompt); a typed line is the filter.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from cli.output import is_tty

MAX_LINE_CHARS = 4096


class PickError(Exception):
    """survey's error text: `EOF` when stdin ends, `interrupt` on Ctrl-C."""


def survey_filter(typed: str, options: Sequence[str]) -> list[str]:
    needle = typed.lower()
    return [o for o in options if needle in o.lower()]


def pick(options: Sequence[str], message: str) -> str:
    tty = is_tty(sys.stdin)
    if tty:
        listing = "\n".join(f"  {o}" for o in options)
        print(f"? {message}\n{listing}", file=sys.stderr)
    while True:
        if tty:
            print("> filter (Enter picks the first match): ", end="", file=sys.stderr, flush=True)
        try:
            line = sys.stdin.readline(MAX_LINE_CHARS)
        except KeyboardInterrupt:
            raise PickError("interrupt") from None
        if not line:
            raise PickError("EOF")
        matches = survey_filter(line.strip(), options)
        if matches:
            return matches[0]
        if tty:
            print("no option matches", file=sys.stderr)
