"""The broker image `ailurus:<version>`, built here when missing (there is no registry to pull).

Three steps, each skipped when its result exists:
1. the base image `ailurus-base:bookworm`: a Debian root file system made by debootstrap from
   the host's own Debian mirror, with python3 and python3-venv, imported by `docker import`;
2. wheels of the project and of every dependency, built on the host by `pip wheel` (the
   containers are not assumed to reach a package registry);
3. `docker build` of cli/container/Dockerfile with those wheels, installed `--no-index`.

Every step writes to one log file; a failure is one line naming it. `python -m
cli.container.image [TAG]` builds (or rebuilds) the image: the `make image` entry point.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from cli.errors import CliError

BASE_IMAGE = "ailurus-base:bookworm"
SUITE = "bookworm"
BASE_PACKAGES = ("python3", "python3-venv")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DOCKERFILE = Path(__file__).with_name("Dockerfile")
SOURCE_ROOT = Path(__file__).resolve().parents[2]  # the checkout (pyproject.toml) if editable
PROJECT_FILES = ("pyproject.toml", "README.md")
PACKAGES = ("cli", "core", "admin_api", "tuners")  # pyproject's packages.find include
DEBOOTSTRAP_TIMEOUT_S = 900
WHEELS_TIMEOUT_S = 900
BUILD_TIMEOUT_S = 900


class ImageBuildFailed(CliError):
    """The image could not be built; the message names the step and the log file."""


def version() -> str:
    try:
        return metadata.version("ailurus")
    except metadata.PackageNotFoundError:
        return "dev"


def default_image() -> str:
    return f"ailurus:{version()}"


def cache_dir() -> Path:
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(home) / "ailurus" / "image"


def log_path(tag: str) -> Path:
    return cache_dir() / f"build-{re.sub(r'[^A-Za-z0-9_.-]', '_', tag)}.log"


def image_exists(client, tag: str) -> bool:
    import docker.errors

    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


def ensure_image(
    client, tag: str, *, force: bool = False, say: Callable[[str], None] = print
) -> bool:
    """Build `tag` unless it exists (or `force`); True when a build ran."""
    if not force and image_exists(client, tag):
        return False
    previous = _image_id(client, tag)
    log = log_path(tag)
    log.parent.mkdir(parents=True, exist_ok=True)
    say(f'Building image "{tag}" (log: {log})...')
    started = time.monotonic()
    with log.open("w") as out:
        _step("base image", log, lambda: ensure_base_image(client, out, say), out)
        with tempfile.TemporaryDirectory(prefix="ailurus-image-", dir=cache_dir()) as ctx:
            context = Path(ctx)
            _step("wheels", log, lambda: build_wheels(context / "wheels", out), out)
            shutil.copy(DOCKERFILE, context / "Dockerfile")
            _step("docker build", log, lambda: docker_build(client, context, tag, out), out)
    _remove_replaced(client, previous, tag)
    say(f'Built image "{tag}" in {time.monotonic() - started:.1f}s.')
    return True


def _image_id(client, tag: str) -> str | None:
    import docker.errors

    try:
        return client.images.get(tag).id
    except docker.errors.ImageNotFound:
        return None


def _remove_replaced(client, previous: str | None, tag: str) -> None:
    """A rebuild leaves the image it replaced untagged; remove it unless something uses it."""
    import docker.errors

    if previous is None or previous == _image_id(client, tag):
        return
    try:
        client.images.remove(previous)
    except docker.errors.APIError:
        pass  # still used by a container, or tagged elsewhere: docker keeps it


def _step(name: str, log: Path, run: Callable[[], None], out=None) -> None:
    started = time.monotonic()
    try:
        run()
    except ImageBuildFailed:
        raise
    except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
        raise ImageBuildFailed(
            f"unable to build the image ({name}): {exc}; see the build log {log}"
        ) from None
    except Exception as exc:  # docker.errors.* (BuildError, APIError)
        raise ImageBuildFailed(
            f"unable to build the image ({name}): {_first_line(exc)}; see the build log {log}"
        ) from None
    if out is not None:
        out.write(f"== {name}: {time.monotonic() - started:.1f}s\n")
        out.flush()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def ensure_base_image(client, out, say: Callable[[str], None]) -> None:
    if image_exists(client, BASE_IMAGE):
        return
    tool = shutil.which("debootstrap")
    if tool is None:
        raise RuntimeError(
            f"the base image {BASE_IMAGE} is missing and debootstrap is not installed "
            "(apt-get install debootstrap)"
        )
    say(f'Making base image "{BASE_IMAGE}" with debootstrap (once)...')
    with tempfile.TemporaryDirectory(prefix="ailurus-base-", dir=cache_dir()) as tmp:
        root = Path(tmp) / "root"
        cmd = [
            tool,
            "--variant=minbase",
            f"--include={','.join(BASE_PACKAGES)}",
            SUITE,
            str(root),
            debian_mirror(),
        ]
        _run(cmd, out, DEBOOTSTRAP_TIMEOUT_S)
        for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
            shutil.rmtree(root / cache, ignore_errors=True)
        archive = Path(tmp) / "root.tar"
        with tarfile.open(archive, "w") as tar:
            tar.add(root, arcname=".")
        shutil.rmtree(root, ignore_errors=True)
        repository, _, tag = BASE_IMAGE.partition(":")
        result = client.api.import_image_from_file(str(archive), repository=repository, tag=tag)
        out.write(f"docker import: {result}\n")


def debian_mirror() -> str:
    """The Debian mirror the host's apt already uses (deb822 or one-line sources)."""
    sources = sorted(Path("/etc/apt/sources.list.d").glob("*.sources"))
    for path in sources:
        for block in path.read_text().split("\n\n"):
            fields = dict(
                line.split(":", 1) for line in block.splitlines() if re.match(r"^[A-Za-z-]+:", line)
            )
            suites = fields.get("Suites", "").split()
            if SUITE in suites and fields.get("URIs"):
                return fields["URIs"].split()[0]
    for path in (Path("/etc/apt/sources.list"), *Path("/etc/apt/sources.list.d").glob("*.list")):
        if path.exists():
            for line in path.read_text().splitlines():
                parts = re.sub(r"\[[^]]*\]", "", line).split()
                if len(parts) >= 3 and parts[0] == "deb" and parts[2] == SUITE:
                    return parts[1]
    return DEFAULT_MIRROR


def build_wheels(dest: Path, out) -> None:
    """The project's wheel and all its dependencies' wheels, for the image's Python (3.11)."""
    if not (SOURCE_ROOT / "pyproject.toml").exists():
        raise RuntimeError(
            f"no source tree at {SOURCE_ROOT} to build the ailurus wheel from "
            "(install rpk from a checkout, or pass --image with an existing image)"
        )
    dest.mkdir(parents=True)
    cached = cache_dir() / "wheels"
    cached.mkdir(parents=True, exist_ok=True)
    source = _source_copy(dest.parent / "source")
    cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(cached)]
    cmd += ["--find-links", str(cached), str(source)]
    try:  # the wheels of an earlier build, if they still satisfy the dependencies: no index
        _run([*cmd, "--no-index", "--no-build-isolation"], out, WHEELS_TIMEOUT_S)
    except RuntimeError:
        _run(cmd, out, WHEELS_TIMEOUT_S)
    for wheel in cached.glob("*.whl"):
        if not wheel.name.startswith("ailurus-"):
            _link_or_copy(wheel, dest / wheel.name)
    shutil.rmtree(source)  # not part of the docker build context
    # The project's wheel is always the one just built (the cache keeps one per version).
    own = max(cached.glob("ailurus-*.whl"), key=lambda p: p.stat().st_mtime)
    shutil.copy(own, dest / own.name)


def _source_copy(dest: Path) -> Path:
    """The project's files in a fresh directory: pip builds a local project in place, and a
    stale build/ of the checkout could slip removed modules into the wheel."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    dest.mkdir()
    for name in PROJECT_FILES:
        shutil.copy(SOURCE_ROOT / name, dest / name)
    for name in PACKAGES:
        shutil.copytree(SOURCE_ROOT / name, dest / name, ignore=ignore)
    return dest


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy(source, target)


def docker_build(client, context: Path, tag: str, out) -> None:
    errors: list[str] = []
    for chunk in client.api.build(
        path=str(context),
        tag=tag,
        rm=True,
        forcerm=True,
        decode=True,
        buildargs={"BASE": BASE_IMAGE},
        labels={"org.ailurus.version": version()},
        timeout=BUILD_TIMEOUT_S,
    ):
        if "stream" in chunk:
            out.write(chunk["stream"])
        if "error" in chunk:
            errors.append(chunk["error"])
            out.write(f"ERROR: {chunk['error']}\n")
    out.flush()
    if errors:
        raise RuntimeError(errors[-1].strip().splitlines()[-1])


def _run(cmd: list[str], out, timeout_s: float) -> None:
    out.write(f"$ {' '.join(cmd)}\n")
    out.flush()
    proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=timeout_s)
    if proc.returncode != 0:
        raise RuntimeError(f"{Path(cmd[0]).name} exited with {proc.returncode}")


def main(argv: list[str] | None = None) -> int:
    """`python -m cli.container.image [TAG]`: (re)build the image; prints where its log is."""
    from cli.container.engine import connect

    args = sys.argv[1:] if argv is None else argv
    tag = args[0] if args else default_image()
    try:
        ensure_image(connect(), tag, force=True)
    except CliError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
