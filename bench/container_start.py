"""`rpk container start -n N` to ready, with the image already built (goal: under 10 s), and
the time of the first image build when asked. Each run starts on an engine with no rpk
container cluster, times `rpk container start` as a user runs it (a process, free ports, no
profile), then purges. Prints JSON.

    .venv/bin/python -m bench.container_start [--nodes 1 3] [--runs 3] [--image TAG] [--build]

--build times `python -m cli.container.image TAG` first (a rebuild of the image, reusing the
base image and cached wheels when present; delete ailurus-base:bookworm and
~/.cache/ailurus/image for a first build from nothing). Skipped (exit 0, a note) when there is
no Docker engine or an rpk container cluster already runs here.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

RPK = [sys.executable, "-m", "cli.main"]
START_TIMEOUT_S = 300


def _run(args: list[str], timeout_s: float = START_TIMEOUT_S) -> float:
    started = time.monotonic()
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout_s)
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args[2:])} failed: {proc.stderr.strip() or proc.stdout}")
    return elapsed


def time_start(nodes: int, image: str) -> float:
    cmd = [*RPK, "container", "start", "-n", str(nodes), "--image", image, "--any-port"]
    try:
        return _run([*cmd, "--no-profile", "--retries", "120"])
    finally:
        _run([*RPK, "container", "purge"])


def main(argv: list[str] | None = None) -> int:
    from cli.container import engine, image

    parser = argparse.ArgumentParser(prog="bench.container_start")
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--image", default=image.default_image())
    parser.add_argument("--build", action="store_true", help="time a (re)build of the image first")
    args = parser.parse_args(argv)
    try:
        client = engine.connect()
    except engine.DockerUnavailable as exc:
        print(json.dumps({"skipped": str(exc)}))
        return 0
    if engine.existing_nodes(client) or engine.find_network(client) is not None:
        print(json.dumps({"skipped": "an rpk container cluster exists on this engine"}))
        return 0
    result: dict[str, object] = {"image": args.image}
    if args.build:
        result["image_build_s"] = round(
            _run([sys.executable, "-m", "cli.container.image", args.image], 1800), 1
        )
    else:
        image.ensure_image(client, args.image)
    for nodes in args.nodes:
        times = [time_start(nodes, args.image) for _ in range(args.runs)]
        result[f"start_n{nodes}_s"] = {
            "median": round(statistics.median(times), 2),
            "runs": [round(t, 2) for t in times],
        }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
