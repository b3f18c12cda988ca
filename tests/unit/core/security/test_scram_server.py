"""The SCRAM server exchange against a client computed from RFC 5802's formulas; unknown users
and wrong passwords fail at the proof, malformed messages fail cleanly."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from core.security.scram import derive_credential
from core.security.scram_server import ScramError, ScramExchange

PASSWORDS = {"alice": "secret", "a,b=c": "pw"}


def _lookup(mechanism):
    creds = {u: derive_credential(mechanism, p) for u, p in PASSWORDS.items()}
    return creds.get


def _run(mechanism, wire_user, password, nonce="abc"):
    algo = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}[mechanism]
    ex = ScramExchange(mechanism, _lookup(mechanism))
    bare = f"n={wire_user},r={nonce}"
    server_first = ex.step(f"n,,{bare}".encode()).decode()
    attrs = dict(p.split("=", 1) for p in server_first.split(","))
    assert attrs["r"].startswith(nonce)
    salted = hashlib.pbkdf2_hmac(algo, password.encode(), base64.b64decode(attrs["s"]), 4096)
    client_key = hmac.new(salted, b"Client Key", algo).digest()
    without_proof = f"c=biws,r={attrs['r']}"
    auth = f"{bare},{server_first},{without_proof}".encode()
    sig = hmac.new(hashlib.new(algo, client_key).digest(), auth, algo).digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, sig, strict=True))).decode()
    final = ex.step(f"{without_proof},p={proof}".encode())
    server_key = hmac.new(salted, b"Server Key", algo).digest()
    assert final == b"v=" + base64.b64encode(hmac.new(server_key, auth, algo).digest())
    return ex


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_a_valid_exchange_authenticates(mechanism):
    ex = _run(mechanism, "alice", "secret")
    assert ex.done and ex.username == "alice"


def test_saslname_escapes_are_decoded():
    assert _run("SCRAM-SHA-256", "a=2Cb=3Dc", "pw").username == "a,b=c"


@pytest.mark.parametrize("user,password", [("alice", "nope"), ("nobody", "secret")])
def test_wrong_password_and_unknown_user_fail_at_the_proof(user, password):
    with pytest.raises(ScramError, match="invalid credentials"):
        _run("SCRAM-SHA-256", user, password)


def test_unknown_user_gets_the_same_salt_each_time():
    salts = set()
    for _ in range(2):
        ex = ScramExchange("SCRAM-SHA-256", _lookup("SCRAM-SHA-256"))
        salts.add(ex.step(b"n,,n=ghost,r=x").split(b",s=")[1])
    assert len(salts) == 1


@pytest.mark.parametrize(
    "message",
    [b"", b"garbage", b"p=tls-unique,,n=a,r=b", b"n,,r=b,n=a", b"n,,n=a=,r=b", b"\xff\xfe"],
)
def test_malformed_client_first_messages_fail_cleanly(message):
    with pytest.raises(ScramError):
        ScramExchange("SCRAM-SHA-256", _lookup("SCRAM-SHA-256")).step(message)


@pytest.mark.parametrize("final", [b"c=biws,r=wrong,p=AAAA", b"c=!!,r=x,p=y", b"x", b"c=biws"])
def test_malformed_client_final_messages_fail_cleanly(final):
    ex = ScramExchange("SCRAM-SHA-256", _lookup("SCRAM-SHA-256"))
    ex.step(b"n,,n=alice,r=abc")
    with pytest.raises(ScramError):
        ex.step(final)
