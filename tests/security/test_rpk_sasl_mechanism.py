"""rpk asking for a SASL mechanism the broker does not offer prints what rpk prints: franz-go's
kgo returns the handshake's UNSUPPORTED_SASL_MECHANISM as kerr's error, under rpk's "unable to
request metadata" (one line, exit 1); the offered mechanism works."""

from __future__ import annotations

import pytest

from tests.support.broker import BrokerProcess
from tests.support.rpk import run_in_process
from tests.support.security import create_user, sasl_args


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    args = sasl_args(mechanisms="[SCRAM]")
    b = BrokerProcess(tmp_path_factory.mktemp("rpk-mech") / "broker", *args).start()
    try:
        create_user(b, "alice", "right-pw")
        yield b
    finally:
        b.stop()


def _topic_list(broker, mechanism: str):
    return run_in_process(
        [
            *("topic", "list", "-X", f"brokers={broker.bootstrap}"),
            *("-X", "user=alice", "-X", "pass=right-pw", "-X", f"sasl.mechanism={mechanism}"),
        ]
    )


def test_a_mechanism_the_broker_does_not_offer(broker):
    result = _topic_list(broker, "PLAIN")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "unable to request metadata: UNSUPPORTED_SASL_MECHANISM: "
        "The broker does not support the requested SASL mechanism."
    )


def test_the_offered_mechanism_logs_in(broker):
    assert _topic_list(broker, "SCRAM-SHA-256").exit_code == 0
