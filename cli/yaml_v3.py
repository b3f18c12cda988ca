"""YAML written as Go's gopkg.in/yaml.v3 writes it (rpk's output): 4-space indentation,
sequences indented under their key, empty strings as "", empty mappings as {}."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import yaml
import yaml.emitter
import yaml.resolver

_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"
INDENT = 4


def _scalar(value: Any) -> str:
    """One scalar as yaml.v3 writes it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    return _string(str(value))


def _go_float(value: float) -> str:
    """strconv.FormatFloat(v, 'g', -1, 64) as yaml.v3 uses it: the shortest digits, with an
    exponent when the leading digit's is below -4 or at least 6."""
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    if value == 0:
        return "-0" if str(value).startswith("-") else "0"
    sign, digits, exp = Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    assert isinstance(exp, int)
    lead = exp + len(digits) - 1  # the decimal exponent of the first digit
    minus = "-" if sign else ""
    if lead < -4 or lead >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{minus}{mantissa}e{'-' if lead < 0 else '+'}{abs(lead):02d}"
    if lead < 0:
        return f"{minus}0.{'0' * (-lead - 1)}{text}"
    whole = text[: lead + 1].ljust(lead + 1, "0")
    frac = text[lead + 1 :]
    return f"{minus}{whole}{'.' + frac if frac else ''}"


def _string(value: str) -> str:
    """Plain when it reads back as the same string; double quotes when plain would read as
    another type (a number, a YAML 1.1 bool, null) or is empty; single quotes when plain is not
    allowed; yaml.v3's rules."""
    if value == "" or _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) != _STR_TAG:
        return json.dumps(value, ensure_ascii=False)
    analysis = yaml.emitter.Emitter(None).analyze_scalar(value)
    if analysis.multiline or not analysis.allow_block_plain:
        if analysis.multiline or not analysis.allow_single_quoted:
            return json.dumps(value, ensure_ascii=False)
        return "'" + value.replace("'", "''") + "'"
    return value


def _deeper(indent: int) -> int:
    """yaml.v3's indent for a block collection: the next multiple of INDENT."""
    return INDENT * ((indent + INDENT) // INDENT)


def _lines(node: Any, indent: int) -> list[str]:
    """Block lines at `indent`; a collection inside a sequence item starts after its "- "."""
    pad = " " * indent
    if isinstance(node, dict):
        out = []
        for key, value in node.items():
            head = f"{pad}{_scalar(key)}:"
            if isinstance(value, (dict, list, tuple)) and value:
                out += [head, *_lines(value, _deeper(indent))]
            elif isinstance(value, str) and "\n" in value:
                out += [f"{head} {_literal(value)}", *_block(value, _deeper(indent))]
            else:
                out.append(f"{head} {_inline(value)}")
        return out
    out = []
    for item in node:
        if isinstance(item, (dict, list, tuple)) and item:
            inner = _lines(item, indent + 2)
            out.append(f"{pad}- {inner[0][indent + 2 :]}")
            out += inner[1:]
        elif isinstance(item, str) and "\n" in item:
            out += [f"{pad}- {_literal(item)}", *_block(item, indent + 2)]
        else:
            out.append(f"{pad}- {_inline(item)}")
    return out


def _literal(value: str) -> str:
    """yaml.v3 writes a multi-line string as a literal block: |- without a final newline."""
    return "|" if value.endswith("\n") and not value.endswith("\n\n") else "|-"


def _block(value: str, indent: int) -> list[str]:
    return [(" " * indent + line) if line else "" for line in value.removesuffix("\n").split("\n")]


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, (list, tuple)):
        return "[]"
    return _scalar(value)


def dump(doc: Any) -> str:
    """`doc` (dicts, lists, scalars) as yaml.v3's Marshal writes it, ending in a newline."""
    if isinstance(doc, (dict, list, tuple)) and not doc:
        return _inline(doc) + "\n"
    return "\n".join(_lines(doc, 0)) + "\n"


def profile_doc(profile: dict) -> dict:
    """An rpk profile with rpk's fields in rpk's order, zero values included (RpkProfile)."""
    doc = {
        "name": profile.get("name", ""),
        "description": profile.get("description", ""),
        "prompt": profile.get("prompt", ""),
        "from_cloud": bool(profile.get("from_cloud", False)),
    }
    if profile.get("cloud_cluster"):
        doc["cloud_cluster"] = profile["cloud_cluster"]
    for key in ("kafka_api", "admin_api", "schema_registry"):
        doc[key] = _api(profile.get(key) or {})
    extra = {k: v for k, v in profile.items() if k not in doc and k != "cloud_cluster"}
    return {**doc, **extra}


_ORDER = {
    "api": ("brokers", "addresses", "tls", "sasl"),
    "tls": ("key_file", "cert_file", "ca_file", "insecure_skip_verify"),
    "sasl": ("user", "password", "mechanism"),
}


def _ordered(section: dict, kind: str) -> dict:
    first = {k: section[k] for k in _ORDER[kind] if k in section}
    return {**first, **{k: v for k, v in section.items() if k not in first}}


def _api(section: dict) -> dict:
    """A kafka_api / admin_api / schema_registry section in the Go structs' field order."""
    out = _ordered(section, "api")
    for kind in ("tls", "sasl"):
        if isinstance(out.get(kind), dict):
            out[kind] = _ordered(out[kind], kind)
    return out
