"""`python -m bench.security_load`: what security costs, all in one run on this machine.

- produce and consume MB/s (confluent-kafka, 1 KiB records, acks=all) over plaintext and over
  TLS (`kafka_api_tls`), and with SASL/SCRAM with the authorizer off and on (a user with ACLs,
  not a superuser, so every request is authorized), configurations alternated `--rounds` times;
- SASL handshakes per second (SCRAM-SHA-256: the client's salted password computed once, so the
  figure is the broker's; PLAIN: the broker pays PBKDF2) and TLS handshakes per second;
- the authorizer alone: microseconds per decision with 1,000 ACLs, cached and uncached.

Prints JSON and writes it to bench/results/security-<time>.json.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import hmac
import io
import ipaddress
import json
import os
import socket
import ssl
import statistics
import struct
import tempfile
import time
from pathlib import Path
from typing import Any

import confluent_kafka as ck
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)
from kio.schema.sasl_authenticate.v2.request import SaslAuthenticateRequest
from kio.schema.sasl_authenticate.v2.response import SaslAuthenticateResponse
from kio.schema.sasl_handshake.v1.request import SaslHandshakeRequest
from kio.serial import entity_reader, entity_writer

from core.testing.process import BrokerProcess

RECORD_BYTES = 1024
ADMIN = ("admin", "admin-secret")
USER = ("bench", "bench-secret")
MECH = "SCRAM-SHA-256"


# ---- certificates --------------------------------------------------------------------------------
def make_certs(directory: Path) -> dict[str, str]:
    """A CA and a server certificate for 127.0.0.1 (the `cryptography` package)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    now = datetime.datetime.now(datetime.UTC)

    def cert(subject, key, issuer, issuer_key, ca, san=None):
        b = (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if san:
            b = b.add_extension(x509.SubjectAlternativeName(san), critical=False)
        return b.sign(issuer_key, hashes.SHA256())

    directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = cert("bench-ca", ca_key, name("bench-ca"), ca_key, True)
    key = ec.generate_private_key(ec.SECP256R1())
    san = [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    server = cert("127.0.0.1", key, ca.subject, ca_key, False, san)
    files = {k: str(directory / k) for k in ("ca.pem", "server.pem", "server.key")}
    Path(files["ca.pem"]).write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    Path(files["server.pem"]).write_bytes(server.public_bytes(serialization.Encoding.PEM))
    Path(files["server.key"]).write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


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
        bindings = [
            AclBinding(ResourceType.TOPIC, "bench", lit, principal, "*", AclOperation.ALL, allow),
            AclBinding(ResourceType.GROUP, "bench", lit, principal, "*", AclOperation.ALL, allow),
        ]
        for f in admin.create_acls(bindings).values():
            f.result(10)


def produce_consume(cfg: dict, count: int, partitions: int) -> dict[str, float]:
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
                producer.produce("bench", value=value, on_delivery=done)
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
    consumer.assign([ck.TopicPartition("bench", p, ck.OFFSET_BEGINNING) for p in range(partitions)])
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


# ---- handshakes ----------------------------------------------------------------------------------
def _frame(body: Any, correlation: int) -> bytes:
    header_cls = body.__header_schema__
    buf = io.BytesIO()
    entity_writer(header_cls)(
        buf,
        header_cls(
            request_api_key=body.__api_key__,
            request_api_version=body.__version__,
            correlation_id=correlation,
            client_id="bench",
        ),
    )
    entity_writer(type(body))(buf, body)
    payload = buf.getvalue()
    return struct.pack(">i", len(payload)) + payload


def _read(sock: socket.socket) -> bytes:
    def exact(n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("closed")
            out += chunk
        return out

    (size,) = struct.unpack(">i", exact(4))
    return exact(size)


def _authenticate(sock: socket.socket, token: bytes, correlation: int) -> bytes:
    sock.sendall(_frame(SaslAuthenticateRequest(auth_bytes=token), correlation))
    frame = _read(sock)
    cls = SaslAuthenticateResponse
    _, used = entity_reader(cls.__header_schema__)(frame, 0)
    response, _ = entity_reader(cls)(frame, used)
    if response.error_code.value != 0:
        raise RuntimeError(response.error_message)
    return response.auth_bytes


class ScramClient:
    """SCRAM-SHA-256 with the salted password cached per salt (the broker's cost only)."""

    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password
        self._salted: dict[tuple[bytes, int], bytes] = {}

    def login(self, sock: socket.socket) -> None:
        sock.sendall(_frame(SaslHandshakeRequest(mechanism=MECH), 1))
        _read(sock)
        nonce = base64.b64encode(os.urandom(18)).decode()
        bare = f"n={self.user},r={nonce}"
        server_first = _authenticate(sock, f"n,,{bare}".encode(), 2).decode()
        attrs = dict(part.split("=", 1) for part in server_first.split(","))
        salt, iterations = base64.b64decode(attrs["s"]), int(attrs["i"])
        key = (salt, iterations)
        if key not in self._salted:
            self._salted[key] = hashlib.pbkdf2_hmac(
                "sha256", self.password.encode(), salt, iterations
            )
        salted = self._salted[key]
        client_key = hmac.new(salted, b"Client Key", "sha256").digest()
        stored = hashlib.sha256(client_key).digest()
        final = f"c=biws,r={attrs['r']}"
        message = f"{bare},{server_first},{final}".encode()
        signature = hmac.new(stored, message, "sha256").digest()
        proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature, strict=True)))
        _authenticate(sock, f"{final},p={proof.decode()}".encode(), 3)


def plain_login(sock: socket.socket) -> None:
    sock.sendall(_frame(SaslHandshakeRequest(mechanism="PLAIN"), 1))
    _read(sock)
    _authenticate(sock, b"\0" + USER[0].encode() + b"\0" + USER[1].encode(), 2)


def logins_per_s(port: int, login, seconds: float) -> float:
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            login(sock)
        done += 1
    return done / (time.perf_counter() - started)


def tls_handshakes_per_s(port: int, ca: str, seconds: float) -> float:
    context = ssl.create_default_context(cafile=ca)
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1"):
                pass
        done += 1
    return done / (time.perf_counter() - started)


# ---- the authorizer alone ------------------------------------------------------------------------
def authorizer_us_per_decision(acl_count: int = 1000, decisions: int = 20_000) -> dict[str, float]:
    from core.security.acls import AclBinding as Binding
    from core.security.acls import AclStore
    from core.security.authorizer import Authorizer

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
    names = [f"topic-{i}" for i in range(acl_count)]

    def run(clear: bool) -> float:
        started = time.perf_counter()
        for i in range(decisions):
            if clear:
                authorizer._cache.clear()
            authorizer.authorize(f"User:u{i % 50}", "127.0.0.1", "WRITE", "TOPIC", names[i % 200])
        return (time.perf_counter() - started) / decisions * 1e6

    return {"acls": acl_count, "cached_us": run(False), "uncached_us": run(True)}


# ---- main ----------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.security_load")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--handshake-seconds", type=float, default=5.0)
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    kinds = ("plaintext", "tls", "sasl", "sasl_authz")
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
                    if r == 0 and kind == "sasl_authz":
                        scram = ScramClient(*USER)
                        result["scram_sha256_logins_per_s"] = logins_per_s(
                            broker.kafka_port, scram.login, args.handshake_seconds
                        )
                        result["plain_logins_per_s"] = logins_per_s(
                            broker.kafka_port, plain_login, args.handshake_seconds
                        )
                finally:
                    broker.stop()
    for kind, samples in runs.items():
        result[kind] = {
            key: round(statistics.median(s[key] for s in samples), 1)
            for key in ("produce_mb_s", "consume_mb_s")
        } | {"rounds": [{k: round(v, 1) for k, v in s.items()} for s in samples]}
    for kind, base in (("tls", "plaintext"), ("sasl_authz", "sasl")):
        for key in ("produce_mb_s", "consume_mb_s"):
            result[f"{kind}_vs_{base}_{key.split('_')[0]}"] = round(
                result[kind][key] / result[base][key], 3
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
