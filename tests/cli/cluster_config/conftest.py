"""A throwaway rpk root with `cluster config|health` and `generate prometheus-config` registered,
talking to the Admin API of a real broker running in this process on a background loop."""

from __future__ import annotations

import pytest
import typer

from cli.commands.cluster import config as cluster_config
from cli.commands.cluster import health
from cli.commands.generate import prometheus
from tests.support.admin import threaded_app
from tests.support.rpk import admin_env, typer_runner


def build_root() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root() -> None:
        """test root"""

    cluster = typer.Typer()
    cluster_config.register(cluster)
    health.register(cluster)
    root.add_typer(cluster, name="cluster")
    generate = typer.Typer()
    prometheus.register(generate)
    root.add_typer(generate, name="generate")
    return root


@pytest.fixture
def rpk(tmp_path):
    """run(*args, **env) -> click Result; `.svc` is the broker app, `.url` its Admin API."""
    with threaded_app(tmp_path / "data") as broker:
        run = typer_runner(build_root(), admin_env(broker.url, tmp_path, EDITOR=""))
        run.svc = broker.app
        run.url = broker.url
        yield run
