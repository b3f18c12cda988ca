"""`rpk generate prometheus-config`: a Prometheus scrape config for the cluster's admin endpoints."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
import yaml

from cli._app import add_command
from cli.errors import CliError, UsageError
from cli.options import params, with_globals

DEFAULT_ADMIN_PORT = 9644
DISCOVERY_TIMEOUT_MS = 5000


def _host_port(addr: str, default_port: int) -> tuple[str, int]:
    addr = addr.split("://", 1)[-1].rstrip("/")
    host, sep, port = addr.rpartition(":")
    if not sep or not port.isdigit():
        return addr, default_port
    return host, int(port)


def scrape_config(
    job_name: str, targets: list[str], internal: bool, labels: dict[str, dict[str, str]]
) -> list[dict]:
    jobs = [_job(job_name, targets, "/public_metrics", labels.get("public", {}))]
    if internal:
        jobs.append(_job(f"{job_name}-internal", targets, "/metrics", labels.get("internal", {})))
    return jobs


def _job(name: str, targets: list[str], path: str, labels: dict[str, str]) -> dict:
    static = {
        "targets": list(targets)
    }  # a copy per job: a shared list would print as a YAML &alias
    if labels:
        static["labels"] = labels
    return {"job_name": name, "static_configs": [static], "metrics_path": path}


def parse_labels(text: str | None) -> dict[str, dict[str, str]]:
    """`public:k=v,internal:k=v` -> {"public": {k: v}, "internal": {k: v}}."""
    out: dict[str, dict[str, str]] = {}
    for item in filter(None, (s.strip() for s in (text or "").split(","))):
        scope, _, kv = item.partition(":")
        key, eq, value = kv.partition("=")
        if scope not in ("public", "internal") or not eq or not key:
            raise UsageError(
                f"invalid label {item!r}, expected public:key=value or internal:key=value"
            )
        out.setdefault(scope, {})[key] = value
    return out


def discover(seed: str, admin_port: int) -> list[str]:
    """Broker hosts from Kafka metadata of the seed broker, each with the admin port."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    host, port = _host_port(seed, 9092)
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=f"{host}:{port}", request_timeout_ms=DISCOVERY_TIMEOUT_MS
        )
        try:
            brokers = admin.describe_cluster()["brokers"]
        finally:
            admin.close()
    except KafkaError as exc:
        raise CliError(f"unable to discover brokers from {seed}: {exc}") from None
    return sorted({f"{b['host']}:{admin_port}" for b in brokers})


@with_globals
def prometheus_config(
    job_name: Annotated[
        str,
        typer.Option(
            "--job-name", help="The prometheus job name by which to identify the metrics."
        ),
    ] = "redpanda",
    node_addrs: Annotated[
        Optional[str],
        typer.Option(
            "--node-addrs",
            help="Comma-separated admin addresses (host:port) to scrape.",
            metavar="strings",
        ),
    ] = None,
    seed_addr: Annotated[
        Optional[str],
        typer.Option(
            "--seed-addr", help="Kafka address of a broker from which to discover the rest."
        ),
    ] = None,
    internal_metrics: Annotated[
        bool, typer.Option("--internal-metrics", help="Also scrape the internal /metrics endpoint.")
    ] = False,
    labels: Annotated[
        Optional[str],
        typer.Option("--labels", help="Extra labels: public:k=v,internal:k=v.", metavar="strings"),
    ] = None,
) -> None:
    """Generate the Prometheus configuration to scrape Ailurus nodes."""
    if node_addrs:
        targets = [
            f"{h}:{p}"
            for h, p in (
                _host_port(a.strip(), DEFAULT_ADMIN_PORT)
                for a in node_addrs.split(",")
                if a.strip()
            )
        ]
    else:
        admin_hosts = [_host_port(a, DEFAULT_ADMIN_PORT) for a in params().admin_hosts] or [
            ("127.0.0.1", DEFAULT_ADMIN_PORT)
        ]
        targets = (
            discover(seed_addr, admin_hosts[0][1])
            if seed_addr
            else [f"{h}:{p}" for h, p in admin_hosts]
        )
    typer.echo(
        yaml.safe_dump(
            scrape_config(job_name, targets, internal_metrics, parse_labels(labels)),
            sort_keys=False,
        ).rstrip()
    )


def register(generate_app: typer.Typer) -> None:
    add_command(generate_app, prometheus_config, "prometheus-config")
