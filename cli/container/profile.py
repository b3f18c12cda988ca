"""The `rpk-container` profile: every node's host Kafka, Admin API and Schema Registry address."""

from __future__ import annotations

import os

from cli import options
from cli.config.params import split_config_path
from cli.config.rpk_yaml import RpkYaml, load_rpk_yaml
from cli.container.engine import NodeState

PROFILE_NAME = "rpk-container"
DESCRIPTION = "Automatically generated profile from 'rpk container start'"
USAGE_HINT = """You can use rpk to interact with this cluster. E.g:

    rpk cluster info
    rpk cluster health
"""


def load() -> RpkYaml:
    path, _ = split_config_path(options.current().config, os.environ)
    return load_rpk_yaml(path)


def container_profile(nodes: list[NodeState], name: str = PROFILE_NAME) -> dict:
    def present(values: list[str | None]) -> list[str]:
        return [v for v in values if v]

    profile: dict = {"name": name, "description": DESCRIPTION}
    profile["kafka_api"] = {"brokers": present([n.kafka for n in nodes])}
    profile["admin_api"] = {"addresses": present([n.admin for n in nodes])}
    registry = present([n.schema_registry for n in nodes])
    if registry:
        profile["schema_registry"] = {"addresses": registry}
    return profile


def add_and_select(rpk: RpkYaml, profile: dict) -> None:
    """Push the profile first in the list and make it the current one, as rpk does."""
    rpk.profiles.insert(0, profile)
    rpk.current_profile = profile["name"]
    rpk.save()


def delete(rpk: RpkYaml) -> str | None:
    """Remove the rpk-container profile; the lines to print (None when there was none)."""
    if rpk.profile(PROFILE_NAME) is None:
        return None
    was_current = rpk.current_profile == PROFILE_NAME
    rpk.remove_profile(PROFILE_NAME)
    text = f'Deleted profile "{PROFILE_NAME}".'
    if was_current:
        rpk.current_profile = ""
        text += (
            "\nThis was the selected profile; rpk will use defaults until a new profile is "
            "selected or a new container is created."
        )
    rpk.save()
    return text
