"""YAML written as Go's gopkg.in/yaml.v3 writes it (rpk's output): 4-space indentation,
sequences indented under their key, empty strings as "", empty mappings as {}."""

from __future__ import annotations

from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)  # yaml.v3 indents block sequences


def _str(dumper: yaml.SafeDumper, value: str):
    style = '"' if value == "" else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(doc: Any) -> str:
    return yaml.dump(doc, Dumper=_Dumper, indent=4, sort_keys=False, default_flow_style=False)


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
