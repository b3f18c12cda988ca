"""`rpk debug bundle`: collect what support asks for into one zip (see _steps for the list),
with rpk's flags, checks, output path rules and messages; the steps run in parallel and a
progress bar shows on a terminal."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from cli import options
from cli._app import add_command
from cli.clients import kafka as kc
from cli.commands.debug import _steps
from cli.commands.debug._zip import Bundle, from_human_size
from cli.config import redpanda_yaml
from cli.config.values import parse_duration
from cli.errors import CliError
from cli.options import with_globals
from cli.output import progress

MAX_PARALLEL_STEPS = 6


def determine_path(output: str, doc: dict | None) -> Path:
    """rpk's determineFilepath: ./<rpc address>-<unix time>-bundle.zip by default; a path
    without an extension gets .zip; other extensions and directories are refused."""
    if not output:
        stamp = int(time.time())
        rpc = ((doc or {}).get("redpanda") or {}).get("advertised_rpc_api")
        if isinstance(rpc, dict) and rpc.get("address"):
            address = _steps.host_name(str(rpc["address"]))
            output = f"{address}-{stamp}-bundle.zip"
        else:
            output = f"{stamp}-bundle.zip"
    elif Path(output).is_dir():
        raise CliError(
            f'unable to determine filepath "{output}": output file path is a directory, '
            "please specify the name of the file"
        )
    path = Path(output)
    if path.suffix == "":
        path = path.with_name(path.name + ".zip")
    elif path.suffix != ".zip":
        raise CliError(
            f'unable to determine filepath "{output}": extension "{path.suffix}" not supported'
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not os.access(parent, os.W_OK):
        raise CliError(
            f'unable to determine filepath "{output}": unable to create bundle file in "{output}": permission denied'
        )
    return path


def parse_partitions(flags: list[str]) -> list[tuple[str, str, list[int]]]:
    """`[namespace/]topic/ids` (ids comma separated); the namespace defaults to kafka."""
    out = []
    for flag in flags:
        parts = flag.split("/")
        if len(parts) == 2:
            parts.insert(0, "kafka")
        if len(parts) != 3 or not parts[1]:
            raise CliError(f"unable to parse partition flag {flags}: you must provide a topic")
        try:
            ids = [int(x) for x in parts[2].split(",") if x]
        except ValueError:
            raise CliError(
                f"unable to parse partition flag {flags}: invalid partition ids {parts[2]!r}"
            ) from None
        out.append((parts[0], parts[1], ids))
    return out


def plain(value: Any) -> Any:
    """A client result as JSON values: tuples of fields as objects, keys as strings."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if hasattr(value, "to_dict"):
        return plain(value.to_dict())
    if isinstance(value, dict):
        return {str(plain(k)) if not isinstance(k, str) else k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def kafka_metadata(p: Any) -> dict:
    """rpk's kafka.json: one entry per request, its response or its error."""
    from kafka import TopicPartition
    from kafka.admin import ConfigResource, ConfigResourceType, OffsetSpec

    entries: list[dict[str, Any]] = []

    def add(name: str, fn: Any) -> Any:
        try:
            value = fn()
            entries.append({"Name": name, "Response": plain(value), "Error": None})
            return value
        except Exception as exc:
            entries.append(
                {"Name": name, "Response": None, "Error": str(exc) or type(exc).__name__}
            )
            return None

    with kc.admin_session(p) as admin:
        cluster = add("metadata", admin.describe_cluster) or {}
        topics = add("topics", lambda: admin.describe_topics()) or []
        names = [t.get("name", t.get("topic", "")) for t in topics]
        add(
            "topic_configs",
            lambda: (
                [
                    r
                    for r in admin.describe_configs(
                        [ConfigResource(ConfigResourceType.TOPIC, n) for n in names]
                    )
                ]
                if names
                else []
            ),
        )
        add(
            "broker_configs",
            lambda: [
                r
                for r in admin.describe_configs(
                    [
                        ConfigResource(
                            ConfigResourceType.BROKER, str(b.get("node_id", b.get("broker_id")))
                        )
                        for b in cluster.get("brokers", [])
                    ]
                )
            ],
        )
        tps = [
            TopicPartition(
                t.get("name", t.get("topic", "")), q.get("partition_index", q.get("partition", 0))
            )
            for t in topics
            for q in t.get("partitions") or []
        ]
        for name, spec in (
            ("log_start_offsets", OffsetSpec.EARLIEST),
            ("high_watermarks", OffsetSpec.LATEST),
        ):
            add(
                name,
                lambda spec=spec: (
                    {
                        f"{tp.topic}/{tp.partition}": plain(v)
                        for tp, v in admin.list_partition_offsets({tp: spec for tp in tps}).items()
                    }
                    if tps
                    else {}
                ),
            )
        groups = add("groups", lambda: admin.list_groups()) or []
        for g in groups:
            gid = g["group_id"] if isinstance(g, dict) else getattr(g, "group_id", str(g))
            add(
                f"group_commits_{gid}",
                lambda gid=gid: {
                    f"{tp.topic}/{tp.partition}": plain(v)
                    for tp, v in admin.list_group_offsets({gid: None}).get(gid, {}).items()
                },
            )
    return {"requests": entries}


@with_globals
def debug_bundle(
    output: Annotated[
        str,
        typer.Option(
            "-o",
            "--output",
            help="The file path where the debug file will be written (default ./<timestamp>-bundle.zip).",
        ),
    ] = "",
    timeout: Annotated[
        str,
        typer.Option(
            "--timeout",
            help="How long to wait for child commands to execute. For example: 30s, 1.5m.",
            metavar="duration",
        ),
    ] = "31s",
    upload_url: Annotated[
        str,
        typer.Option(
            "--upload-url",
            help="If provided, where to upload the bundle in addition to creating a copy on disk.",
        ),
    ] = "",
    controller_logs_size_limit: Annotated[
        str,
        typer.Option(
            "--controller-logs-size-limit",
            help="The size limit of the controller logs that can be stored in the bundle. For example: 3MB, 1GiB.",
        ),
    ] = "132MB",
    cpu_profiler_wait: Annotated[
        str,
        typer.Option(
            "--cpu-profiler-wait",
            help="How long to collect samples for the CPU profiler. For example: 30s, 1.5m. Must be higher than 15s.",
        ),
    ] = "30s",
    logs_size_limit: Annotated[
        str,
        typer.Option(
            "--logs-size-limit",
            help="Read the logs until the given size is reached. For example: 3MB, 1GiB.",
        ),
    ] = "100MiB",
    logs_since: Annotated[
        str,
        typer.Option(
            "--logs-since",
            help="Include logs dated from specified date onward; (journalctl date format: YYYY-MM-DD, 'yesterday', or 'today').",
        ),
    ] = "yesterday",
    logs_until: Annotated[
        str,
        typer.Option(
            "--logs-until",
            help="Include logs older than the specified date; (journalctl date format: YYYY-MM-DD, 'yesterday', or 'today').",
        ),
    ] = "",
    metrics_interval: Annotated[
        str,
        typer.Option(
            "--metrics-interval", help="Interval between metrics snapshots. For example: 30s, 1.5m."
        ),
    ] = "10s",
    metrics_samples: Annotated[
        int,
        typer.Option(
            "--metrics-samples",
            help="Number of metrics samples to take (at the interval of --metrics-interval). Must be >= 2.",
        ),
    ] = 2,
    partition: Annotated[
        Optional[list[str]],
        typer.Option(
            "-p",
            "--partition",
            help="Comma-separated partition IDs. When provided, rpk saves extra Admin API requests for those partitions. See the help for extended usage.",
        ),
    ] = None,
    namespace: Annotated[
        str,
        typer.Option(
            "-n",
            "--namespace",
            help="The namespace to use to collect the resources from (K8s only).",
        ),
    ] = "redpanda",
    label_selector: Annotated[
        Optional[list[str]],
        typer.Option(
            "-l",
            "--label-selector",
            help="Comma-separated label selectors to filter your resources (K8s only).",
        ),
    ] = None,
) -> None:
    """Collect environment data and create a bundle file for the Redpanda Data support team to inspect.

    'rpk debug bundle' collects environment data that can help debug and diagnose issues with
    a redpanda cluster, a broker, or the machine it's running on, into a ZIP file: Kafka
    metadata (topics, configs, offsets, groups and their commits), the controller log, the
    data directory's structure and disk usage, redpanda.yaml with credentials stripped,
    /proc files, resource usage, Admin API state (brokers, health, cluster config, features,
    partitions, node config), the brokers' logs and metrics (/metrics and /public_metrics,
    --metrics-samples times, --metrics-interval apart), and OS facts (uname, ss, top, vmstat,
    ip, lspci, sysctl, free, dig, syslog; dmidecode as root). --namespace and
    --label-selector only apply inside Kubernetes.
    """
    if parse_duration(cpu_profiler_wait) < 15:
        raise CliError("--cpu-profiler-wait must be higher than 15 seconds")
    if metrics_samples < 2:
        raise CliError("--metrics-samples must be 2 or higher")
    p = options.params()
    doc = redpanda_yaml.load(p.redpanda_yaml_path) if p.redpanda_yaml_path else None
    path = determine_path(output, doc)
    plan = _plan(p, doc, partition or [], logs_size_limit, controller_logs_size_limit)
    plan.logs_since, plan.logs_until = logs_since, logs_until
    plan.metrics_interval_s, plan.metrics_samples = (
        parse_duration(metrics_interval),
        metrics_samples,
    )
    print("Creating bundle file...", flush=True)
    bundle = Bundle(path, path.name.removesuffix(".zip"), parse_duration(timeout))
    run_steps(bundle, plan)
    bundle.close()
    if bundle.errors:
        print("\n".join(bundle.errors))
    print(f"Debug bundle saved to '{path}'")
    if upload_url:
        upload(path, upload_url)
        print("Successfully uploaded the bundle")


def _plan(
    p: Any, doc: dict | None, partitions: list[str], logs: str, controller: str
) -> _steps.Plan:
    try:
        logs_limit = from_human_size(logs)
    except ValueError as exc:
        raise CliError(f"unable to parse --logs-size-limit: {exc}") from None
    try:
        controller_limit = from_human_size(controller)
    except ValueError as exc:
        raise CliError(f"unable to parse --controller-logs-size-limit: {exc}") from None
    data_dir = ((doc or {}).get("redpanda") or {}).get("data_directory")
    auth = (p.sasl.user, p.sasl.password) if p.sasl and p.sasl.user else None
    return _steps.Plan(
        admin_urls=list(p.admin_urls),
        auth=auth,
        redpanda_yaml=doc,
        data_dir=Path(data_dir) if data_dir else Path("/var/lib/redpanda/data"),
        logs_limit_bytes=logs_limit,
        controller_limit_bytes=controller_limit,
        partitions=parse_partitions(partitions),
        kafka=lambda: kafka_metadata(p),
    )


def run_steps(bundle: Bundle, plan: _steps.Plan) -> None:
    with progress("Collecting", total=len(_steps.STEPS)) as advance:
        with ThreadPoolExecutor(max_workers=MAX_PARALLEL_STEPS) as pool:
            futures = {pool.submit(fn, bundle, plan): name for name, fn in _steps.STEPS.items()}
            for future, name in futures.items():
                try:
                    future.result()
                except Exception as exc:  # one failed step is a line in errors.txt
                    bundle.fail(f"{name}: {exc}")
                advance()


def upload(path: Path, url: str) -> None:
    import httpx

    try:
        with open(path, "rb") as f:
            resp = httpx.put(
                url, content=f.read(), headers={"Content-Type": "application/zip"}, timeout=60
            )
    except httpx.HTTPError as exc:
        raise CliError(f"unable to upload bundle: {exc}") from None
    if resp.status_code >= 400:
        raise CliError(
            f"unable to upload bundle: unexpected error code {resp.status_code} - {resp.text.strip()[:200]}"
        )


def register(app: typer.Typer) -> None:
    add_command(app, debug_bundle, "bundle")
