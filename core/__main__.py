"""`ailurus`: the broker process. `python -m core` works too."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

from core.config.node import (
    NodeConfigError,
    apply_set,
    from_document,
    load_file,
    parse_address,
    user_data_dir,
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ailurus",
        description="Ailurus broker: Kafka API, Admin API and storage in one process. "
        "Reads Redpanda's redpanda.yaml; flags override the file.",
    )
    p.add_argument("--config", type=Path, help="path to redpanda.yaml")
    p.add_argument("--data-dir", help="data directory (redpanda.data_directory)")
    p.add_argument("--node-id", type=int, help="node id (redpanda.node_id)")
    p.add_argument(
        "--kafka-addr",
        help="Kafka API listeners, [name://]host:port[|authn][,...] (default 127.0.0.1:9092; port 0 = any)",
    )
    p.add_argument(
        "--advertise-kafka-addr",
        help="addresses given to clients in Metadata, [name://]host:port[,...] by listener name",
    )
    p.add_argument("--admin-addr", help="Admin API listener host:port (default 127.0.0.1:9644)")
    p.add_argument("--rpc-addr", help="broker RPC host:port (default 127.0.0.1:33145)")
    p.add_argument("--advertise-rpc-addr", help="RPC address given to other brokers")
    p.add_argument(
        "--pandaproxy-addr",
        help="HTTP proxy listeners, [name://]host:port[|authn][,...] (default 0.0.0.0:8082)",
    )
    p.add_argument(
        "--schema-registry-addr",
        help="Schema Registry listeners, [name://]host:port[|authn][,...] (default 0.0.0.0:8081)",
    )
    p.add_argument(
        "--dev", action="store_true", help="developer mode (redpanda.developer_mode: true)"
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a redpanda.yaml key (e.g. redpanda.node_id=1) or a cluster property override",
    )
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    seastar = p.add_argument_group(
        "Seastar flags",
        "accepted for compatibility with `rpk redpanda start`, which forwards them; "
        "they have no effect here (one process, one event loop; fsync is never bypassed)",
    )
    for flag in SEASTAR_VALUE_FLAGS:
        seastar.add_argument(flag, metavar="VALUE", help=argparse.SUPPRESS)
    for flag in SEASTAR_SWITCHES:
        seastar.add_argument(flag, nargs="?", const="true", metavar="BOOL", help=argparse.SUPPRESS)
    return p


SEASTAR_VALUE_FLAGS = (
    "--smp",
    "--memory",
    "--reserve-memory",
    "--default-log-level",
    "--logger-log-level",
    "--io-properties-file",
    "--cpuset",
    "--blocked-reactor-notify-ms",
)
SEASTAR_SWITCHES = (
    "--overprovisioned",
    "--lock-memory",
    "--unsafe-bypass-fsync",
    "--mbind",
    "--thread-affinity",
)


def _note_ignored(args: argparse.Namespace) -> None:
    for flag in (*SEASTAR_VALUE_FLAGS, *SEASTAR_SWITCHES):
        value = getattr(args, flag.lstrip("-").replace("-", "_"))
        if value is not None:
            logging.getLogger("ailurus").info("ignoring Seastar flag %s=%s", flag, value)


def _with_address(entry, host: str, port: int) -> dict:
    """A listener entry with the flag's address; the file's other keys for it (name,
    authentication_method) are kept, from the first entry of a list."""
    first = entry[0] if isinstance(entry, list) and entry else entry
    kept = dict(first) if isinstance(first, dict) else {}
    kept.update(address=host, port=port)
    return kept


def _listener_entries(
    entry, value: str, flag: str, default_port: int = 9092, authn: bool = True
) -> list[dict]:
    """`rpk redpanda start`'s `--kafka-addr` (and `--pandaproxy-addr`, `--schema-registry-addr`)
    form: `[name://]host:port[|authn]` entries separated by commas. Each keeps the file's other
    keys (authentication_method; TLS pairs by name) of the entry with its name, or of the first
    entry when the flag names none; `|authn` sets the entry's authentication_method as rpk does
    (not on advertised addresses: `authn` False)."""
    by_name = {
        e.get("name"): e
        for e in (entry if isinstance(entry, list) else [entry])
        if isinstance(e, dict)
    }
    entries: list[dict] = []
    for part in (p.strip() for p in value.split(",")):
        if not part:
            continue
        part, *method = part.split("|")
        if len(method) > (1 if authn else 0):
            raise NodeConfigError(f'{flag}: at most {int(authn)} "|" in a listener: {value!r}')
        name = part.split("://", 1)[0] if "://" in part else None
        a = parse_address(part, default_port, flag)
        kept = by_name.get(name) if name is not None else None
        new = _with_address(kept if kept is not None else entry, a.host, a.port)
        if method:
            new["authentication_method"] = method[0]
        if name is not None:
            new["name"] = name
        elif entries:
            new.pop("name", None)  # only the first unnamed entry keeps the file's name
        entries.append(new)
    if not entries:
        raise NodeConfigError(f"{flag}: no address in {value!r}")
    return entries


def load_config(args: argparse.Namespace):
    doc = load_file(args.config)
    for assignment in args.set:
        apply_set(doc, assignment)
    rp = doc.setdefault("redpanda", {})
    if args.data_dir:
        rp["data_directory"] = args.data_dir
    if args.config is None and not rp.get("data_directory"):
        _developer_defaults(rp)
    if args.node_id is not None:
        rp["node_id"] = args.node_id
    if args.dev:
        rp["developer_mode"] = True
    for flag, key in (
        ("kafka_addr", "kafka_api"),
        ("advertise_kafka_addr", "advertised_kafka_api"),
    ):
        value = getattr(args, flag)
        if value:
            rp[key] = _listener_entries(rp.get(key), value, flag, authn=key == "kafka_api")
    for flag, key, port in (
        ("admin_addr", "admin", 9644),
        ("rpc_addr", "rpc_server", 33145),
        ("advertise_rpc_addr", "advertised_rpc_api", 33145),
    ):
        value = getattr(args, flag)
        if value:
            a = parse_address(value, port, flag)
            rp[key] = _with_address(rp.get(key), a.host, a.port)
    for flag, section, key, port in (
        ("pandaproxy_addr", "pandaproxy", "pandaproxy_api", 8082),
        ("schema_registry_addr", "schema_registry", "schema_registry_api", 8081),
    ):
        value = getattr(args, flag)
        if value:
            part = doc.get(section)
            if not isinstance(part, dict):
                part = doc[section] = {}
            part[key] = _listener_entries(part.get(key), value, flag, port)
    return from_document(doc)


def _developer_defaults(rp: dict) -> None:
    """No redpanda.yaml and no data directory: a single-node developer broker (Kafka on
    127.0.0.1:9092, topics created on first use) keeping its data under the user's data home."""
    rp["data_directory"] = str(user_data_dir())
    rp.setdefault("developer_mode", True)
    logging.getLogger("ailurus").info(
        "no --config and no --data-dir: developer broker with its data in %s",
        rp["data_directory"],
    )


def _skip_unused_imports() -> None:
    """kio registers hypothesis strategies for its types when hypothesis is importable, which
    costs a quarter of a second at start; the broker never uses them. prometheus_client loads
    python-snappy (and with it cramjam's 3 MB of codecs) for pushing to a gateway, which the
    broker never does (core.model imports cramjam itself for the Kafka codecs)."""
    for unused in ("hypothesis", "snappy"):
        sys.modules.setdefault(unused, None)  # type: ignore[arg-type]


async def serve(node) -> int:
    from core.app import BrokerApp
    from core.app.listeners import ready_fields

    app = BrokerApp(node)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await app.start()
    except BaseException:
        await _stop_after_failed_start(app)
        raise
    host = node.kafka_api.host
    print(
        f"Ailurus ready: node_id={app.node_id} kafka={host}:{app.kafka_port} "
        f"admin={node.admin.host}:{app.admin_port} "
        + ready_fields(app.extra_listeners, node)
        + f"data_dir={app.data_dir}",
        flush=True,
    )
    await stop.wait()
    logging.getLogger("ailurus").info("shutting down")
    await app.stop()
    logging.getLogger("ailurus").info("stopped cleanly")
    return 0


async def _stop_after_failed_start(app) -> None:
    """Release what a partial start acquired (tasks, threads, sockets, files) before the loop
    closes, so a failed start ends with its one error line and no asyncio noise."""
    with contextlib.suppress(Exception):
        await app.stop()


LISTENERS = ("kafka", "admin", "rpc")


def startup_error(exc: BaseException) -> str:
    """The one line a failed start prints: which listener, where, and why."""
    if isinstance(exc, OSError) and exc.filename in LISTENERS:
        reason = os.strerror(exc.errno).lower() if exc.errno else str(exc.strerror)
        return f"ailurus: cannot start the {exc.filename} listener on {exc.filename2}: {reason}"
    return f"ailurus: {exc}"


def main(argv: list[str] | None = None) -> int:
    _skip_unused_imports()
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    _note_ignored(args)
    try:
        node = load_config(args)
        return asyncio.run(serve(node))
    except Exception as exc:
        from core.storage.errors import StorageError  # e.g. an unreadable state file

        if not isinstance(exc, (NodeConfigError, ValueError, OSError, RuntimeError, StorageError)):
            raise
        print(startup_error(exc), file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
