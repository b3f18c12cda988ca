"""rpk with a wrong SASL password or an unknown user reports the broker's refusal in one line, in
rpk's words (franz-go's SASL_AUTHENTICATION_FAILED text and the broker's message), exit code 1,
after one login attempt (not a retried bootstrap ending in a timeout: the broker logs exactly one
refusal per command), over plaintext and over TLS; the right password works."""

from __future__ import annotations

import pytest

from core.testing.certs import make_certs, tls_set_arg
from tests.support.broker import BrokerProcess
from tests.support.rpk import run_in_process
from tests.support.security import create_user, sasl_args

REFUSAL_LOG = "SASL authentication failed from 127.0.0.1"


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    b = BrokerProcess(tmp_path_factory.mktemp("rpk-sasl") / "broker", *sasl_args()).start()
    try:
        create_user(b, "alice", "right-pw")
        yield b
    finally:
        b.stop()


@pytest.fixture(scope="module")
def tls_broker(tmp_path_factory):
    base = tmp_path_factory.mktemp("rpk-sasl-tls")
    certs = make_certs(base / "certs")
    b = BrokerProcess(base / "broker", *sasl_args(*tls_set_arg(certs))).start()
    try:
        create_user(b, "alice", "right-pw")
        yield b, certs
    finally:
        b.stop()


def _topic_list(broker, user: str, password: str, mechanism: str, *tls: str):
    return run_in_process(
        [
            *("topic", "list", "-X", f"brokers={broker.bootstrap}", *tls),
            *("-X", f"user={user}", "-X", f"pass={password}", "-X", f"sasl.mechanism={mechanism}"),
        ]
    )


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "PLAIN"])
@pytest.mark.parametrize("user,password", [("alice", "wrong"), ("nobody", "x")])
def test_a_refused_login_is_reported_as_such(broker, mechanism, user, password):
    refusals = broker.log_text().count(REFUSAL_LOG)
    result = _topic_list(broker, user, password, mechanism)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "unable to request metadata: SASL_AUTHENTICATION_FAILED: SASL Authentication failed.: "
        f"Authentication failed: invalid credentials with SASL mechanism {mechanism}"
    )
    assert broker.log_text().count(REFUSAL_LOG) == refusals + 1  # asked once, no retries


def test_the_right_password_works(broker):
    result = _topic_list(broker, "alice", "right-pw", "SCRAM-SHA-256")
    assert result.exit_code == 0, result.stderr


def test_over_tls_too(tls_broker):
    broker, certs = tls_broker
    tls = ("-X", "tls.enabled=true", "-X", f"tls.ca={certs.ca}")
    refusals = broker.log_text().count(REFUSAL_LOG)
    result = _topic_list(broker, "alice", "wrong", "SCRAM-SHA-512", *tls)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "unable to request metadata: SASL_AUTHENTICATION_FAILED: SASL Authentication failed.: "
        "Authentication failed: invalid credentials with SASL mechanism SCRAM-SHA-512"
    )
    assert broker.log_text().count(REFUSAL_LOG) == refusals + 1
    ok = _topic_list(broker, "alice", "right-pw", "SCRAM-SHA-256", *tls)
    assert ok.exit_code == 0, ok.stderr
