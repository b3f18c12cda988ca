"""Hostile SASL exchanges close only their own connection and the broker keeps serving: mechanism
names that are not enabled ones, SaslAuthenticate before a handshake, malformed SCRAM client-first
and client-final messages (SCRAM-SHA-256 and -512) and malformed PLAIN tokens, each over
SaslAuthenticate v0, v1 and v2 and over the raw framing of a v0 SaslHandshake, a frame over
512 KiB before the first login, then random mutations of valid tokens and of whole
SaslAuthenticate frames. A refused token is answered SASL_AUTHENTICATION_FAILED (raw framing: no
answer) and the connection closed. Each case dials from its own loopback address, so the
per-address failure limit never answers in the parser's place; cases run a few at a time (every
refusal waits out the broker's failure floor).

Replay the random part with the printed FUZZ_SEED; a longer run: FUZZ_EXAMPLES=2000.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from kio.schema.api_versions.v3.request import ApiVersionsRequest
from kio.schema.sasl_handshake.v0.request import SaslHandshakeRequest as HandshakeV0
from kio.schema.sasl_handshake.v1.request import SaslHandshakeRequest

from cli.clients.sasl_probe import scram_client_final as client_final
from cli.clients.sasl_probe import scram_client_first as client_first
from tests.security.sasl_wire import (
    AUTHENTICATE,
    SASL_AUTHENTICATION_FAILED,
    WireClient,
    scram_login,
)
from tests.support.broker import BrokerProcess
from tests.support.frame_mutations import mutate
from tests.support.fuzz_harness import fuzz_examples, fuzz_seed
from tests.support.kio_strategies import request_bytes
from tests.support.security import create_user, sasl_args

USERS = {
    "SCRAM-SHA-256": ("alice256", "alice-pw-256"),
    "SCRAM-SHA-512": ("bob512", "bob-pw-512"),
    "PLAIN": ("bob512", "bob-pw-512"),
}
SCRAM = ("SCRAM-SHA-256", "SCRAM-SHA-512")
VERSIONS = (0, 1, 2)
UNSUPPORTED_SASL_MECHANISM = 33
ILLEGAL_SASL_STATE = 34
WORKERS = 6
SEED = fuzz_seed()
EXAMPLES = fuzz_examples(90)

MALFORMED_FIRST = [
    b"",
    b"\xff\xfe\x00garbage",
    b"n,",
    b"p=tls-unique,,n=alice256,r=abc",  # channel binding: refused
    b"n,,r=abc",  # no user
    b"n,,n=alice256",  # no nonce
    b"n,,n=alice256,r=",  # an empty nonce
    b"n,,n=ali=ZZce,r=abc",  # a bad escape in the name
    b"n,,m=ext,n=alice256,r=abc",  # a mandatory extension
    b"n,a=someone-else,n=alice256,r=abc",  # an authorization id that is not the user
    b"n,,n=\x07bell,r=abc",  # SASLprep prohibits control characters
    b"n,,n=alice256,r=abc,junk",
    b"n,,n=" + b"a" * 5000 + b",r=x",
]
# client-final messages, from (nonce, proof): the server's combined nonce and a valid proof
MALFORMED_FINAL: list[Callable[[str, str], bytes]] = [
    lambda r, p: b"",
    lambda r, p: b"\xff\xfe\x00garbage",
    lambda r, p: f"c=eSws,r={r},p={p}".encode(),  # channel binding of "y,," after "n,,"
    lambda r, p: f"c=biws,r={r}X,p={p}".encode(),  # not the server's nonce
    lambda r, p: f"c=biws,r={r[:8]},p={p}".encode(),  # the client's part only
    lambda r, p: f"c=biws,r={r}".encode(),  # no proof
    lambda r, p: f"c=biws,r={r},p=!!not*base64!!".encode(),
    lambda r, p: f"c=biws,r={r},p=AAAA".encode(),  # a proof of the wrong length
    lambda r, p: f"c=biws,r={r},p={_zeros_like(p)}".encode(),  # a wrong proof
    lambda r, p: f"r={r},c=biws,p={p}".encode(),  # attributes out of order
    lambda r, p: f"c=biws,r={r},p={p},p={p}".encode(),
    lambda r, p: f"c=biws,r={r},p={p}".encode() + b"x" * 5000,
    lambda r, p: b"n,,n=alice256,r=" + r.encode(),  # a client-first again
]


def _zeros_like(proof: str) -> str:
    return base64.b64encode(bytes(len(base64.b64decode(proof)))).decode()


MALFORMED_PLAIN = [
    b"",
    b"no-separators",
    b"\x00\x00\x00\x00",
    b"\x00bob512",
    b"\x00\x00bob-pw-512",  # no user
    b"\x00bob512\x00",  # no password
    b"someone-else\x00bob512\x00bob-pw-512",  # an authorization id that is not the user
    b"\xff\x00\xfe\x00x",
    b"\x00bob512\x00bob-pw-512\x00extra",
    b"\x00" + b"a" * 5000 + b"\x00x",
    b"\x00" + b"a" * 65536 + b"\x00x",  # refused unread (SASLprep would hold the loop)
]


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    b = BrokerProcess(tmp_path_factory.mktemp("sasl-fuzz") / "broker", *sasl_args(authz=False))
    b.start()
    try:
        for mechanism in SCRAM:
            create_user(b, *USERS[mechanism], mechanism=mechanism)
        yield b
    finally:
        b.stop()
    log = b.log_text()
    assert "Traceback" not in log, log[log.index("Traceback") - 500 :][:3000]
    assert "UNKNOWN_SERVER_ERROR" not in log


def _run_all(cases: list, check: Callable) -> None:
    """`check(case)` for every case, a few at a time; the failures, listed together."""
    with ThreadPoolExecutor(WORKERS) as pool:
        outcomes = list(pool.map(lambda case: _outcome(check, case), cases))
    failures = [f"{case!r:.160}: {why}" for case, why in zip(cases, outcomes, strict=True) if why]
    assert not failures, f"{len(failures)} of {len(cases)} cases:\n" + "\n".join(failures[:20])


def _outcome(check: Callable, case) -> str | None:
    try:
        check(case)
    except (AssertionError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _refused_and_closed(client: WireClient, token: bytes, version: int) -> None:
    answer = client.authenticate(token, version)
    assert answer.code == SASL_AUTHENTICATION_FAILED, answer
    assert client.is_closed_by_peer(), "the connection stayed open after a refusal"


def _assert_serving(broker) -> None:
    """ApiVersions answered, and each mechanism still logs its user in."""
    assert broker.proc.poll() is None, "the broker died"
    for mechanism, (user, password) in USERS.items():
        client = WireClient(broker.kafka_port)
        try:
            assert (
                client.request(
                    ApiVersionsRequest(client_software_name="t", client_software_version="1")
                ).error_code.value
                == 0
            )
            assert client.handshake(mechanism) == 0
            if mechanism == "PLAIN":
                answer = client.authenticate(f"\0{user}\0{password}".encode())
            else:
                answer = scram_login(client, mechanism, user, password)
            assert answer.code == 0, (mechanism, answer)
        finally:
            client.close()


def test_hostile_handshakes(broker):
    """Mechanism names that are not enabled ones (SaslHandshake v0 and v1): refused with
    UNSUPPORTED_SASL_MECHANISM and closed; a SaslAuthenticate before any handshake: refused with
    ILLEGAL_SASL_STATE and closed."""
    names = ["", "scram-sha-256", "A" * 10_000, "\x00", "PLAIN\x00", "SCRAM-SHA-1", "GSSAPI", "ÄÖ"]

    def check(case):
        version, mechanism = case
        client = WireClient(broker.kafka_port)
        try:
            if mechanism is None:
                answer = client.authenticate(b"\x00bob512\x00bob-pw-512", version)
                assert answer.code == ILLEGAL_SASL_STATE, answer
            else:
                handshake = HandshakeV0 if version == 0 else SaslHandshakeRequest
                code = client.request(handshake(mechanism=mechanism)).error_code.value
                assert code == UNSUPPORTED_SASL_MECHANISM, code
            assert client.is_closed_by_peer(), "the connection stayed open after a refusal"
        finally:
            client.close()

    _run_all([(v, n) for v in (0, 1) for n in names] + [(v, None) for v in VERSIONS], check)
    _assert_serving(broker)


def test_malformed_client_first_messages(broker):
    def check(case):
        mechanism, version, token = case
        client = WireClient(broker.kafka_port)
        try:
            assert client.handshake(mechanism) == 0
            _refused_and_closed(client, token, version)
        finally:
            client.close()

    _run_all([(m, v, t) for m in SCRAM for v in VERSIONS for t in MALFORMED_FIRST], check)
    _assert_serving(broker)


def test_malformed_client_final_messages(broker):
    def check(case):
        mechanism, version, index = case
        user, password = USERS[mechanism]
        client = WireClient(broker.kafka_port)
        try:
            assert client.handshake(mechanism) == 0
            bare, first = client_first(user)
            answer = client.authenticate(first, version)
            assert answer.code == 0, answer
            server_first = answer.auth_bytes.decode()
            without_proof, proof = client_final(mechanism, password, bare, server_first)
            nonce = without_proof.split("r=", 1)[1]
            _refused_and_closed(client, MALFORMED_FINAL[index](nonce, proof), version)
        finally:
            client.close()

    n = len(MALFORMED_FINAL)
    _run_all([(m, v, i) for m in SCRAM for v in VERSIONS for i in range(n)], check)
    _assert_serving(broker)


def test_malformed_plain_tokens(broker):
    def check(case):
        version, token = case
        client = WireClient(broker.kafka_port)
        try:
            assert client.handshake("PLAIN") == 0
            _refused_and_closed(client, token, version)
        finally:
            client.close()

    _run_all([(v, t) for v in VERSIONS for t in MALFORMED_PLAIN], check)
    _assert_serving(broker)
    assert "PLAIN message of 65539 bytes: too long" in broker.log_text()


def test_a_frame_over_512_kib_before_login_closes_the_connection(broker):
    """Kafka's sasl.server.max.receive.size: before the first login a larger frame is not read
    (it would hold the broker's request budget for a client that may never log in)."""
    client = WireClient(broker.kafka_port)
    try:
        assert client.handshake("PLAIN") == 0
        try:
            client.send_request(AUTHENTICATE[1](auth_bytes=b"\x00" * (600 * 1024)))
            reply = client.recv_frame()
        except ConnectionError:  # closed (reset) while the frame was still being sent
            reply = None
        assert reply is None
    finally:
        client.close()
    assert "exceeds the 524288-byte limit" in broker.log_text()
    _assert_serving(broker)


def test_malformed_raw_tokens_after_a_v0_handshake(broker):
    """Kafka's pre-KIP-152 framing: the token is the whole frame, and a refusal closes the
    connection without an answer."""

    def check(case):
        mechanism, token = case
        client = WireClient(broker.kafka_port)
        try:
            assert client.request(HandshakeV0(mechanism=mechanism)).error_code.value == 0
            client.send_frame(token)
            assert client.recv_frame() is None, "a refused raw token was answered"
        finally:
            client.close()

    cases = [(m, t) for m in SCRAM for t in MALFORMED_FIRST if t]
    _run_all(cases + [("PLAIN", t) for t in MALFORMED_PLAIN if t], check)
    _assert_serving(broker)


def test_random_mutations_of_tokens_and_frames(broker):
    """Valid client-first, client-final and PLAIN tokens, and whole SaslAuthenticate frames,
    mutated at random: the broker answers (a mutation may leave the token valid) or refuses
    with SASL_AUTHENTICATION_FAILED and closes, or closes a frame it cannot read."""
    print(f"FUZZ_SEED={SEED} FUZZ_EXAMPLES={EXAMPLES}")
    rng = random.Random(SEED)
    cases = [
        (i, rng.choice((*SCRAM, "PLAIN")), rng.choice(VERSIONS), rng.choice(("token", "frame")))
        for i in range(EXAMPLES)
    ]
    seeds = [rng.randrange(2**32) for _ in cases]

    def check(case):
        i, mechanism, version, what = case
        case_rng = random.Random(seeds[i])
        user, password = USERS[mechanism]
        client = WireClient(broker.kafka_port)
        try:
            assert client.handshake(mechanism) == 0
            token = _valid_token(client, mechanism, user, password, version, case_rng)
            if what == "token":
                _mutated_token(client, _mutate_token(token, case_rng), version)
            else:
                _mutated_frame(client, token, version, case_rng)
        finally:
            client.close()

    _run_all(cases, check)
    _assert_serving(broker)


def _valid_token(client, mechanism, user, password, version, rng) -> bytes:
    """PLAIN's token; for SCRAM the client-first, or (half the time) the client-final after a
    client-first the broker accepted."""
    if mechanism == "PLAIN":
        return f"\0{user}\0{password}".encode()
    bare, first = client_first(user)
    if rng.random() < 0.5:
        return first
    answer = client.authenticate(first, version)
    assert answer.code == 0, answer
    without_proof, proof = client_final(mechanism, password, bare, answer.auth_bytes.decode())
    return f"{without_proof},p={proof}".encode()


def _mutate_token(token: bytes, rng: random.Random) -> bytes:
    out = bytearray(token)
    choice = rng.randrange(5)
    if choice == 0 and out:
        return bytes(out[: rng.randrange(len(out))])
    if choice == 1 and out:
        for _ in range(rng.randint(1, 3)):
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        return bytes(out)
    if choice == 2:
        at = rng.randint(0, len(out))
        junk = rng.choice([b",", b"=", b"\0", b"=2C", b",r=", b",p=", rng.randbytes(4)])
        return bytes(out[:at] + junk + out[at:])
    if choice == 3:
        parts = bytes(out).split(b",")
        rng.shuffle(parts)
        return b",".join(parts)
    return bytes(out) + rng.randbytes(rng.randint(1, 64))


def _mutated_token(client: WireClient, token: bytes, version: int) -> None:
    answer = client.authenticate(token, version)
    if answer.code != 0:
        assert answer.code == SASL_AUTHENTICATION_FAILED, answer
        assert client.is_closed_by_peer(), "the connection stayed open after a refusal"


def _mutated_frame(client: WireClient, token: bytes, version: int, rng) -> None:
    cls = AUTHENTICATE[version]
    _, payload = mutate(request_bytes(cls(auth_bytes=token), 99), cls, rng)
    client.send_frame(payload)
    client.recv_frame()  # an answer or a close, never silence (a timeout fails the case)
