"""`rpk cluster self-test start | status | stop`: disk and network benchmarks on every broker
through the Admin API (admin_api/routes/self_test.py), with rpk's flags, tests, prompt,
messages and status report. As rpk, one request to one Admin API address starts, stops or
reports the run on every broker: the broker fans out to the others."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from cli._app import add_command, add_group, new_group
from cli.clients.admin import from_profile
from cli.errors import CliError, FlagError
from cli.options import with_globals
from cli.output import format_rows, go_json

GIB, KIB = 1 << 30, 1 << 10
WARNING = (
    "Redpanda self-test will run benchmarks of disk and network hardware that will consume "
    "significant system resources. Do not start self-test if large workloads are already "
    "running on the system."
)
# name, dsync, skip_read, request size, parallelism: rpk's disk tests
DISK_TESTS = (
    ("512KB sequential r/w", True, False, 512 * KIB, 4),
    ("4KB sequential r/w, low io depth", True, False, 4 * KIB, 1),
    ("4KB sequential write, medium io depth", True, True, 4 * KIB, 8),
    ("4KB sequential write, high io depth", True, True, 4 * KIB, 64),
    ("4KB sequential write, very high io depth", True, True, 4 * KIB, 256),
    ("4KB sequential write, no dsync", False, True, 4 * KIB, 64),
    ("16KB sequential r/w, high io depth", False, False, 16 * KIB, 64),
)


def assemble_tests(
    only: str, disk_ms: int, net_ms: int, cloud_timeout_ms: int, cloud_backoff_ms: int
) -> list[dict]:
    disk = [
        {
            "name": name,
            "dsync": dsync,
            "skip_write": False,
            "skip_read": skip_read,
            "data_size": GIB,
            "request_size": size,
            "duration_ms": disk_ms,
            "parallelism": par,
            "type": "disk",
        }
        for name, dsync, skip_read, size, par in DISK_TESTS
    ]
    net = [
        {
            "name": "8Kb Network Throughput Test",
            "request_size": 8192,
            "duration_ms": net_ms,
            "parallelism": 10,
            "type": "network",
        }
    ]
    cloud = [
        {
            "name": "Cloud Storage Test",
            "timeout_ms": cloud_timeout_ms,
            "backoff_ms": cloud_backoff_ms,
            "type": "cloud",
        }
    ]
    return {"disk": disk, "network": net, "cloud": cloud}.get(only, disk + net + cloud)


@with_globals
def self_test_start(
    no_confirm: Annotated[
        bool,
        typer.Option("--no-confirm", help="Acknowledge warning prompt skipping read from stdin."),
    ] = False,
    disk_duration_ms: Annotated[
        int,
        typer.Option(
            "--disk-duration-ms",
            min=0,
            help="The duration in milliseconds of individual disk test runs.",
            metavar="uint",
        ),
    ] = 30000,
    network_duration_ms: Annotated[
        int,
        typer.Option(
            "--network-duration-ms",
            min=0,
            help="The duration in milliseconds of individual network test runs.",
            metavar="uint",
        ),
    ] = 30000,
    cloud_timeout_ms: Annotated[
        int,
        typer.Option(
            "--cloud-timeout-ms",
            min=0,
            help="The timeout in milliseconds for a cloud storage request.",
            metavar="uint",
        ),
    ] = 5000,
    cloud_backoff_ms: Annotated[
        int,
        typer.Option(
            "--cloud-backoff-ms",
            min=0,
            help="The backoff in milliseconds for a cloud storage request.",
            metavar="uint",
        ),
    ] = 100,
    participant_node_ids: Annotated[
        Optional[list[str]],
        typer.Option(
            "--participant-node-ids",
            help="Comma-separated list of broker IDs that the tests will run on. If not set, tests will run for all node IDs.",
            metavar="ints",
        ),
    ] = None,
    only_disk_test: Annotated[
        bool, typer.Option("--only-disk-test", help="Runs only the disk benchmarks.")
    ] = False,
    only_network_test: Annotated[
        bool, typer.Option("--only-network-test", help="Runs only network benchmarks.")
    ] = False,
    only_cloud_test: Annotated[
        bool,
        typer.Option(
            "--only-cloud-test", help="Runs only cloud storage verification.", metavar="ints"
        ),
    ] = False,
) -> None:
    """Starts a new self-test run.

    Starts one or more benchmark tests on one or more nodes of the cluster: disk tests (512 KB
    sequential r/w; 4 KB sequential r/w and writes at increasing io depth, one without dsync;
    16 KB at high io depth), a network throughput test (8192-byte requests between every pair
    of brokers) and a cloud storage check. NOTE: Redpanda self-test runs benchmarks that
    consume significant system resources. To view the test status, poll 'rpk cluster self-test
    status'.
    """
    chosen = [
        n
        for n, on in (
            ("only-disk-test", only_disk_test),
            ("only-network-test", only_network_test),
            ("only-cloud-test", only_cloud_test),
        )
        if on
    ]
    if len(chosen) > 1:
        raise FlagError(
            f"if any flags in the group [only-disk-test only-network-test only-cloud-test] are set none of the others can be; {chosen} were all set"
        )
    try:
        ids = [int(x) for item in participant_node_ids or [] for x in item.split(",") if x]
    except ValueError:
        raise FlagError(
            f'invalid argument "{",".join(participant_node_ids or [])}" for "--participant-node-ids" flag'
        ) from None
    if not no_confirm and not typer.confirm(WARNING, default=False):
        print("self-test start was cancelled")
        return
    only = chosen[0].split("-")[1] if chosen else ""
    tests = assemble_tests(
        only, disk_duration_ms, network_duration_ms, cloud_timeout_ms, cloud_backoff_ms
    )
    body: dict[str, Any] = {"tests": tests}
    if ids:
        body["nodes"] = ids
    try:  # one broker starts the run on every one (Redpanda's self_test_frontend)
        answer = from_profile().send_any("POST", "/v1/debug/self_test/start", json=body)
        test_id = answer.json()
    except CliError as exc:
        raise CliError(f"unable to start self test: {exc}") from None
    print(
        f"Redpanda self-test has started, test identifier: {test_id}, To check the status run:\n    rpk cluster self-test status"
    )


def reports() -> list[dict]:
    """Every broker's report, from any one broker (it asks the others)."""
    try:
        found = from_profile().get_json("/v1/debug/self_test/status")
    except CliError as exc:
        raise CliError(f"unable to query self-test status: {exc}") from None
    return sorted(found, key=lambda r: int(r["node_id"]))


# rpadmin.SelfTestNodeResult's fields in order; the pointers (omitempty) are left out when unset
_RESULT_FIELDS = (
    ("p50", None),
    ("p90", None),
    ("p99", None),
    ("p999", None),
    ("max_latency", None),
    ("rps", None),
    ("bps", None),
    ("timeouts", 0),
    ("test_id", ""),
    ("name", ""),
    ("info", ""),
    ("test_type", ""),
    ("start_time", 0),
    ("end_time", 0),
    ("duration", 0),
    ("warning", None),
    ("error", None),
)


def _as_rpadmin(report: dict) -> dict:
    """A report as rpk decodes it (rpadmin.SelfTestNodeReport) and re-encodes it."""
    out: dict[str, Any] = {
        "node_id": report.get("node_id", 0),
        "status": report.get("status", ""),
        "stage": report.get("stage", ""),
    }
    results = []
    for r in report.get("results") or []:
        one = {}
        for key, zero in _RESULT_FIELDS:
            value = r.get(key, zero)
            if value is not None:
                one[key] = value
        results.append(one)
    if results:  # omitempty
        out["results"] = results
    return out


def _bytes_size(value: float) -> str:
    """docker/go-units BytesSize: binary units, 4 significant digits."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{value:.4g}{unit}"
        value /= 1024
    return f"{value:.4g}PiB"


def _bits(value: float) -> str:
    """rpk's system.BitsToHuman of a bytes-per-second figure."""
    bits = value * 8
    for unit, scale in (("Gib", 1 << 30), ("Mib", 1 << 20), ("Kib", 1 << 10)):
        if bits / scale > 1.0:
            return f"{bits / scale:.2f}{unit}"
    return f"{value:g}"


def _unix_date(seconds: int) -> str:
    import time

    return time.strftime("%a %b %e %H:%M:%S UTC %Y", time.gmtime(seconds))


def report_rows(report: dict) -> list[list[str]]:
    rows: list[list[str]] = []
    for r in report.get("results") or []:
        rows.append(["NAME", r.get("name", "")])
        if r.get("info"):
            rows.append(["INFO", r["info"]])
        rows += [
            ["TYPE", r.get("test_type", "")],
            ["TEST ID", r.get("test_id", "")],
            ["TIMEOUTS", str(r.get("timeouts", 0))],
            ["START TIME", _unix_date(int(r.get("start_time", 0)))],
            ["END TIME", _unix_date(int(r.get("end_time", 0)))],
            ["AVG DURATION", f"{r.get('duration', 0)}ms"],
        ]
        if r.get("warning") is not None:
            rows.append(["WARNING", r["warning"]])
        if r.get("error") is not None:
            rows += [["ERROR", r["error"]], [""]]
            continue
        if r.get("test_type") == "cloud":
            rows.append([""])
            continue
        rows.append(["IOPS", f"{r.get('rps', 0)} req/sec"])
        rate = r.get("bps", 0)
        rows.append(
            [
                "THROUGHPUT",
                f"{_bits(rate) if r.get('test_type') == 'network' else _bytes_size(rate)}/sec",
            ]
        )
        rows.append(["LATENCY", "P50", "P90", "P99", "P999", "MAX"])
        rows.append(
            ["", *(f"{r.get(k, 0)}us" for k in ("p50", "p90", "p99", "p999", "max_latency"))]
        )
        rows.append([""])
    return rows


def status_text(all_reports: list[dict]) -> str:
    running = {
        r["node_id"]: r.get("stage", "") for r in all_reports if r.get("status") == "running"
    }
    if running:
        return "\n".join(
            f"Node {k} is still running {running[k]} self test" for k in sorted(running)
        )
    if all(r.get("status") == "idle" and not r.get("results") for r in all_reports):
        return "All nodes are idle with no cached test results"
    lines: list[list[str]] = []
    for report in all_reports:
        header = f"NODE ID: {report['node_id']} | STATUS: {report.get('status', '')}"
        lines += [[header.upper()], ["=" * len(header)]]  # rpk's PrintColumn upper-cases
        rows = report_rows(report)
        lines += rows or [["INFO", "No cached results for node"], [""]]
    return format_rows(lines)


@with_globals
def self_test_status(
    fmt: Annotated[str, typer.Option("--format", help="Output format (text, json).")] = "text",
) -> None:
    """Returns the status of the current running tests or the cached results of the last completed run.

    One or more jobs still running: the IDs of the brokers still running self-tests. No jobs
    running: the cached results of the last completed test, grouped by broker: name, info,
    type, test id, timeouts, start and end time, average duration, IOPS, throughput (bytes
    per second for disk, bits per second for network) and latency percentiles in
    microseconds (P50, P90, P99, P999, MAX).
    """
    found = reports()
    if fmt == "json":  # rpk: MarshalIndent(reports, "", "\t"), printed without a newline
        print(go_json([_as_rpadmin(r) for r in found], indent="\t"), end="")
        return
    print(status_text(found))


@with_globals
def self_test_stop() -> None:
    """Stops the currently executing self-test.

    This command stops all currently running self-tests. The command is synchronous and
    returns success when all jobs have been stopped or reports errors if broker timeouts have
    expired.
    """
    try:
        from_profile().send_any("POST", "/v1/debug/self_test/stop")
    except CliError as exc:
        raise CliError(f"unable to stop self test: {exc}") from None
    print("All self-test jobs have been stopped")


def register(app: typer.Typer) -> None:
    group = new_group(
        "self-test",
        "Start, stop and query runs of Redpanda self-test through the Admin API listener.",
    )
    add_command(group, self_test_start, "start")
    add_command(group, self_test_status, "status")
    add_command(group, self_test_stop, "stop")
    add_group(app, group, "self-test")


__all__: list[Any] = ["register"]
