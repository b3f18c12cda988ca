"""Fixtures for `rpk container` tests on the real Docker engine (marked `docker`).

rpk container's names are fixed (containers rp-node-<id>, network `redpanda`), so a test can
only run on an engine where none of them exists: otherwise it is skipped, never touching a
user's cluster. What a test creates it removes (containers with their volumes, the network);
the image it builds, `ailurus-test:<hash of the sources>`, is kept for the next run.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.container import engine, image
from tests.support.rpk import Result, run_in_process

REPO = Path(__file__).resolve().parents[2]
SOURCES = ("core", "admin_api")  # what the containers run (rpk runs on the host)
TEST_IMAGE_REPO = "ailurus-test"
START_RETRIES = "60"  # readiness budget in seconds: the machine is shared, and slow at times


def source_hash() -> str:
    digest = hashlib.sha256((REPO / "pyproject.toml").read_bytes())
    for top in SOURCES:
        for path in sorted((REPO / top).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(REPO)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@pytest.fixture(scope="session")
def docker_client():
    try:
        return engine.connect()
    except engine.DockerUnavailable as exc:
        pytest.skip(f"no Docker engine: {exc}")


@pytest.fixture(scope="session")
def test_image(docker_client) -> str:
    """The image of this source tree, built once (a few minutes the first time)."""
    tag = f"{TEST_IMAGE_REPO}:{source_hash()}"
    image.ensure_image(docker_client, tag, say=lambda line: None)
    for old in docker_client.images.list(name=TEST_IMAGE_REPO):
        if tag not in old.tags:
            docker_client.images.remove(old.id, force=True)
    return tag


def foreign_cluster(client) -> str | None:
    """Why a test may not run here: rpk container's names already in use."""
    names = [n.name for n in engine.existing_nodes(client)]
    if names:
        return f"rpk container names in use on this engine: {', '.join(names)}"
    if engine.find_network(client) is not None:
        return f"a '{engine.NETWORK}' network exists on this engine"
    return None


def remove_created(client) -> None:
    for node in engine.existing_nodes(client):
        node.container.remove(force=True, v=True)
    network = engine.find_network(client)
    if network is not None:
        network.remove()


@pytest.fixture(scope="module")
def rpk_home(tmp_path_factory) -> Iterator[Path]:
    """HOME and XDG_CONFIG_HOME of the module's rpk runs (its rpk.yaml), no RPK_* variables."""
    home = tmp_path_factory.mktemp("container-home")
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith(("RPK_", "REDPANDA_")):
                mp.delenv(key)
        mp.setenv("HOME", str(home))
        mp.setenv("XDG_CONFIG_HOME", str(home / ".config"))
        yield home


@pytest.fixture(scope="module")
def own_engine(docker_client, test_image) -> Iterator[object]:
    """The engine, free of rpk container names; whatever the module creates is removed after."""
    reason = foreign_cluster(docker_client)
    if reason:
        pytest.skip(reason)
    try:
        yield docker_client
    finally:
        remove_created(docker_client)


@pytest.fixture(scope="module")
def rpk(rpk_home):
    """rpk in this process with the module's HOME: rpk(*args, input=None) -> Result."""

    def run(*args: str, input: str | None = None) -> Result:
        return run_in_process(list(args), input=input)

    return run


@pytest.fixture(scope="module")
def start_cmd(test_image):
    """`rpk container start` with the test image, free ports and a patient readiness check."""

    def args(*extra: str) -> list[str]:
        return [
            "container", "start", "--image", test_image, "--any-port",
            "--retries", START_RETRIES, *extra,
        ]  # fmt: skip

    return args
