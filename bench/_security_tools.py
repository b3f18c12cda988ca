"""Tools of bench.security_load: throw-away certificates; SASL logins and TLS handshakes per
second, one client at a time (SCRAM-SHA-256 with the client's salted password computed once, so
the figure is the broker's); py-spy sampling of the broker."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kio.schema.sasl_authenticate.v2.request import SaslAuthenticateRequest
from kio.schema.sasl_authenticate.v2.response import SaslAuthenticateResponse
from kio.schema.sasl_handshake.v1.request import SaslHandshakeRequest
from kio.serial import entity_reader

from cli.clients.sasl_probe import request_frame

MECH = "SCRAM-SHA-256"


# ---- handshakes ----------------------------------------------------------------------------------
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
    sock.sendall(request_frame(SaslAuthenticateRequest(auth_bytes=token), correlation))
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
        sock.sendall(request_frame(SaslHandshakeRequest(mechanism=MECH), 1))
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


def plain_login(user: str, password: str):
    def login(sock: socket.socket) -> None:
        sock.sendall(request_frame(SaslHandshakeRequest(mechanism="PLAIN"), 1))
        _read(sock)
        _authenticate(sock, f"\0{user}\0{password}".encode(), 2)

    return login


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


# ---- certificates --------------------------------------------------------------------------------
def make_certs(directory: Path) -> dict[str, str]:
    """A CA and a server certificate for 127.0.0.1 (core.testing.certs), by file name."""
    from core.testing.certs import make_certs as make

    files = make(directory)
    return {
        "ca.pem": str(files.ca),
        "server.pem": str(files.server_cert),
        "server.key": str(files.server_key),
    }


# ---- py-spy ----------------------------------------------------------------------------------------
class Spy:
    """py-spy sampling a process (no-op without py-spy or the permission to trace)."""

    FRAMES = ("core/security/authorizer.py", "RequestContext.authorized")

    def __init__(self, pid: int) -> None:
        exe = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        self._out = Path(tempfile.mkstemp(suffix=".txt")[1])
        cmd = [exe, "record", "--format", "raw", "-o", str(self._out), "--pid", str(pid)]
        try:
            self._proc: subprocess.Popen | None = subprocess.Popen(
                [*cmd, "--rate", "500", "--nonblocking"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1.0)  # attached
        except OSError:
            self._proc = None

    def stop(self) -> tuple[int, int]:
        """(samples, samples with an authorization frame)."""
        if self._proc is None:
            return 0, 0
        self._proc.send_signal(signal.SIGINT)
        self._proc.wait(60)
        total = hits = 0
        for line in self._out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if count.isdigit():
                total += int(count)
                hits += int(count) if any(f in stack for f in self.FRAMES) else 0
        self._out.unlink()
        return total, hits
