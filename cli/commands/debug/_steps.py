"""What `rpk debug bundle` collects, one function per step (rpk's layout inside the zip):
Kafka metadata (kafka.json), redpanda.yaml with secrets redacted, the data directory's tree
(data-dir.txt) and disk usage (utils/du.txt), the controller log, the broker logs, Admin API
state (admin/*.json), metrics samples (metrics/<host>/t<N>_*.txt), /proc files, resource usage
and OS facts (utils/*.txt)."""

from __future__ import annotations

import copy
import grp
import os
import pwd
import re
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from cli.commands.debug._zip import Bundle

REDACTED = "(REDACTED)"
_SECRET_KEY = re.compile(r"(pass(word)?|secret|token|scram_username|access_key|sasl_user)", re.I)
CLUSTER_ADMIN_CALLS = {
    "admin/brokers.json": "/v1/brokers",
    "admin/broker_uuids.json": "/v1/broker_uuids",
    "admin/health_overview.json": "/v1/cluster/health_overview",
    "admin/features.json": "/v1/features",
    "admin/reconfigurations.json": "/v1/partitions/reconfigurations",
    "admin/cluster_config.json": "/v1/cluster_config?include_defaults=true",
    "admin/cluster_config_status.json": "/v1/cluster_config/status",
    "admin/cluster_partitions.json": "/v1/cluster/partitions",
}
NODE_ADMIN_CALLS = {
    "node_config": "/v1/node_config",
    "maintenance_status": "/v1/maintenance",
    "partitions": "/v1/partitions",
    "loggers": "/v1/loggers?include-levels=true",
}
PROC_FILES = ("cpuinfo", "interrupts", "mounts", "slabinfo", "cmdline", "mdstat", "meminfo")
UTILS = {
    "uname.txt": ["uname", "-a"],
    "ss.txt": ["ss"],
    "top.txt": ["top", "-b", "-n", "1"],
    "vmstat.txt": ["vmstat", "1", "3"],
    "ip.txt": ["ip", "addr"],
    "lspci.txt": ["lspci"],
    "sysctl.txt": ["sysctl", "-a"],
    "free.txt": ["free"],
    "dig.txt": ["dig"],
}


@dataclass
class Plan:
    """The flags and the loaded configuration a bundle is made from."""

    admin_urls: list[str]
    auth: tuple[str, str] | None
    redpanda_yaml: dict | None
    data_dir: Path | None
    logs_since: str = "yesterday"
    logs_until: str = ""
    logs_limit_bytes: int = 100_000_000
    controller_limit_bytes: int = 132_000_000
    metrics_interval_s: float = 10.0
    metrics_samples: int = 2
    partitions: list[tuple[str, str, list[int]]] = field(default_factory=list)
    kafka: Callable[[], dict] | None = None  # the Kafka metadata collector


def host_name(url: str) -> str:
    """rpk's per-node file suffix: the admin address, sanitized."""
    bare = url.split("://", 1)[-1]
    return re.sub(r'[<>:"/\\|?*]', "-", bare)


def redact(doc: Any) -> Any:
    """redpanda.yaml with every credential replaced by (REDACTED)."""
    if isinstance(doc, dict):
        out = {}
        for key, value in doc.items():
            if _SECRET_KEY.search(str(key)) and value not in (None, "", [], {}):
                out[key] = REDACTED
            elif str(key) in ("sasl",) and isinstance(value, dict):
                out[key] = {
                    k: REDACTED if k in ("user", "password") else v for k, v in value.items()
                }
            else:
                out[key] = redact(value)
        return out
    if isinstance(doc, list):
        return [redact(v) for v in doc]
    return doc


def save_config(b: Bundle, plan: Plan) -> None:
    import yaml

    if plan.redpanda_yaml is None:
        b.fail("redpanda.yaml: no redpanda.yaml found (--config, ./redpanda.yaml, /etc/redpanda)")
        return
    doc = redact(copy.deepcopy(plan.redpanda_yaml))
    b.write("redpanda.yaml", yaml.safe_dump(doc, sort_keys=False))


def _file_info(path: Path) -> dict[str, Any]:
    try:
        st = path.lstat()
    except OSError as exc:
        return {"error": str(exc)}
    info: dict[str, Any] = {
        "size": _human(st.st_size),
        "mode": stat.filemode(st.st_mode),
        "modified": datetime.fromtimestamp(st.st_mtime, UTC).isoformat(),
        "size_bytes": st.st_size,
    }
    try:
        info["user"] = pwd.getpwuid(st.st_uid).pw_name
    except KeyError as exc:
        info["user"] = f"user lookup failed for UID {st.st_uid}: {exc}"
    try:
        info["group"] = grp.getgrgid(st.st_gid).gr_name
    except KeyError as exc:
        info["group"] = f"group lookup failed for GID {st.st_gid}: {exc}"
    if stat.S_ISLNK(st.st_mode):
        info["symlink"] = os.readlink(path)
    return info


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.3g}{unit}" if unit != "B" else f"{size}B"
        value /= 1000
    return f"{size}B"


def save_data_dir(b: Bundle, plan: Plan) -> None:
    if plan.data_dir is None or not plan.data_dir.is_dir():
        b.fail(f"data-dir.txt: data directory {plan.data_dir} not found on this host")
        return
    tree = {str(plan.data_dir): _file_info(plan.data_dir)}
    for root, dirs, files in os.walk(plan.data_dir):
        for name in sorted(dirs + files):
            path = Path(root) / name
            tree[str(path)] = _file_info(path)
    b.write_json("data-dir.txt", tree)
    b.command("utils/du.txt", ["du", "-h", str(plan.data_dir)])


def save_controller_log(b: Bundle, plan: Plan) -> None:
    if plan.data_dir is None:
        return
    directory = plan.data_dir / "redpanda" / "controller" / "0_0"
    if not directory.is_dir():
        b.fail(f"controller-logs: {directory} not found on this host")
        return
    files = sorted((p for p in directory.iterdir() if p.is_file()), key=lambda p: p.name)
    budget = plan.controller_limit_bytes
    for path in reversed(files):  # newest segments first, within the limit
        size = path.stat().st_size
        if size > budget:
            break
        budget -= size
        b.file(f"controller-logs/redpanda/controller/0_0/{path.name}", path)


def save_logs(b: Bundle, plan: Plan) -> None:
    """journald's redpanda unit when there is one, and each broker's recent log lines."""
    args = ["journalctl", "--no-pager", "-u", "redpanda"]
    if plan.logs_since:
        args += ["--since", plan.logs_since]
    if plan.logs_until:
        args += ["--until", plan.logs_until]
    if Path("/run/systemd/system").is_dir():
        b.command("redpanda.log", args, plan.logs_limit_bytes)
    for url in plan.admin_urls:
        _admin_save(
            b,
            plan,
            url,
            f"logs/{host_name(url)}.log",
            "/v1/debug/logs",
            raw=True,
            params={
                "limit_bytes": str(plan.logs_limit_bytes),
                "since": plan.logs_since,
                "until": plan.logs_until,
            },
        )


def _admin_save(
    b: Bundle,
    plan: Plan,
    base: str,
    name: str,
    path: str,
    *,
    raw: bool = False,
    params: dict[str, str] | None = None,
) -> None:
    url = base.rstrip("/") + path
    try:
        resp = httpx.get(url, auth=plan.auth, timeout=b.timeout_s, params=params)
    except httpx.HTTPError as exc:
        b.fail(f'{name}: Get "{url}": {exc}')
        return
    if resp.status_code >= 400:
        b.fail(f"{name}: request {url} failed: {resp.status_code} {resp.text.strip()[:200]}")
        return
    if raw:
        b.write(name, resp.content)
    else:
        b.write_json(name, resp.json())


def save_cluster_admin_calls(b: Bundle, plan: Plan) -> None:
    if not plan.admin_urls:
        b.fail("admin: no Admin API address")
        return
    base = plan.admin_urls[0]
    for name, path in CLUSTER_ADMIN_CALLS.items():
        _admin_save(b, plan, base, name, path)
    for ns, topic, ids in plan.partitions:
        for pid in ids:
            _admin_save(
                b,
                plan,
                base,
                f"partitions/info_{ns}_{topic}_{pid}.json",
                f"/v1/partitions/{ns}/{topic}/{pid}",
            )


def save_node_admin_calls(b: Bundle, plan: Plan) -> None:
    for url in plan.admin_urls:
        for kind, path in NODE_ADMIN_CALLS.items():
            _admin_save(b, plan, url, f"admin/{kind}_{host_name(url)}.json", path)


def save_metrics(b: Bundle, plan: Plan) -> None:
    """`metrics_samples` samples of /metrics and /public_metrics per node, `interval` apart."""
    for n in range(plan.metrics_samples):
        if n:
            time.sleep(plan.metrics_interval_s)
        for url in plan.admin_urls:
            for endpoint in ("metrics", "public_metrics"):
                _admin_save(
                    b,
                    plan,
                    url,
                    f"metrics/{host_name(url)}/t{n}_{endpoint}.txt",
                    f"/{endpoint}",
                    raw=True,
                )


def save_kafka(b: Bundle, plan: Plan) -> None:
    if plan.kafka is None:
        return
    try:
        b.write_json("kafka.json", plan.kafka())
    except Exception as exc:  # the whole step fails as one line, as rpk's
        b.fail(f"kafka.json: {exc}")


def save_proc(b: Bundle, plan: Plan) -> None:
    for name in PROC_FILES:
        b.file(f"proc/{name}", Path("/proc") / name)


def save_resource_usage(b: Bundle, plan: Plan) -> None:
    usage: dict[str, Any] = {}
    try:
        load1, load5, load15 = os.getloadavg()
        usage["loadavg"] = [load1, load5, load15]
        usage["cpus"] = os.cpu_count()
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        fields = {line.split(":")[0]: line.split(":")[1].strip() for line in meminfo if ":" in line}
        usage["freeMemoryMB"] = int(fields.get("MemAvailable", "0 kB").split()[0]) // 1024
        if plan.data_dir is not None and plan.data_dir.exists():
            st = os.statvfs(plan.data_dir)
            usage["freeSpaceMB"] = st.f_bavail * st.f_frsize // 1_000_000
    except OSError as exc:
        b.fail(f"resource-usage.json: {exc}")
    b.write_json("resource-usage.json", usage)


def save_utils(b: Bundle, plan: Plan) -> None:
    for name, argv in UTILS.items():
        b.command(f"utils/{name}", argv)
    if os.geteuid() == 0:
        b.command("utils/dmidecode.txt", ["dmidecode"])
    for name in ("syslog", "messages"):
        source = Path("/var/log") / name
        if source.is_file():
            b.file("utils/syslog.txt", source, plan.logs_limit_bytes)
            break


STEPS: dict[str, Callable[[Bundle, Plan], None]] = {
    "Kafka metadata": save_kafka,
    "redpanda.yaml": save_config,
    "data directory": save_data_dir,
    "controller log": save_controller_log,
    "logs": save_logs,
    "Admin API (cluster)": save_cluster_admin_calls,
    "Admin API (nodes)": save_node_admin_calls,
    "metrics": save_metrics,
    "/proc": save_proc,
    "resource usage": save_resource_usage,
    "OS facts": save_utils,
}
