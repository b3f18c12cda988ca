"""Reading and atomically writing the YAML files rpk manages."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from cli.errors import CliError


class ConfigFileError(CliError):
    """A config file could not be read, parsed or written."""


def read_yaml(path: Path) -> Any:
    """The parsed document, or None when the file does not exist."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigFileError(f"unable to read {path}: {exc.strerror or exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        raise ConfigFileError(f"unable to parse {path}: {first}") from None


def dump_yaml(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)


def write_yaml(path: Path, doc: Any) -> bool:
    """Replace `path` atomically with mode 0644; skip the write when nothing changed."""
    text = dump_yaml(doc)
    try:
        if path.exists() and path.read_text() == text:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigFileError(f"unable to write {path}: {exc.strerror or exc}") from None
    return True
