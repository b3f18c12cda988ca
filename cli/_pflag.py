"""Flag lines laid out as pflag's FlagUsagesWrapped (spf13/pflag v1.0.5, as rpk uses it).

A row is `  -s, --name type` then the usage text and `(default x)`; the usage column starts 3
spaces after the longest left part, and usage text is wrapped to the terminal width (80
columns when stdin is not a terminal, as rpk asks the size of fd 0).
"""

from __future__ import annotations

import os
import re

from typer.models import DefaultPlaceholder

from cli.config import rpk_yaml

DEFAULT_COLUMNS = 80
# pflag's Value.Type() names, as UnquoteUsage prints them; an option's metavar names one of
# these when its Go flag is not the type its Python annotation suggests (int32, duration...).
PFLAG_TYPES = frozenset(
    {
        "string",
        "int",
        "int8",
        "int16",
        "int32",
        "uint",
        "uint16",
        "uint32",
        "float",
        "float32",
        "duration",
        "strings",
        "stringArray",
        "ints",
        "int32Slice",
        "uints",
        "bools",
        "count",
    }
)
_QUOTED_TYPES = ("string",)
_PYTHON_TYPES = {int: "int", float: "float", bool: ""}
_ZERO_DEFAULTS: tuple[object, ...] = (None, "", [], (), False, 0, "0s")


def type_name(param) -> str:
    """The type word after the flag name ("" for bools), as pflag's UnquoteUsage."""
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return ""
    if param.metavar in PFLAG_TYPES:
        return param.metavar
    if param.multiple:
        return "stringArray"
    descriptor = getattr(param, "type_descriptor", None)
    annotation = getattr(descriptor, "annotation", str)
    return _PYTHON_TYPES.get(annotation, "string")


def default_text(param, kind: str) -> str:
    """pflag's ` (default x)`, left out when the default is the type's zero value."""
    default = param.default
    if isinstance(default, DefaultPlaceholder) or callable(default):
        return ""
    if default in _ZERO_DEFAULTS:
        return ""
    if kind in _QUOTED_TYPES:
        return f" (default {go_quote(str(default))})"
    if kind == "duration":
        return f" (default {go_duration(str(default))})"
    if isinstance(default, (list, tuple)):
        return f" (default [{','.join(str(d) for d in default)}])"
    if isinstance(default, bool):
        return f" (default {str(default).lower()})"
    return f" (default {default})"


_UNIT_NS = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9, "m": 60 * 10**9}
_UNIT_NS["h"] = 60 * _UNIT_NS["m"]


def go_duration(text: str) -> str:
    """A duration default (`10s`, `1m`, `1h30m`) as Go's time.Duration.String prints it."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return text  # not a Go duration literal: shown as written
    total_ns = round(sum(float(n) * _UNIT_NS[u] for n, u in parts))
    if total_ns == 0:
        return "0s"
    if total_ns < _UNIT_NS["s"]:
        for unit in ("ms", "µs", "ns"):
            if total_ns >= _UNIT_NS[unit] or unit == "ns":
                return _trim(total_ns / _UNIT_NS[unit]) + unit
    hours, rest = divmod(total_ns, _UNIT_NS["h"])
    minutes, rest = divmod(rest, _UNIT_NS["m"])
    seconds = _trim(rest / _UNIT_NS["s"]) + "s"
    if hours:
        return f"{hours}h{minutes}m{seconds}"
    return f"{minutes}m{seconds}" if minutes else seconds


def _trim(value: float) -> str:
    return f"{value:.9f}".rstrip("0").rstrip(".")


def go_quote(text: str) -> str:
    """Go's %q for the plain texts defaults hold."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\t", "\\t") + '"'


def usage_text(param) -> str:
    """The flag's help as rpk words it: a one-line usage, no closing period.

    `{rpk.yaml}` stands for rpk's own search path, quoted as rpk prints it (%q).
    """
    text = (param.help or "").strip().replace("{rpk.yaml}", go_quote(str(rpk_yaml.default_path())))
    return text[:-1] if text.endswith(".") and not text.endswith("..") else text


def flag_row(param) -> tuple[str, str]:
    shorts = [o for o in param.opts if not o.startswith("--")]
    longs = [o for o in param.opts if o.startswith("--")]
    left = f"  {shorts[0]}, " if shorts else "      "
    left += longs[0] if longs else ""
    kind = type_name(param)
    if kind:
        left += f" {kind}"
    return left, usage_text(param) + default_text(param, kind)


def columns() -> int:
    try:
        return os.get_terminal_size(0).columns
    except OSError:
        return DEFAULT_COLUMNS


def render(rows: list[tuple[str, str]], cols: int | None = None) -> str:
    """pflag's FlagUsagesWrapped over already sorted rows, right-trimmed as cobra trims it."""
    if not rows:
        return ""
    cols = columns() if cols is None else cols
    width = max(len(left) for left, _ in rows)
    lines = [f"{left.ljust(width)}   {_wrap(width + 3, cols, text)}" for left, text in rows]
    return "\n".join(lines).rstrip()


def _wrap(indent: int, cols: int, text: str) -> str:
    """pflag's wrap: the first line follows the caller's indent, the rest are indented."""
    if cols == 0:
        return text.replace("\n", "\n" + " " * indent)
    room = cols - indent
    out = ""
    if room < 24:  # no room for sensible wrapping: a block on the next lines
        indent = 16
        room = cols - indent
        out += "\n" + " " * indent
    if room < 24:
        return text.replace("\n", out)
    slop = 5
    room -= slop
    first, text = _wrap_n(room, slop, text)
    out += first.replace("\n", "\n" + " " * indent)
    while text:
        line, text = _wrap_n(room, slop, text)
        out += "\n" + " " * indent + line.replace("\n", "\n" + " " * indent)
    return out


def _wrap_n(limit: int, slop: int, text: str) -> tuple[str, str]:
    if limit + slop > len(text):
        return text, ""
    head = text[:limit]
    cut = max(head.rfind(" "), head.rfind("\t"), head.rfind("\n"))
    if cut <= 0:
        return text, ""
    newline = head.rfind("\n")
    if 0 < newline < cut:
        return text[:newline], text[newline + 1 :]
    return text[:cut], text[cut + 1 :]
