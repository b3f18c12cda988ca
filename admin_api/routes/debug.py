"""The broker's side of `rpk debug bundle`: its recent log lines, and Redpanda's remote bundle
API, which runs `rpk debug bundle` on this node.

- GET /v1/debug/logs?since=&until=&limit_bytes=: the newest log lines this process keeps in
  memory (at most `LOG_RING_BYTES`), as text; `since`/`until` in journalctl's forms
  (YYYY-MM-DD[ HH:MM[:SS]], yesterday, today, now). An Ailurus extension: the broker logs to
  stderr, so a bundle cannot rely on journald.
- POST /v1/debug/bundle {"job_id", "config"}: start rpk (this package's own) as a child
  process writing `<data dir>/debug-bundle/<job_id>.zip`; 409 while one runs, 422 for a bad
  body. GET /v1/debug/bundle: the job's status (running, success, error), created (ms),
  filename, file_size, stdout and stderr once done. DELETE /v1/debug/bundle/{jobid} cancels
  it; GET and DELETE /v1/debug/bundle/file/{filename} download and remove the zip.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import logging
import os
import re
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from admin_api.spec import OBJ, STR, SUPERUSER, RouteList, json_response, obj_schema, services
from core.http import HttpError, bad_request, not_found, read_json_object

routes = RouteList("debug")

LOG_RING_BYTES = 4 * 1024 * 1024
MAX_OUTPUT_LINES = 200
BUNDLE_DIR = "debug-bundle"
_FILENAME = re.compile(r"^[0-9a-fA-F-]{1,64}\.zip$")


class LogRing(logging.Handler):
    """The newest formatted log lines of this process, bounded by total bytes."""

    def __init__(self, max_bytes: int = LOG_RING_BYTES) -> None:
        super().__init__(logging.NOTSET)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self._lines: collections.deque[tuple[float, str]] = collections.deque()
        self._bytes = 0
        self._max_bytes = max_bytes

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            return
        self._lines.append((record.created, line))
        self._bytes += len(line) + 1
        while self._bytes > self._max_bytes and self._lines:
            self._bytes -= len(self._lines.popleft()[1]) + 1

    def text(self, since: float, until: float, limit_bytes: int) -> str:
        picked: list[str] = []
        size = 0
        for created, line in reversed(self._lines):  # the newest lines within the limit
            if created < since or created > until:
                continue
            size += len(line) + 1
            if size > limit_bytes:
                break
            picked.append(line)
        return "".join(f"{line}\n" for line in reversed(picked))


def _install_ring() -> LogRing:
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, LogRing):
            return handler
    ring = LogRing()
    root.addHandler(ring)
    return ring


LOG_RING = _install_ring()


def journal_time(text: str, now: float | None = None) -> float:
    """A journalctl time as seconds since the epoch (local time)."""
    today = dt.datetime.combine(dt.date.today(), dt.time())
    value = text.strip().lower()
    words = {"": None, "now": None, "today": today, "yesterday": today - dt.timedelta(days=1)}
    if value in words:
        moment = words[value]
        return (now or time.time()) if moment is None else moment.timestamp()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).timestamp()
        except ValueError:
            continue
    raise bad_request(
        f"invalid time {text!r}: use YYYY-MM-DD [HH:MM[:SS]], yesterday, today or now"
    )


@routes.get(
    "/v1/debug/logs",
    summary="This broker's recent log lines (text)",
    auth=SUPERUSER,
    query={"since": STR, "until": STR, "limit_bytes": STR},
    produces="text/plain",
)
async def get_logs(request: web.Request) -> web.Response:
    q = request.query
    since = journal_time(q.get("since", "")) if q.get("since") else 0.0
    until = journal_time(q.get("until", "")) if q.get("until") else float("inf")
    limit = q.get("limit_bytes", str(LOG_RING_BYTES))
    if not limit.isdigit():
        raise bad_request(f"invalid limit_bytes {limit!r}")
    return web.Response(text=LOG_RING.text(since, until, int(limit)), content_type="text/plain")


@dataclass
class Job:
    job_id: str
    created_ms: int
    path: Path
    process: asyncio.subprocess.Process | None = None
    status: str = "running"
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    config_file: Path | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "job_id": self.job_id,
            "status": self.status,
            "created": self.created_ms,
        }
        if self.status == "success" and self.path.exists():
            out["filename"] = self.path.name
            out["file_size"] = self.path.stat().st_size
        if self.status != "running":
            out["stdout"], out["stderr"] = self.stdout, self.stderr
        return out


_jobs: dict[int, Job] = {}  # by node id: one bundle at a time per node


BUNDLE_BODY = obj_schema({"job_id": STR, "config": OBJ}, ("job_id",))


@routes.post(
    "/v1/debug/bundle",
    summary="Start an rpk debug bundle on this node",
    auth=SUPERUSER,
    body=BUNDLE_BODY,
    response=OBJ,
)
async def post_bundle(request: web.Request) -> web.Response:
    svc = services(request)
    body = await read_json_object(request, required=("job_id",), allowed=("job_id", "config"))
    job_id, config = body["job_id"], body.get("config", {})
    config = {} if config is None else config
    try:
        uuid.UUID(str(job_id))
    except ValueError:
        raise HttpError(422, f"invalid job_id {job_id!r}: expected a UUID") from None
    _check_config(config)
    current = _jobs.get(svc.node_id)
    if current is not None and current.status == "running":
        raise HttpError(409, f"debug bundle job {current.job_id} is still running")
    directory = Path(svc.node_config["data_directory"]) / BUNDLE_DIR
    directory.mkdir(parents=True, exist_ok=True)
    job = Job(str(job_id), int(time.time() * 1000), directory / f"{job_id}.zip")
    argv = _rpk_argv(request, svc, job, config)
    job.process = await asyncio.create_subprocess_exec(
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
        cwd=str(directory),
    )
    _jobs[svc.node_id] = job
    asyncio.ensure_future(_wait(job))
    return json_response({"job_id": job.job_id})


_INT_KEYS = (
    "controller_logs_size_limit_bytes",
    "cpu_profiler_wait_seconds",
    "logs_size_limit_bytes",
    "metrics_interval_seconds",
    "metrics_samples",
)
_STR_KEYS = ("logs_since", "logs_until", "namespace")


def _check_config(config: Any) -> None:
    """422 for a config rpk could not take (wrong types, option-like strings)."""
    if not isinstance(config, dict):
        raise HttpError(422, "config must be an object")
    for key in _INT_KEYS:
        value = config.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise HttpError(422, f"config.{key} must be a non-negative integer")
    for key in _STR_KEYS:
        value = config.get(key)
        if value is not None and (not isinstance(value, str) or value.startswith("-")):
            raise HttpError(422, f"config.{key} must be a string")
    partition = config.get("partition")
    parts = [partition] if isinstance(partition, str) else partition
    if partition is not None and (
        not isinstance(parts, list)
        or not all(isinstance(x, str) and not x.startswith("-") for x in parts)
    ):
        raise HttpError(422, "config.partition must be a string or a list of strings")
    auth = config.get("authentication")
    names = ("mechanism", "username", "password")
    if auth is not None and not (
        isinstance(auth, dict) and all(isinstance(auth.get(k, ""), str) for k in names)
    ):
        raise HttpError(422, "config.authentication: mechanism, username and password strings")


def _rpk_argv(request: web.Request, svc: Any, job: Job, config: dict[str, Any]) -> list[str]:
    node = dict(svc.node_config)
    sock = request.transport.get_extra_info("sockname") if request.transport else None
    admin_port = sock[1] if sock else node["admin"][0]["port"]
    doc = {"redpanda": {**node, "admin": [{"address": "127.0.0.1", "port": admin_port}]}}
    auth = config.get("authentication") or {}
    if auth.get("username"):
        doc["rpk"] = {
            "kafka_api": {
                "sasl": {
                    "user": auth["username"],
                    "password": auth.get("password", ""),
                    "mechanism": auth.get("mechanism", "SCRAM-SHA-256"),
                }
            }
        }
    fd, name = tempfile.mkstemp(prefix="bundle-", suffix=".yaml", dir=job.path.parent)
    with os.fdopen(fd, "w") as f:
        yaml.safe_dump(doc, f)
    job.config_file = Path(name)
    argv = [
        sys.executable,
        "-m",
        "cli.main",
        "debug",
        "bundle",
        "--config",
        name,
        "-o",
        str(job.path),
    ]
    flags = {
        "logs_since": "--logs-since",
        "logs_until": "--logs-until",
        "logs_size_limit_bytes": "--logs-size-limit",
        "controller_logs_size_limit_bytes": "--controller-logs-size-limit",
        "metrics_samples": "--metrics-samples",
        "namespace": "--namespace",
    }
    partition = config.get("partition") or []
    for part in [partition] if isinstance(partition, str) else partition:
        argv += ["--partition", part]
    for key, flag in flags.items():
        if config.get(key) not in (None, ""):
            argv += [flag, str(config[key])]
    for key, flag in (
        ("metrics_interval_seconds", "--metrics-interval"),
        ("cpu_profiler_wait_seconds", "--cpu-profiler-wait"),
    ):
        if config.get(key) not in (None, ""):
            argv += [flag, f"{int(config[key])}s"]
    kafka = _kafka_address(svc)
    if kafka is not None:
        argv += ["-X", f"brokers={kafka}"]
    return argv


def _kafka_address(svc: Any) -> str | None:
    """This node's Kafka address as registered with the controller (the node configuration
    shows port 0 for an ephemeral listener)."""
    controller = getattr(svc, "_controller", None)
    members = getattr(controller, "members", None)
    for info in members.brokers() if members is not None else []:
        if info.node_id == svc.node_id:
            return f"{info.host}:{info.port}"
    listeners = svc.node_config.get("advertised_kafka_api") or []
    if listeners and listeners[0].get("port"):
        return f"{listeners[0]['address']}:{listeners[0]['port']}"
    return None


async def _wait(job: Job) -> None:
    assert job.process is not None
    out, err = await job.process.communicate()
    job.stdout = out.decode(errors="replace").splitlines()[-MAX_OUTPUT_LINES:]
    job.stderr = err.decode(errors="replace").splitlines()[-MAX_OUTPUT_LINES:]
    if job.status == "running":
        job.status = "success" if job.process.returncode == 0 else "error"
    if job.config_file is not None:
        job.config_file.unlink(missing_ok=True)


def _job(request: web.Request) -> Job:
    job = _jobs.get(services(request).node_id)
    if job is None:
        raise HttpError(409, "no debug bundle process has been started")
    return job


@routes.get(
    "/v1/debug/bundle", summary="The debug bundle job's status", auth=SUPERUSER, response=OBJ
)
async def get_bundle(request: web.Request) -> web.Response:
    return json_response(_job(request).to_json())


@routes.delete(
    "/v1/debug/bundle/{jobid}", summary="Cancel the running debug bundle job", auth=SUPERUSER
)
async def delete_bundle(request: web.Request) -> web.Response:
    job = _job(request)
    if job.job_id != request.match_info["jobid"]:
        raise not_found(f"job {request.match_info['jobid']} not found")
    if job.status != "running" or job.process is None:
        raise HttpError(409, f"debug bundle job {job.job_id} is not running")
    job.status = "error"
    job.stderr.append("canceled")
    job.process.terminate()
    return web.Response(status=204)


def _bundle_file(request: web.Request) -> Path:
    name = request.match_info["filename"]
    job = _jobs.get(services(request).node_id)
    if not _FILENAME.match(name) or job is None or job.path.name != name or not job.path.exists():
        raise not_found(f"debug bundle file {name} not found")
    if job.status == "running":
        raise HttpError(409, f"debug bundle job {job.job_id} is still running")
    return job.path


@routes.get(
    "/v1/debug/bundle/file/{filename}",
    summary="Download the debug bundle's zip",
    auth=SUPERUSER,
    produces="application/zip",
)
async def get_bundle_file(request: web.Request) -> web.StreamResponse:
    path = _bundle_file(request)
    return web.FileResponse(path, headers={"Content-Type": "application/zip"})


@routes.delete(
    "/v1/debug/bundle/file/{filename}", summary="Delete the debug bundle's zip", auth=SUPERUSER
)
async def delete_bundle_file(request: web.Request) -> web.Response:
    _bundle_file(request).unlink(missing_ok=True)
    return web.Response(status=204)
