"""The client-final nonce: the server's (client nonce + server nonce) as RFC 5802 requires, or
librdkafka < 2.6.1's form (its own nonce once more in front, librdkafka #4895), which kcat as
packaged by Debian sends; any other nonce fails the exchange."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from core.security.scram import derive_credential
from core.security.scram_server import ScramError, ScramExchange

MECH, ALGO = "SCRAM-SHA-256", "sha256"
CRED = derive_credential(MECH, "secret")


def _final(nonce_of) -> bytes:
    ex = ScramExchange(MECH, {"alice": CRED}.get)
    bare = "n=alice,r=client-nonce"
    server_first = ex.step(f"n,,{bare}".encode()).decode()
    attrs = dict(p.split("=", 1) for p in server_first.split(","))
    assert attrs["r"].startswith("client-nonce") and attrs["r"][12:].isalnum()
    salted = hashlib.pbkdf2_hmac(ALGO, b"secret", base64.b64decode(attrs["s"]), 4096)
    client_key = hmac.new(salted, b"Client Key", ALGO).digest()
    without_proof = f"c=biws,r={nonce_of(attrs['r'])}"
    auth = f"{bare},{server_first},{without_proof}".encode()
    sig = hmac.new(hashlib.sha256(client_key).digest(), auth, ALGO).digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, sig, strict=True))).decode()
    return ex.step(f"{without_proof},p={proof}".encode())


def test_the_servers_nonce_and_librdkafkas_doubled_form_pass():
    assert _final(lambda r: r).startswith(b"v=")
    assert _final(lambda r: "client-nonce" + r).startswith(b"v=")


@pytest.mark.parametrize(
    "nonce_of",
    [lambda r: "client-nonce", lambda r: r + "x", lambda r: "x" + r, lambda r: "foo"],
    ids=["client-only", "suffix", "other-prefix", "other"],
)
def test_any_other_nonce_fails(nonce_of):
    with pytest.raises(ScramError, match="nonce"):
        _final(nonce_of)
