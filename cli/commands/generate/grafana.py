"""`rpk generate grafana-dashboard [--dashboard NAME|help] [--metrics-endpoint URL]
[--datasource NAME] [--job-name NAME]`.

rpk downloads its named dashboards from GitHub (with embedded copies as fallback); those chart
Redpanda's own metric names. Here every dashboard is built from the metrics the broker at
--metrics-endpoint really exports (cli.commands.generate._dashboard), so each panel has data:
`operations` charts everything with a summary row, `topic-metrics` the families labelled by
topic, `consumer-offsets` the consumer group families; `legacy` is rpk's name for the generated
dashboard and, as in rpk, needs --datasource."""

from __future__ import annotations

import json
import textwrap
from typing import Annotated

import httpx
import typer

from cli._app import add_command
from cli.commands.generate import _dashboard as d
from cli.errors import CliError
from cli.options import params, with_globals

DEFAULT_ENDPOINT = "http://localhost:9644/public_metrics"
DASHBOARDS = {
    "consumer-metrics": "Allows for monitoring of Java Kafka consumers, using the Prometheus JMX "
    "Exporter and the Kafka Sample Configuration.",
    "consumer-offsets": "Metrics and KPIs that provide details of topic consumers and how far "
    "they are lagging behind the end of the log.",
    "operations": "Provides an overview of KPIs for a Redpanda cluster with health indicators. "
    "This is suitable for ops or SRE to monitor on a daily or continuous basis.",
    "topic-metrics": "Provides throughput, read/write rates, and on-disk sizes of each/all topics.",
    "legacy": "Generates dashboard based on selected metrics endpoint (--metrics-endpoint). "
    "Modify prometheus datasource and job-name with --datasource and --job-name flags.",
}
_TOPIC_WORDS = (
    "topic",
    "partition",
    "max_offset",
    "request_bytes",
    "under_replicated",
    "disk_used",
)
SELECT = {
    "operations": ("Redpanda Ops Dashboard", "redpanda-ops", lambda f: True),
    "legacy": ("Redpanda", "redpanda-ops", lambda f: True),
    "topic-metrics": (
        "Kafka Topic Metrics",
        "redpanda-topics",
        lambda f: "topic" in f.labels or any(w in f.name for w in _TOPIC_WORDS),
    ),
    "consumer-offsets": (
        "Kafka Consumer Offsets",
        "redpanda-consumer-offsets",
        lambda f: "group" in f.labels or "group" in f.name.removeprefix("redpanda_"),
    ),
}


def dashboard_help() -> str:
    """rpk's list: `  - name: ` aligned, descriptions wrapped at 80 columns."""
    heads = {k: f"  - {k}: " for k in DASHBOARDS}
    indent = max(len(h) for h in heads.values())
    lines = []
    for name, head in heads.items():
        body = textwrap.wrap(DASHBOARDS[name], width=80 - indent) or [""]
        lines.append(head.ljust(indent) + body[0])
        lines += [" " * indent + part for part in body[1:]]
    return (
        "You can select one of the following dashboard types:\n\n"
        + "\n".join(lines)
        + "\n\nTo learn more about these dashboards you can visit:\n"
        "  https://github.com/redpanda-data/observability\n"
    )


def fetch(endpoint: str) -> str:
    if not endpoint.startswith(("http://", "https://")):
        endpoint = f"http://{endpoint}"
    p = params()
    auth = (p.sasl.user, p.sasl.password) if p.sasl and p.sasl.user else None
    try:
        resp = httpx.get(endpoint, auth=auth, timeout=10)
    except httpx.HTTPError as exc:
        raise CliError(
            f'unable to generate the grafana dashboard: Get "{endpoint}": {exc}'
        ) from None
    if resp.status_code >= 400:
        raise CliError(
            f"unable to generate the grafana dashboard: {endpoint}: {resp.status_code} {resp.reason_phrase}"
        )
    return resp.text


@with_globals
def grafana_dashboard(
    dashboard: Annotated[
        str,
        typer.Option(
            "--dashboard",
            help="The name of the dashboard you wish to generate; use --dashboard help for more info.",
        ),
    ] = "operations",
    metrics_endpoint: Annotated[
        str,
        typer.Option(
            "--metrics-endpoint",
            "--prometheus-url",
            hidden=True,
            help="The redpanda metrics endpoint where rpk should get the metrics metadata. i.e. redpanda_host:9644/metrics.",
        ),
    ] = "",
    datasource: Annotated[
        str,
        typer.Option(
            "--datasource",
            hidden=True,
            help="The name of the Prometheus datasource as configured in your grafana instance.",
        ),
    ] = "",
    job_name: Annotated[
        str,
        typer.Option(
            "--job-name",
            hidden=True,
            help="The prometheus job name by which to identify the redpanda nodes.",
        ),
    ] = "redpanda",
) -> None:
    """Generate a Grafana dashboard for redpanda metrics.

    Use this command to generate Grafana dashboards for Redpanda metrics, built from the
    metrics the broker exports (--metrics-endpoint, by default the profile's first Admin API
    address /public_metrics). These dashboards can be imported into a Grafana or Grafana
    Cloud instance; pick the Prometheus datasource on import.

    To see a list of all available dashboards, use the '--dashboard help' flag.
    """
    if dashboard == "help":
        print(dashboard_help(), end="")
        return
    if dashboard == "consumer-metrics":
        raise CliError(
            "unable to generate the consumer-metrics dashboard: it charts Java consumers' JMX "
            "exporter metrics, which a broker does not export"
        )
    if dashboard not in SELECT:
        raise CliError(
            f'unrecognized dashboard type name: "{dashboard}"; use --dashboard help for more info'
        )
    if dashboard == "legacy" and not datasource:
        raise CliError(
            'Error: required legacy flag "datasource" not set; please set the flag to the redpanda '
            "metrics endpoint where rpk should get the metrics metadata. i.e. "
            "redpanda_host:9644/public_metrics"
        )
    endpoint = metrics_endpoint or _profile_endpoint()
    families = d.families_from_text(fetch(endpoint))
    title, uid, keep = SELECT[dashboard]
    doc = d.build(families, title, uid, keep, datasource)
    doc["tags"].append(job_name)
    print(json.dumps(doc, indent=1))


def _profile_endpoint() -> str:
    urls = params().admin_urls
    return f"{urls[0].rstrip('/')}/public_metrics" if urls else DEFAULT_ENDPOINT


def register(app: typer.Typer) -> None:
    add_command(app, grafana_dashboard, "grafana-dashboard")
