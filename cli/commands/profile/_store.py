"""Shared profile plumbing: locating rpk.yaml for this invocation and setting profile keys."""

from __future__ import annotations

import os

from cli import options
from cli.config import redpanda_yaml, xflags
from cli.config.params import split_config_path
from cli.config.rpk_yaml import RpkYaml, load_rpk_yaml
from cli.config.values import split_kv
from cli.errors import UsageError

PROFILE_KEYS = ("name", "description", "prompt", "kafka_api", "admin_api", "schema_registry")


def load() -> RpkYaml:
    rpk_path, _ = split_config_path(options.current().config, os.environ)
    return load_rpk_yaml(rpk_path)


def name_or_current(rpk: RpkYaml, name: str | None) -> str:
    chosen = name or rpk.current_profile
    if not chosen:
        raise UsageError("no profile specified and there is no current profile")
    return chosen


def set_key(profile: dict, globals_: dict, item: str) -> str:
    """Apply `k=v` where k is an -X key or a YAML path inside the profile; returns the key."""
    key, value = split_kv(item)
    if key.lower() in xflags.BY_KEY:
        xflags.apply(profile, globals_, key, value)
        return key
    flag = next((f for f in xflags.XFLAGS if f.path == key and not f.is_global), None)
    if flag is not None:
        xflags.apply(profile, globals_, flag.key, value)
        return key
    if key.split(".", 1)[0].split("[", 1)[0] not in PROFILE_KEYS:
        raise UsageError(f'unknown profile key "{key}"; see -X list for the keys rpk understands')
    if key == "name":
        raise UsageError("use 'rpk profile rename-to' to rename a profile")
    redpanda_yaml.set_key(profile, key, redpanda_yaml.parse_value(value))
    return key
