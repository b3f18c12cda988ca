"""A throwaway rpk root with `cluster config|health` and `generate prometheus-config` registered,
talking to the real Admin API app (over a services double) on a background loop."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from cli.commands.cluster import config as cluster_config
from cli.commands.cluster import health
from cli.commands.generate import prometheus
from tests.admin_api.threaded import threaded_admin_server


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
    root = build_root()
    runner = CliRunner()
    with threaded_admin_server() as (url, svc):
        env = {
            "RPK_ADMIN_HOSTS": url.removeprefix("http://"),
            "HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path),
            "EDITOR": "",
        }

        def run(*args: str, **extra_env: str):
            return runner.invoke(root, list(args), env={**env, **extra_env})

        run.svc = svc
        run.url = url
        yield run
