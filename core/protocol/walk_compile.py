"""Compile a kio entity schema into a Python walker that checks every claimed size.

A walker `w(b, p, e, ed, tr) -> p` walks one entity of `b` (bytes) from offset `p`,
never past `e`, without building any object. Every length or count read from the wire
is checked against the bytes left before anything can be reserved for it: a string or
bytes field must fit, an array of N elements needs N * (smallest element) bytes. Unknown
tagged fields (KIP-482) are recorded in `ed` as edits that drop them; `tr`, when a list,
receives (offset, kind, field) for every length and count read (the fuzz tests use it).

The walker's source is generated once per schema class (`compile_walker`) so the hot
path is straight-line Python with the fixed-size runs of a struct folded into one step.
The layout it walks (each field's Kind, the minimum and fixed sizes) is core.protocol.walk_layout.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from core.protocol.walk_layout import Kind, fixed_size, is_flexible, min_size, split_fields
from core.protocol.walk_runtime import RUNTIME, GuardError

__all__ = ["GuardError", "compile_walker", "walker_source"]

# --- code generation ----------------------------------------------------------------------


class _Gen:
    """Generates one module of walker functions for an entity and everything it contains."""

    def __init__(self, trace: bool) -> None:
        self.trace = trace
        self.names: dict[type, str] = {}
        self.sources: list[str] = []
        self.env: dict[str, Any] = dict(RUNTIME)
        self.counter = 0

    def entity(self, cls: type) -> str:
        if cls in self.names:
            return self.names[cls]
        name = f"w_{len(self.names)}_{cls.__name__}"
        self.names[cls] = name
        lines = [f"def {name}(b, p, e, ed, tr):", *self.entity_body(cls, 1), "    return p"]
        self.sources.append("\n".join(lines))
        return name

    def entity_body(self, cls: type, ind: int) -> list[str]:
        """The statements walking one `cls` at indentation `ind` (inlined in loops)."""
        plain, tagged = split_fields(cls)
        lines: list[str] = []
        pending = 0
        pending_names: list[str] = []
        for fname, kind in plain:
            label = f"{cls.__name__}.{fname}"
            if kind.tag == "fixed":
                pending += kind.size
                pending_names.append(label)
                continue
            if pending:
                lines += self._fixed(pending, ", ".join(pending_names), ind)
                pending, pending_names = 0, []
            lines += self.value(kind, label, ind)
        if pending:
            lines += self._fixed(pending, ", ".join(pending_names), ind)
        if is_flexible(cls):
            lines += self._tag_section(cls, tagged, ind)
        return lines or ["    " * ind + "pass"]

    def _tag_section(self, cls: type, tagged: dict, ind: int) -> list[str]:
        known = {}
        for tag, (fname, kind) in tagged.items():
            known[tag] = (fname, self._value_fn(kind, f"{cls.__name__}.{fname}"))
        var = self._const(known)
        label = repr(cls.__name__)
        pad = "    " * ind
        return [
            f"{pad}if p < e and b[p] == 0 and tr is None:",
            f"{pad}    p += 1",
            f"{pad}else:",
            f"{pad}    p = _tags(b, p, e, ed, tr, {var}, {label})",
        ]

    def _value_fn(self, kind: Kind, label: str) -> Any:
        """A standalone walker for one value (a tagged field's)."""
        if kind.tag == "entity" and not kind.nullable:
            return _Ref(self, self.entity(kind.entity))
        name = f"v_{self._next()}"
        lines = [f"def {name}(b, p, e, ed, tr):", *self.value(kind, label, 1), "    return p"]
        self.sources.append("\n".join(lines))
        return _Ref(self, name)

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    def _const(self, value: Any) -> str:
        var = f"c_{self._next()}"
        self.env[var] = value
        return var

    def _fixed(self, size: int, label: str, ind: int) -> list[str]:
        pad = "    " * ind
        return [
            f"{pad}p += {size}",
            f"{pad}if p > e:",
            f"{pad}    raise _under({label!r}, {size}, e - p + {size})",
        ]

    def _tr(self, kind: str, label: str, pad: str) -> list[str]:
        return [f"{pad}tr.append((p, {kind!r}, {label!r}))"] if self.trace else []

    def _length(self, kind: Kind, label: str, ind: int, var: str) -> list[str]:
        """Read a length or count into `var`; -1 means null."""
        pad = "    " * ind
        if kind.tag == "lstr":
            return [
                *self._tr("i16len", label, pad),
                f"{pad}if p + 2 > e:",
                f"{pad}    raise _under({label!r}, 2, e - p)",
                f"{pad}{var} = _I16(b, p)[0]",
                f"{pad}p += 2",
            ]
        if kind.tag == "lbytes" or (kind.tag == "array" and not kind.compact):
            trace = "i32count" if kind.tag == "array" else "i32len"
            return [
                *self._tr(trace, label, pad),
                f"{pad}if p + 4 > e:",
                f"{pad}    raise _under({label!r}, 4, e - p)",
                f"{pad}{var} = _I32(b, p)[0]",
                f"{pad}p += 4",
            ]
        trace = "uvarcount" if kind.tag == "array" else "uvarlen"
        return [
            *self._tr(trace, label, pad),
            f"{pad}if p >= e:",
            f"{pad}    raise _under({label!r}, 1, 0)",
            f"{pad}{var} = b[p]",
            f"{pad}p += 1",
            f"{pad}if {var} > 127:",
            f"{pad}    if p < e and b[p] < 128:",  # two-byte varint: lengths up to 16 KiB
            f"{pad}        {var} = ({var} & 127) | (b[p] << 7)",
            f"{pad}        p += 1",
            f"{pad}    else:",
            f"{pad}        {var}, p = _uvar(b, p - 1, e, {label!r})",
            f"{pad}{var} -= 1",
        ]

    def _null_check(self, kind: Kind, label: str, ind: int, var: str) -> list[str]:
        pad = "    " * ind
        what = "count" if kind.tag == "array" else "length"
        lines = [f"{pad}if {var} < 0:"]
        if kind.nullable:
            lines.append(f"{pad}    if {var} != -1:")
            lines.append(f"{pad}        raise GuardError({label!r} + ': negative {what}')")
        else:
            lines.append(f"{pad}    raise GuardError({label!r} + ': null or negative {what}')")
        return lines

    def value(self, kind: Kind, label: str, ind: int) -> list[str]:
        pad = "    " * ind
        if kind.tag == "fixed":
            return self._fixed(kind.size, label, ind)
        if kind.tag == "entity":
            fn = self.entity(kind.entity)
            if not kind.nullable:
                return [f"{pad}p = {fn}(b, p, e, ed, tr)"]
            return [
                f"{pad}if p >= e:",
                f"{pad}    raise _under({label!r}, 1, 0)",
                f"{pad}if b[p] == 1:",
                f"{pad}    p = {fn}(b, p + 1, e, ed, tr)",
                f"{pad}elif b[p] == 255:",
                f"{pad}    p += 1",
                f"{pad}else:",
                f"{pad}    raise GuardError({label!r} + ': bad nullable struct marker')",
            ]
        var = f"n{ind}"
        lines = self._length(kind, label, ind, var)
        lines += self._null_check(kind, label, ind, var)
        if kind.tag in ("lstr", "lbytes", "cstr"):
            return [
                *lines,
                f"{pad}elif {var} > e - p:",
                f"{pad}    raise _under({label!r}, {var}, e - p)",
                f"{pad}else:",
                f"{pad}    p += {var}",
            ]
        return lines + self._array_body(kind, label, ind, var)

    def _array_body(self, kind: Kind, label: str, ind: int, var: str) -> list[str]:
        pad = "    " * ind
        elem = kind.elem
        assert elem is not None
        least = min_size(elem)
        lines = [
            f"{pad}elif {var} * {least} > e - p:",
            f"{pad}    raise _under({label!r} + ' (%d elements)' % {var}, {var} * {least}, e - p)",
            f"{pad}elif {var} > _left[0]:",
            f"{pad}    raise _too_many({label!r}, {var})",
        ]
        size = elem.size if elem.tag == "fixed" else None
        if elem.tag == "entity" and not elem.nullable:
            size = fixed_size(elem.cls)
        if size is not None and not self.trace:
            return lines + [
                f"{pad}else:",
                f"{pad}    _left[0] -= {var}",
                f"{pad}    p += {var} * {size}",
            ]
        if elem.tag == "entity" and not elem.nullable:
            body = self.entity_body(elem.entity, ind + 2)  # inlined: no call per element
        else:
            body = self.value(elem, label + "[]", ind + 2)
        return lines + [
            f"{pad}else:",
            f"{pad}    _left[0] -= {var}",
            f"{pad}    for _ in range({var}):",
            *body,
        ]

    def build(self, root: str) -> Any:
        source = "\n\n".join(self.sources)
        self.env["GuardError"] = GuardError
        exec(compile(source, f"<walker {root}>", "exec"), self.env)  # noqa: S102 (own codegen)
        for ref in _Ref.pending(self):
            ref.bind(self.env)
        return self.env[root]


class _Ref:
    """A generated function named before its module is compiled; callable once bound."""

    _all: dict[int, list[_Ref]] = {}

    def __init__(self, gen: _Gen, name: str) -> None:
        self.name = name
        self.fn: Any = None
        _Ref._all.setdefault(id(gen), []).append(self)

    @classmethod
    def pending(cls, gen: _Gen) -> list[_Ref]:
        return cls._all.pop(id(gen), [])

    def bind(self, env: dict) -> None:
        self.fn = env[self.name]

    def __call__(self, b, p, e, ed, tr):
        return self.fn(b, p, e, ed, tr)


@cache
def compile_walker(cls: type, trace: bool = False) -> Any:
    """The walker of entity `cls`, generated and compiled once."""
    gen = _Gen(trace)
    root = gen.entity(cls)
    return gen.build(root)


@cache
def walker_source(cls: type, trace: bool = False) -> str:
    gen = _Gen(trace)
    gen.entity(cls)
    return "\n\n".join(gen.sources)
