"""Certificates are reloaded when their files change, without a restart: after the Kafka
listener's and the Admin API's certificate and key files are replaced (renamed into place, as
cert-manager and certbot do), new connections are served the new certificate, connections
already open keep working, and a key that does not match its certificate yet (a half-done
rotation) is skipped with one warning until the pair agrees."""

from __future__ import annotations

import shutil
import socket
import ssl
import time
from pathlib import Path

import pytest

from core.testing.certs import make_certs, tls_set_arg
from tests.support.broker import BrokerProcess


def _served_der(port: int) -> bytes:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw) as tls:
            der = tls.getpeercert(binary_form=True)
    assert der is not None
    return der


def _der(pem: Path) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem.read_text())


def _replace(src: Path, dst: Path) -> None:
    tmp = dst.with_suffix(".new")
    shutil.copyfile(src, tmp)
    tmp.replace(dst)


def _wait_served(port: int, der: bytes, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while _served_der(port) != der:
        assert time.monotonic() < deadline, "the new certificate was not served"
        time.sleep(0.2)


@pytest.fixture
def rotated(tmp_path):
    live = make_certs(tmp_path / "live")
    nxt = make_certs(tmp_path / "next")
    args = [*tls_set_arg(live), *tls_set_arg(live, key="admin_api_tls")]
    broker = BrokerProcess(tmp_path / "broker", *args).start()
    try:
        yield broker, live, nxt
    finally:
        broker.stop()


def test_new_connections_get_the_new_certificate(rotated):
    broker, live, nxt = rotated
    ports = (broker.kafka_port, broker.admin_port)
    for port in ports:
        assert _served_der(port) == _der(live.server_cert)
    context = ssl.create_default_context(cafile=str(live.ca))
    context.check_hostname = False
    held = context.wrap_socket(socket.create_connection(("127.0.0.1", broker.kafka_port)))
    # the key first: until the certificate follows, the pair does not match
    _replace(nxt.server_key, live.server_key)
    time.sleep(2.5)
    assert _served_der(broker.kafka_port) == _der(live.server_cert)
    _replace(nxt.server_cert, live.server_cert)
    for port in ports:
        _wait_served(port, _der(nxt.server_cert))
    held.sendall(b"\x00\x00\x00\x00")  # the old connection is still up (an empty frame closes it)
    held.close()
    log = broker.log_text()
    assert log.count("still serving the previous ones") == 2, log[-2000:]  # one per listener
    assert "TLS certificate reloaded" in log
