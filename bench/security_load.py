"""`python -m bench.security_load`: what security costs, all in one run on this machine.

- produce and consume MB/s (confluent-kafka, 1 KiB records, acks=all) over plaintext and over
  TLS (`kafka_api_tls`), a broker each, alternated `--rounds` times;
- the authorizer's cost: on ONE broker with SASL/SCRAM (a user with ACLs, not a superuser, so
  every request is authorized), `kafka_enable_authorization` switched off and on live between
  `--ab-reps` pairs of runs (order alternating, a fresh topic each run): MB/s and the broker's CPU
  milliseconds per MB, medians, ranges and the per-pair on/off ratios, so the figure is not one
  broker start's or one moment's noise; then one more run with py-spy sampling the broker: the
  share of its samples inside authorization (the cost measured where it is paid);
- SASL handshakes per second (SCRAM-SHA-256: the client's salted password computed once, so the
  figure is the broker's; PLAIN: the broker pays PBKDF2) and TLS handshakes per second;
- the authorizer alone: microseconds per decision with 1,000 ACLs: uncached, from the global
  cache, and from a connection's own decisions (the produce/fetch path).

Prints JSON and writes it to bench/results/security-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import confluent_kafka as ck
import psutil
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)

from bench._security_tools import (
    ScramClient,
    Spy,
    logins_per_s,
    make_certs,
    plain_login,
    tls_handshakes_per_s,
)
from core.testing.process import BrokerProcess

RECORD_BYTES = 1024
ADMIN = ("admin", "admin-secret")
USER = ("bench", "bench-secret")
MECH = "SCRAM-SHA-256"


# ---- brokers -------------------------------------------------------------------------------------
def broker_args(kind: str, certs: dict[str, str]) -> list[str]:
    if kind == "tls":
        entry = (
            f"{{enabled: true, cert_file: '{certs['server.pem']}', "
            f"key_file: '{certs['server.key']}'}}"
        )
        return ["--set", f"redpanda.kafka_api_tls={entry}"]
    if kind.startswith("sasl"):
        authz = "true" if kind == "sasl_authz" else "false"
        return [
            *["--set", "redpanda.enable_sasl=true"],
            *["--set", "redpanda.sasl_mechanisms=[SCRAM, PLAIN]"],
            *["--set", f"redpanda.superusers=[{ADMIN[0]}]"],
            *["--set", f"redpanda.kafka_enable_authorization={authz}"],
        ]
    return []


def client_config(kind: str, broker: BrokerProcess, certs: dict[str, str], who=USER) -> dict:
    cfg: dict[str, Any] = {"bootstrap.servers": broker.bootstrap}
    if kind == "tls":
        cfg.update({"security.protocol": "SSL", "ssl.ca.location": certs["ca.pem"]})
    elif kind.startswith("sasl"):
        cfg.update(
            {
                "security.protocol": "SASL_PLAINTEXT",
                "sasl.mechanism": MECH,
                "sasl.username": who[0],
                "sasl.password": who[1],
            }
        )
    return cfg


def create_user(broker: BrokerProcess, user: str, password: str) -> None:
    import urllib.request

    body = json.dumps({"username": user, "password": password, "algorithm": MECH}).encode()
    request = urllib.request.Request(
        f"{broker.admin_url}/v1/security/users",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).read()


def prepare(kind: str, broker: BrokerProcess, certs: dict[str, str], partitions: int) -> None:
    admin_cfg = client_config(kind, broker, certs, ADMIN)
    if kind.startswith("sasl"):
        create_user(broker, *ADMIN)
        create_user(broker, *USER)
    admin = AdminClient(admin_cfg)
    admin.create_topics([NewTopic("bench", partitions, 1)])["bench"].result(30)
    if kind.startswith("sasl"):
        allow = AclPermissionType.ALLOW
        lit = ResourcePatternType.LITERAL
        principal = f"User:{USER[0]}"
        pre = ResourcePatternType.PREFIXED  # the A/B runs' topics: bench-<rep>-<mode>
        bindings = [
            AclBinding(ResourceType.TOPIC, "bench", pre, principal, "*", AclOperation.ALL, allow),
            AclBinding(ResourceType.GROUP, "bench", lit, principal, "*", AclOperation.ALL, allow),
        ]
        for f in admin.create_acls(bindings).values():
            f.result(10)


def produce_consume(
    cfg: dict, count: int, partitions: int, topic: str = "bench"
) -> dict[str, float]:
    producer = ck.Producer(
        {
            **cfg,
            "acks": "all",
            "linger.ms": 5,
            "batch.size": 1_000_000,
            "queue.buffering.max.kbytes": 262_144,
            "enable.idempotence": True,
        }
    )
    value = b"x" * RECORD_BYTES
    acked = [0]

    def done(err, _msg):
        if err is None:
            acked[0] += 1

    started = time.perf_counter()
    for _ in range(count):
        while True:
            try:
                producer.produce(topic, value=value, on_delivery=done)
                break
            except BufferError:
                producer.poll(0.01)
    producer.flush(300)
    produce_s = time.perf_counter() - started
    consumer = ck.Consumer(
        {
            **cfg,
            "group.id": "bench",
            "enable.auto.commit": False,
            "fetch.max.bytes": 52_428_800,
            "max.partition.fetch.bytes": 10_485_760,
        }
    )
    consumer.assign([ck.TopicPartition(topic, p, ck.OFFSET_BEGINNING) for p in range(partitions)])
    got, size = 0, 0
    started = time.perf_counter()
    while got < acked[0] and time.perf_counter() - started < 300:
        for m in consumer.consume(10_000, 0.5):
            if m.error() is None:
                got += 1
                size += len(m.value())
    consume_s = time.perf_counter() - started
    consumer.close()
    return {
        "produce_mb_s": acked[0] * RECORD_BYTES / 1e6 / produce_s,
        "consume_mb_s": size / 1e6 / consume_s,
    }


# ---- the authorizer alone ------------------------------------------------------------------------
def authorizer_us_per_decision(acl_count: int = 1000, decisions: int = 20_000) -> dict[str, float]:
    from core.security.acls import AclBinding as Binding
    from core.security.acls import AclStore
    from core.security.authorizer import Authorizer, Decisions

    class Controller:
        def __init__(self) -> None:
            self.applied: dict[str, Any] = {}

        def register(self, command_type, apply_fn):
            self.applied[command_type] = apply_fn

    controller = Controller()
    store = AclStore(controller)  # type: ignore[arg-type]
    rows = [
        Binding.checked(2, f"topic-{i}", 3, f"User:u{i % 50}", "*", 4, 3).to_json()
        for i in range(acl_count)
    ]
    controller.applied["acls_create"]({"acls": rows})
    config = {"kafka_enable_authorization": True, "enable_sasl": True, "superusers": []}
    authorizer = Authorizer(store, config.get)
    followed = Authorizer(store, config.get, lambda _callback: None)  # settings read once
    names = [f"topic-{i}" for i in range(acl_count)]

    def run(clear: bool) -> float:
        started = time.perf_counter()
        for i in range(decisions):
            if clear:
                authorizer._cache.clear()
            authorizer.authorize(f"User:u{i % 50}", "127.0.0.1", "WRITE", "TOPIC", names[i % 200])
        return (time.perf_counter() - started) / decisions * 1e6

    def per_connection() -> float:
        """One connection's requests (its principal and host fixed): Decisions first."""
        who = Requester("User:u7", "127.0.0.1")
        connection = Decisions()
        started = time.perf_counter()
        for i in range(decisions):
            followed.authorize_for(connection, who, "WRITE", "TOPIC", names[i % 4 * 50 + 7])
        return (time.perf_counter() - started) / decisions * 1e6

    return {
        "acls": acl_count,
        "cached_us": run(False),
        "uncached_us": run(True),
        "per_connection_us": per_connection(),
    }


@dataclass(frozen=True)
class Requester:
    principal: str
    host: str


# ---- the authorizer's cost: A/B on one broker ---------------------------------------------------
def set_authorization(broker: BrokerProcess, on: bool) -> None:
    import urllib.request

    body = {"upsert": {"kafka_enable_authorization": on}, "remove": []}
    request = urllib.request.Request(
        f"{broker.admin_url}/v1/cluster_config",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="PUT",
    )
    urllib.request.urlopen(request, timeout=10).read()
    time.sleep(0.5)  # applied through the controller log


def authz_ab(broker: BrokerProcess, certs: dict, args: argparse.Namespace) -> dict[str, Any]:
    """`args.ab_reps` pairs of runs, authorization off and on, alternating which goes first:
    MB/s and the broker's CPU milliseconds per MB moved (less at the mercy of other load). Then
    one more run with authorization on and py-spy sampling the broker (apart: sampling costs
    CPU): the share of its samples in authorization."""
    admin = AdminClient(client_config("sasl", broker, certs, ADMIN))
    proc = psutil.Process(broker.proc.pid)
    samples: dict[str, list[dict[str, float]]] = {"off": [], "on": []}

    def run(topic: str, on: bool) -> dict[str, float]:
        admin.create_topics([NewTopic(topic, args.partitions, 1)])[topic].result(30)
        set_authorization(broker, on)
        cpu = proc.cpu_times()
        result = produce_consume(cfg, args.ab_records, args.partitions, topic)
        after = proc.cpu_times()
        moved_mb = 2 * args.ab_records * RECORD_BYTES / 1e6  # produced, then consumed
        cpu_s = after.user + after.system - cpu.user - cpu.system
        return result | {"broker_cpu_ms_per_mb": cpu_s * 1000 / moved_mb}

    cfg = client_config("sasl", broker, certs)
    for rep in range(args.ab_reps):
        for mode in ("off", "on") if rep % 2 == 0 else ("on", "off"):
            samples[mode].append(run(f"bench-{rep}-{mode}", mode == "on"))
    out: dict[str, Any] = {"records_per_run": args.ab_records, "pairs": args.ab_reps}
    for key in ("produce_mb_s", "consume_mb_s", "broker_cpu_ms_per_mb"):
        out[key] = {mode: spread([x[key] for x in samples[mode]]) for mode in samples}
        ratios = [on[key] / off[key] for on, off in zip(samples["on"], samples["off"], strict=True)]
        out[key]["on_vs_off_per_pair"] = spread(ratios, 3)
    spy = Spy(broker.proc.pid)
    run("bench-spied", True)
    total, hits = spy.stop()
    out["py_spy_broker_samples"] = total
    out["py_spy_authorization_share_pct"] = round(100 * hits / total, 2) if total else None
    return out


def spread(values: list[float], digits: int = 1) -> dict[str, Any]:
    """Median, range and the values themselves."""
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "runs": [round(v, digits) for v in values],
    }


# ---- main ----------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.security_load")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2, help="plaintext/TLS rounds")
    parser.add_argument("--ab-reps", type=int, default=6, help="authorization off/on pairs")
    parser.add_argument("--ab-records", type=int, default=50_000)
    parser.add_argument("--handshake-seconds", type=float, default=5.0)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    kinds = ("plaintext", "tls")
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ailurus-bench-sec-", dir=".") as tmp:
        certs = make_certs(Path(tmp) / "certs")
        for r in range(args.rounds):
            for kind in kinds:
                broker = BrokerProcess(Path(tmp) / f"{kind}-{r}", *broker_args(kind, certs))
                broker.start()
                try:
                    prepare(kind, broker, certs, args.partitions)
                    cfg = client_config(kind, broker, certs)
                    runs[kind].append(produce_consume(cfg, args.records, args.partitions))
                    if r == 0 and kind == "tls":
                        result["tls_handshakes_per_s"] = tls_handshakes_per_s(
                            broker.kafka_port, certs["ca.pem"], args.handshake_seconds
                        )
                finally:
                    broker.stop()
        broker = BrokerProcess(Path(tmp) / "sasl", *broker_args("sasl_authz", certs)).start()
        try:
            prepare("sasl_authz", broker, certs, args.partitions)
            result["authorization_off_vs_on"] = authz_ab(broker, certs, args)
            scram = ScramClient(*USER)
            result["scram_sha256_logins_per_s"] = logins_per_s(
                broker.kafka_port, scram.login, args.handshake_seconds
            )
            result["plain_logins_per_s"] = logins_per_s(
                broker.kafka_port, plain_login(*USER), args.handshake_seconds
            )
        finally:
            broker.stop()
    for kind, samples in runs.items():
        result[kind] = {key: spread([x[key] for x in samples]) for key in samples[0]}
    for key in ("produce_mb_s", "consume_mb_s"):
        result[f"tls_vs_plaintext_{key.split('_')[0]}"] = round(
            result["tls"][key]["median"] / result["plaintext"][key]["median"], 3
        )
    result["authorizer"] = {k: round(v, 2) for k, v in authorizer_us_per_decision().items()}
    for key in ("tls_handshakes_per_s", "scram_sha256_logins_per_s", "plain_logins_per_s"):
        result[key] = round(result[key], 1)
    text = json.dumps(result, indent=2)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"security-{time.strftime('%Y%m%dT%H%M%S')}.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
