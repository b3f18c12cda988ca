"""`rpk cluster config force-reset PROPERTY... [--cache-file]`: erase properties from this
node's cluster configuration cache (`<data directory>/config_cache.yaml`), so that on its next
start the broker treats them as set to their defaults (core.cluster.config_cache). For when a
broker will not start because of a property; use it while the broker is stopped."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer
import yaml

from cli import options, yaml_v3
from cli._app import add_command
from cli.commands.cluster.config._all import AllOpt
from cli.config import redpanda_yaml
from cli.errors import CliError, FlagError
from cli.options import with_globals

CACHE_FILE = "config_cache.yaml"
DEFAULT_DATA_DIRECTORY = "/var/lib/redpanda/data"
DONE = (
    "The property has been successfully removed from the cluster configuration cache. Next "
    "time Redpanda starts, the setting will be treated as if it were set to its default value."
)


def cache_path(explicit: str) -> Path:
    if explicit:
        return Path(explicit)
    p = options.params()
    doc = redpanda_yaml.load(p.redpanda_yaml_path) if p.redpanda_yaml_path else None
    data_dir = ((doc or {}).get("redpanda") or {}).get("data_directory") or DEFAULT_DATA_DIRECTORY
    return Path(str(data_dir)) / CACHE_FILE


@with_globals
def config_force_reset(
    properties: Annotated[Optional[list[str]], typer.Argument(metavar="PROPERTY")] = None,
    cache_file: Annotated[
        str,
        typer.Option(
            "--cache-file",
            help="location of configuration cache file (defaults to redpanda data directory)",
        ),
    ] = "",
    all_: AllOpt = False,  # rpk's persistent --all: accepted, unused
) -> None:
    """Forcibly clear a cluster configuration property on this node.

    This command is not for general changes to cluster configuration: use this only when
    redpanda will not start due to a configuration issue.

    If your cluster is working properly and you would like to reset a property to its
    default, you may use the 'set' command with an empty string, or use the 'edit' command and
    delete the property's line.

    This command erases a named property from an internal cache of the cluster configuration
    on the local node, so that on next startup redpanda will treat the setting as if it was
    set to the default.

    WARNING: this should only be used when redpanda is not running.
    """
    if not properties:
        raise FlagError("requires at least 1 arg(s), only received 0")
    path = cache_path(cache_file)
    try:
        text = path.read_text()
    except OSError:
        raise CliError(f'Couldn\'t read "{path}"') from None
    try:
        content = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise CliError(f'Couldn\'t parse "{path}": {exc}') from None
    if not isinstance(content, dict):
        raise CliError(f'Couldn\'t parse "{path}": expected a mapping')
    for name in properties:
        content.pop(name, None)
    ordered = {k: content[k] for k in sorted(content, key=str)}  # yaml.v3 sorts map keys
    try:
        path.write_text(yaml_v3.dump(ordered))
        os.chmod(path, 0o755)
    except OSError as exc:
        raise CliError(f'Couldn\'t write "{path}": {exc.strerror or exc}') from None
    print(DONE)


def register(app: typer.Typer) -> None:
    add_command(app, config_force_reset, "force-reset")
