"""`rpk profile create`."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Annotated, Optional

import typer

from cli.commands.profile import _store
from cli.config import redpanda_yaml
from cli.config.files import read_yaml
from cli.config.params import _from_redpanda_yaml
from cli.config.rpk_yaml import is_rpk_yaml
from cli.errors import UsageError
from cli.options import with_globals

CONTAINER_PROFILE = "rpk-container"


@with_globals
def profile_create(
    name: Annotated[
        Optional[str],
        typer.Argument(
            help="Name of the profile to create (default with --from-rpk-container: rpk-container)."
        ),
    ] = None,
    set_: Annotated[
        Optional[list[str]],
        typer.Option(
            "-s", "--set", help="Set a profile key=value (-X key or YAML path); repeatable."
        ),
    ] = None,
    from_redpanda: Annotated[
        Optional[str],
        typer.Option(
            "--from-redpanda",
            help="Create from a redpanda.yaml file, or 'current' for the redpanda.yaml rpk finds.",
        ),
    ] = None,
    from_profile: Annotated[
        Optional[str],
        typer.Option(
            "--from-profile",
            help="Create from an existing profile name, a file holding a profile, or 'current'.",
        ),
    ] = None,
    from_rpk_container: Annotated[
        bool,
        typer.Option(
            "--from-rpk-container",
            help="Create the profile from the cluster `rpk container start` runs.",
        ),
    ] = False,
    description: Annotated[
        str, typer.Option("-d", "--description", help="Optional description of the profile.")
    ] = "",
) -> None:
    """Create an rpk profile and switch to it."""
    if sum(map(bool, (from_redpanda, from_profile, from_rpk_container))) > 1:
        raise UsageError(
            "only one of --from-redpanda, --from-profile and --from-rpk-container can be used"
        )
    if name is None:
        if not from_rpk_container:
            raise UsageError("a profile name is required")
        name = CONTAINER_PROFILE
    rpk = _store.load()
    if rpk.profile(name) is not None:
        raise UsageError(f'profile "{name}" already exists')
    if from_rpk_container:
        profile = _from_rpk_container(name)
    else:
        profile = _base(rpk, from_redpanda, from_profile)
    profile["name"] = name
    if description:
        profile["description"] = description
    for item in set_ or []:
        _store.set_key(profile, rpk.globals, item)
    rpk.profiles.append(profile)
    rpk.current_profile = name
    rpk.save()
    typer.echo(f'Created and switched to new profile "{name}".')


def _base(rpk, from_redpanda: str | None, from_profile: str | None) -> dict:
    if from_profile:
        return _copy_profile(rpk, from_profile)
    if from_redpanda:
        path = redpanda_yaml.find_path(None) if from_redpanda == "current" else Path(from_redpanda)
        doc = redpanda_yaml.load(path)
        if doc is None:
            raise UsageError(f"unable to load redpanda.yaml from {from_redpanda!r}")
        profile = _from_redpanda_yaml(doc)
        profile.pop("description", None)
        return profile
    return {}


def _from_rpk_container(name: str) -> dict:
    """The profile `rpk container start` makes, from the rp-node-* containers now."""
    from cli.container import engine
    from cli.container.profile import container_profile

    nodes = engine.existing_nodes(engine.connect())
    if not nodes:
        raise UsageError(
            "no rpk container cluster found (no rp-node-* container); start one with "
            "'rpk container start'"
        )
    return container_profile(nodes, name)


def _copy_profile(rpk, source: str) -> dict:
    if source == "current":
        return copy.deepcopy(rpk.require_profile(_store.name_or_current(rpk, None)))
    existing = rpk.profile(source)
    if existing is not None:
        return copy.deepcopy(existing)
    doc = read_yaml(Path(source))
    if not isinstance(doc, dict) or is_rpk_yaml(doc):
        raise UsageError(
            f'unable to find profile "{source}" (not a profile name nor a profile file)'
        )
    return doc


def register(app: typer.Typer) -> None:
    app.command("create")(profile_create)
