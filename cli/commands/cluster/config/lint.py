"""`rpk cluster config lint`: remove deprecated and misplaced content from redpanda.yaml.

Cluster properties once lived in the node file's `redpanda:` section; they are now managed
centrally (`rpk cluster config set|edit`). Lint removes them, and every other key rpk no
longer recognises (rpk.md §4.1, §4.2), then writes the file back. It works on the file only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import typer

from cli import options
from cli._app import add_command
from cli.commands.cluster.config._all import AllOpt
from cli.config import redpanda_yaml
from cli.config.params import split_config_path
from cli.errors import CliError
from cli.options import with_globals
from core.config import cluster_properties

# Sections whose keys rpk checks; the others (pandaproxy, schema_registry, clients) are kept whole.
_KNOWN_KEYS = {"redpanda": redpanda_yaml.NODE_KEYS, "rpk": redpanda_yaml.RPK_KEYS}


@dataclass
class LintResult:
    document: dict
    cluster_properties: list[str] = field(default_factory=list)
    unrecognised: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.cluster_properties or self.unrecognised)


def is_cluster_property(name: str) -> bool:
    return (
        cluster_properties.lookup(name) is not None
        or name in redpanda_yaml.DEV_CONTAINER_PROPERTIES
    )


def lint_document(doc: dict) -> LintResult:
    """A copy of `doc` without cluster properties in `redpanda:` and without unrecognised keys."""
    result = LintResult(document={})
    for name, value in doc.items():
        if name not in redpanda_yaml.SECTIONS:
            result.unrecognised.append(str(name))
            continue
        known = _KNOWN_KEYS.get(name)
        if known is not None and isinstance(value, dict):
            value = {key: item for key, item in value.items() if _keep(result, name, key, known)}
        result.document[name] = value
    return result


def _keep(result: LintResult, section: str, key: object, known: frozenset[str]) -> bool:
    if key in known:
        return True
    if section == "redpanda" and is_cluster_property(str(key)):
        result.cluster_properties.append(str(key))
    else:
        result.unrecognised.append(f"{section}.{key}")
    return False


def _target(explicit: Path | None) -> Path:
    path = split_config_path(explicit, os.environ)[1]
    if path is None:
        raise CliError(
            "unable to find a redpanda.yaml in $PWD or /etc/redpanda; use --config to name one"
        )
    return path


@with_globals
def config_lint(all_: AllOpt = False) -> None:
    """Remove any deprecated content from redpanda.yaml.

    Deprecated content includes cluster properties set in redpanda.yaml's redpanda section by
    earlier versions (they are now managed with 'rpk cluster config set|edit') and keys rpk no
    longer recognises. The file is rewritten only if something was removed.
    """
    path = _target(options.current().config)
    doc = redpanda_yaml.load(path)
    if doc is None:
        raise CliError(f"unable to read {path}: no such file")
    result = lint_document(doc)
    if not result.changed:
        typer.echo(f'No deprecated content found in "{path}"; left unchanged.')
        return
    _print_removed(
        "Removed cluster properties (manage them with 'rpk cluster config'):",
        result.cluster_properties,
    )
    _print_removed("Removed keys rpk no longer recognises:", result.unrecognised)
    redpanda_yaml.save(path, result.document)
    typer.echo(f'Rewrote configuration file "{path}".')


def _print_removed(title: str, names: list[str]) -> None:
    if names:
        typer.echo(title)
        for name in names:
            typer.echo(f" - {name}")
        typer.echo("")


def register(app: typer.Typer) -> None:
    add_command(app, config_lint, "lint")
