"""`<data dir>/config_cache.yaml`: the cluster configuration this node last applied, as
Redpanda's config manager keeps it, so `rpk cluster config force-reset PROPERTY` can make a node
forget a property that keeps it from starting.

The file maps each property the controller log set to its value, plus `_version` (the config
version those values are at). It is rewritten after every applied change. At start, while the
controller log replays changes at or below the cached version, a property the file no longer
holds is not set again (force-reset removed it): the node treats it as its default until a
newer change sets it. Changes above the cached version apply in full.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger("ailurus.controller")

CACHE_FILE = "config_cache.yaml"
VERSION_KEY = "_version"


class ConfigCache:
    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / CACHE_FILE
        self._version: int | None = None  # the cached version, None: no cache read
        self._keys: frozenset[str] = frozenset()
        self._dropped: set[str] = set()
        self._load()

    def _load(self) -> None:
        try:
            doc = yaml.safe_load(self.path.read_text())
        except FileNotFoundError:
            return
        except (OSError, yaml.YAMLError) as exc:
            log.warning("ignoring the cluster configuration cache %s: %s", self.path, exc)
            return
        if not isinstance(doc, dict) or not isinstance(doc.get(VERSION_KEY), int):
            log.warning(
                "ignoring the cluster configuration cache %s: no %s", self.path, VERSION_KEY
            )
            return
        self._version = doc[VERSION_KEY]
        self._keys = frozenset(k for k in doc if k != VERSION_KEY)

    def filtered(self, version: int, upsert: dict[str, Any]) -> dict[str, Any]:
        """`upsert` of the change at `version` without the properties force-reset removed."""
        if self._version is None or version > self._version:
            return upsert
        kept = {k: v for k, v in upsert.items() if k in self._keys}
        for name in upsert.keys() - kept.keys():
            if name not in self._dropped:
                self._dropped.add(name)
                log.warning(
                    "cluster property %s is not in %s (force-reset): using its default",
                    name,
                    self.path,
                )
        return kept

    def save(self, version: int, values: dict[str, Any]) -> None:
        """Write the applied configuration (atomically: a partial file is never read); not
        while replaying below the cached version, so a crash then keeps the force-reset."""
        if self._version is not None and version < self._version:
            return
        doc = {VERSION_KEY: version, **values}
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            tmp.write_text(yaml.safe_dump(doc, sort_keys=True))
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("cannot write the cluster configuration cache %s: %s", self.path, exc)
