"""`rpk debug remote-bundle start | status | download | cancel`: the brokers of the profile
(its Admin API addresses) each make a debug bundle (POST /v1/debug/bundle, which runs
`rpk debug bundle` on the broker); rpk's tables, prompts, messages and exit codes. `download`
packs each broker's zip into one: <root>/<broker>/<job id>.zip."""

from __future__ import annotations

import time
import uuid
import zipfile
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from cli import options
from cli._app import add_command, add_group, new_group
from cli.clients.admin import AdminClient
from cli.clients.admin._http import AdminApiError
from cli.commands.debug._steps import host_name
from cli.commands.debug._zip import from_human_size
from cli.config.values import parse_duration
from cli.errors import CliError, PartialFailure
from cli.options import with_globals
from cli.output import check_format, print_structured, print_table

BASE = "/v1/debug/bundle"
SELECT_HINT = "if you want to select a single broker, use -X admin.hosts=<brokers,to,{}>"


def _brokers() -> list[tuple[str, AdminClient]]:
    p = options.params()
    auth = (p.sasl.user, p.sasl.password) if p.sasl and p.sasl.user else None
    timeout_s = p.seconds("dial_timeout") + p.seconds("request_timeout_overhead")
    return [
        (host, AdminClient([url], auth=auth, timeout_s=timeout_s))
        for host, url in sorted(zip(p.admin_hosts, p.admin_urls, strict=True))
    ]


def _message(exc: CliError) -> str:
    return exc.message if isinstance(exc, AdminApiError) else str(exc)


def _confirm(brokers: list[tuple[str, Any]], question: str, what: str) -> bool:
    print_table(["broker"], [[host] for host, _ in brokers])
    if typer.confirm(question, default=False):
        return True
    print(f"operation canceled; {SELECT_HINT.format(what)}")
    return False


@with_globals
def remote_start(
    job_id: Annotated[
        str,
        typer.Option(
            "--job-id", help="Custom UUID to assign to the job that generates the debug bundle."
        ),
    ] = "",
    no_confirm: Annotated[
        bool, typer.Option("--no-confirm", help="Disable confirmation prompt.")
    ] = False,
    controller_logs_size_limit: Annotated[
        str,
        typer.Option(
            "--controller-logs-size-limit",
            help="The size limit of the controller logs that can be stored in the bundle.",
        ),
    ] = "132MB",
    cpu_profiler_wait: Annotated[
        str,
        typer.Option(
            "--cpu-profiler-wait", help="How long to collect samples for the CPU profiler."
        ),
    ] = "30s",
    logs_size_limit: Annotated[
        str,
        typer.Option("--logs-size-limit", help="Read the logs until the given size is reached."),
    ] = "100MiB",
    logs_since: Annotated[
        str, typer.Option("--logs-since", help="Include logs dated from specified date onward.")
    ] = "yesterday",
    logs_until: Annotated[
        str, typer.Option("--logs-until", help="Include logs older than the specified date.")
    ] = "",
    metrics_interval: Annotated[
        str, typer.Option("--metrics-interval", help="Interval between metrics snapshots.")
    ] = "10s",
    metrics_samples: Annotated[
        int,
        typer.Option("--metrics-samples", help="Number of metrics samples to take. Must be >= 2."),
    ] = 2,
    partition: Annotated[
        Optional[list[str]],
        typer.Option("-p", "--partition", help="Partitions to save extra Admin API requests for."),
    ] = None,
    namespace: Annotated[
        str,
        typer.Option(
            "-n",
            "--namespace",
            help="The namespace to use to collect the resources from (K8s only).",
        ),
    ] = "redpanda",
) -> None:
    """Start a remote debug bundle collection in your cluster.

    This command starts the debug collection process in a remote cluster that you configured
    in flags, environment variables, or your rpk profile. After starting it, query the status
    with 'rpk debug remote-bundle status'; when it completes, download it with 'rpk debug
    remote-bundle download'. Use the flag '--no-confirm' to avoid the confirmation prompt.
    """
    config = _config(
        controller_logs_size_limit, logs_size_limit, cpu_profiler_wait, metrics_interval
    )
    config.update(logs_since=logs_since, logs_until=logs_until, metrics_samples=metrics_samples)
    config.update(namespace=namespace, partition=list(partition or []))
    config = {k: v for k, v in config.items() if v not in ("", None, [])}
    brokers = _brokers()
    if not no_confirm and not _confirm(
        brokers, "Confirm debug bundle collection from these brokers?", "collect"
    ):
        return
    job = job_id or str(uuid.uuid4())
    rows, failed, running, ok = [], False, False, False
    for host, client in brokers:
        try:
            client.send_any("POST", BASE, json={"job_id": job, "config": config})
            rows.append([host, job, ""])
            ok = True
        except CliError as exc:
            failed = True
            running = running or (isinstance(exc, AdminApiError) and exc.status == 409)
            rows.append([host, "", f"unable to start debug bundle: {_message(exc)}"])
    print_table(
        ["broker", "job-ID", *(["error"] if failed else [])], [r if failed else r[:2] for r in rows]
    )
    if running:
        print(
            "\nA debug bundle collection is already in process. To cancel it, run:\n  rpk debug remote-bundle cancel"
        )
    if ok:
        print(
            f"\nThe debug bundle collection process has started with Job-ID {job}. To check the \nstatus, run:\n  rpk debug remote-bundle status"
        )
    if failed:
        raise PartialFailure()


def _config(controller: str, logs: str, cpu_wait: str, interval: str) -> dict[str, Any]:
    try:
        controller_bytes = from_human_size(controller)
    except ValueError as exc:
        raise CliError(f"unable to parse --controller-logs-size-limit: {exc}") from None
    try:
        logs_bytes = from_human_size(logs)
    except ValueError as exc:
        raise CliError(f"unable to parse --logs-size-limit: {exc}") from None
    return {
        "controller_logs_size_limit_bytes": controller_bytes,
        "logs_size_limit_bytes": logs_bytes,
        "cpu_profiler_wait_seconds": int(parse_duration(cpu_wait)),
        "metrics_interval_seconds": int(parse_duration(interval)),
    }


def statuses() -> list[dict[str, Any]]:
    out = []
    for host, client in _brokers():
        row: dict[str, Any] = {"broker": host, "client": client}
        try:
            found = client.get_json(BASE)
            row.update(
                status=found.get("status", ""),
                job_id=found.get("job_id", ""),
                filename=found.get("filename", ""),
            )
        except CliError as exc:
            row["error"] = f"unable to get bundle status: {_message(exc)}"
        out.append(row)
    return out


@with_globals
def remote_status(
    fmt: Annotated[str, typer.Option("--format", help=options.FORMAT_HELP)] = "text",
) -> None:
    """Get the status of the current debug bundle process."""
    kind = check_format("text" if fmt in ("wide", "long") else fmt)
    rows = statuses()
    failed = any("error" in r for r in rows)
    if kind != "text":
        doc = [{k: r[k] for k in ("broker", "status", "job_id", "error") if r.get(k)} for r in rows]
        print_structured(doc, kind)
        return
    headers = ["broker", "status", "job-ID", *(["error"] if failed else [])]
    print_table(
        headers,
        [
            [
                r["broker"],
                r.get("status", ""),
                r.get("job_id", ""),
                *([r.get("error", "")] if failed else []),
            ]
            for r in rows
        ],
    )
    if any("error" not in r for r in rows):
        print(
            "\nAfter the process is completed, you may retrieve the debug bundle using:\n  rpk debug remote-bundle download"
        )
    if failed:
        raise PartialFailure()


def _download_path(output: str) -> Path:
    path = Path(output or f"{int(time.time())}-remote-bundle.zip")
    if output and path.is_dir():
        raise CliError(
            "unable to determine download path: output file path is a directory, please specify the name of the file"
        )
    if path.suffix == "":
        path = path.with_name(path.name + ".zip")
    elif path.suffix != ".zip":
        raise CliError(
            f'unable to determine download path: extension "{path.suffix}" not supported'
        )
    return path


@with_globals
def remote_download(
    output: Annotated[
        str,
        typer.Option(
            "-o",
            "--output",
            help="The file path where the debug file will be written (default ./<timestamp>-remote-bundle.zip).",
        ),
    ] = "",
    job_id: Annotated[
        str, typer.Option("--job-id", help="ID of the job to download the debug bundle from.")
    ] = "",
    no_confirm: Annotated[
        bool, typer.Option("--no-confirm", help="Disable confirmation prompt.")
    ] = False,
) -> None:
    """Download a remote debug bundle."""
    rows = statuses()
    ready = [
        r
        for r in rows
        if r.get("status", "").lower() == "success" and (not job_id or r.get("job_id") == job_id)
    ]
    if not ready:
        raise CliError(
            "There are no bundles ready for download; to check status run 'rpk debug remote-bundle status'"
        )
    if len(ready) < len(rows):
        print(
            f"WARNING: There are ({len(rows) - len(ready)}) bundles not ready to download; to check the status run 'rpk debug remote-bundle status'"
        )
    if not no_confirm and not _confirm(
        [(r["broker"], None) for r in ready],
        "Confirm debug bundle download from these brokers?",
        "cancel",
    ):
        return
    path = _download_path(output)
    root = path.name.removesuffix(".zip")
    results, failed = [], False
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for r in ready:
            try:
                data = r["client"].send_any("GET", f"{BASE}/file/{r['filename']}").content
            except CliError as exc:
                failed = True
                results.append(
                    [r["broker"], "false", f"unable to download debug bundle: {_message(exc)}"]
                )
                continue
            z.writestr(f"{root}/{host_name(r['broker'])}/{r['job_id']}.zip", data)

            results.append([r["broker"], "true", ""])
    print_table(
        ["broker", "downloaded", *(["error"] if failed else [])],
        [x if failed else x[:2] for x in results],
    )
    if failed:
        print(
            f"\nDownloaded remote debug bundle to {path}, but there were errors while downloading the broker files."
        )
        raise PartialFailure()
    print(f"\nSuccessfully downloaded remote debug bundle to {path}")


@with_globals
def remote_cancel(
    job_id: Annotated[
        str, typer.Option("--job-id", help="ID of the job to cancel the debug bundle.")
    ] = "",
    no_confirm: Annotated[
        bool, typer.Option("--no-confirm", help="Disable confirmation prompt.")
    ] = False,
) -> None:
    """Cancel a remote bundle execution."""
    brokers = _brokers()
    if not no_confirm and not _confirm(
        brokers, "Confirm debug bundle cancel from these brokers?", "cancel"
    ):
        return
    results, failed = [], False
    for host, client in brokers:
        try:
            job = job_id or client.get_json(BASE).get("job_id", "")
            client.send_any("DELETE", f"{BASE}/{job}")
            results.append([host, "true", ""])
        except CliError as exc:
            failed = True
            results.append([host, "false", f"unable to cancel debug bundle: {_message(exc)}"])
    print_table(
        ["broker", "canceled", *(["error"] if failed else [])],
        [x if failed else x[:2] for x in results],
    )
    if failed:
        raise PartialFailure()


def register(app: typer.Typer) -> None:
    group = new_group("remote-bundle", "Create a debug bundle from a remote cluster.")
    add_command(group, remote_start, "start")
    add_command(group, remote_status, "status")
    add_command(group, remote_download, "download")
    add_command(group, remote_cancel, "cancel")
    add_group(app, group, "remote-bundle")
