"""Fixtures: a fresh fake host per test, and contexts built on it. Nothing touches the real kernel."""

from __future__ import annotations

import pytest

from tests.tuners.host_tree import DATA_DIR, build_host
from tuners.config import TUNER_SWITCHES
from tuners.context import TuneContext, TuneParams
from tuners.executors import DirectExecutor
from tuners.fs import RootFs

ALL_ENABLED = {switch: True for switch in TUNER_SWITCHES.values()}


@pytest.fixture
def host(tmp_path):
    return build_host(str(tmp_path / "root"))


def make_config(rpk: dict | None = None) -> dict:
    return {
        "redpanda": {
            "data_directory": DATA_DIR,
            "rpc_server": {"address": "0.0.0.0", "port": 33145},
            "kafka_api": [{"address": "0.0.0.0", "port": 9092}],
        },
        "rpk": {
            **ALL_ENABLED,
            "coredump_dir": "/var/lib/redpanda/coredump",
            "ballast_file_size": "1MiB",
            **(rpk or {}),
        },
    }


def make_ctx(
    root: str,
    executor=None,
    params: TuneParams | None = None,
    config: dict | None = None,
    machine: str = "x86_64",
) -> TuneContext:
    fs = RootFs(root)
    return TuneContext(
        fs,
        executor or DirectExecutor(fs),
        config or make_config(),
        params or TuneParams(nics=["eth0"]),
        machine,
    )
