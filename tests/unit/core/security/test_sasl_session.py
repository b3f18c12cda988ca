"""The failure limiter per client address: a burst, then one attempt per second; bounded."""

from core.security import sasl
from core.security.sasl import FailureLimiter, enabled_mechanisms


def test_failures_spend_the_bucket_and_time_refills_it():
    now = [100.0]
    limiter = FailureLimiter(lambda: now[0])
    for _ in range(sasl.FAILURE_BURST):
        assert limiter.allowed("10.0.0.1")
        limiter.failed("10.0.0.1")
    assert not limiter.allowed("10.0.0.1")
    assert limiter.allowed("10.0.0.2")  # per address
    now[0] += 1.0 / sasl.FAILURE_REFILL_PER_S
    assert limiter.allowed("10.0.0.1")


def test_tracked_addresses_are_bounded(monkeypatch):
    monkeypatch.setattr(sasl, "MAX_TRACKED_ADDRESSES", 3)
    limiter = FailureLimiter(lambda: 0.0)
    for i in range(10):
        limiter.failed(f"10.0.0.{i}")
    assert len(limiter._buckets) == 3


def test_scram_means_both_scram_mechanisms():
    assert enabled_mechanisms(["SCRAM"]) == ["SCRAM-SHA-256", "SCRAM-SHA-512"]
    assert enabled_mechanisms(["PLAIN", "GSSAPI"]) == ["PLAIN"]
