"""Property-based requests generated from the proxy's own OpenAPI document: never a 5xx.

Schemathesis builds a Hypothesis strategy per operation from /v1/openapi.json of a real
broker's proxy; each operation gets a bounded number of examples (~20 s in all)."""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from tests.support.fuzz_harness import derandomized
from tests.support.proxy import b64, produce, proxy_url
from tests.support.topics import make_topic

MAX_EXAMPLES_PER_OPERATION = 15
REQUEST_TIMEOUT_S = 10
BUDGET_S = 40


KNOWN = {"topic": "fuzz", "group": "fz", "instance": "fz"}


def _aim(case, http, data) -> None:
    """Half the examples hit the existing topic, partitions and consumer instance, so the
    handlers past the not-found checks get generated input too; record waits stay short."""
    params = case.path_parameters or {}
    if data.draw(st.booleans()):
        for name, value in KNOWN.items():
            if name in params:
                params[name] = value
        if "partition" in params:
            params["partition"] = data.draw(st.sampled_from([0, 1, params["partition"]]))
        if "instance" in params:
            http.post("/consumers/fz", json={"name": "fz", "auto.offset.reset": "earliest"})
    if isinstance(case.query, dict) and "timeout" in case.query:
        case.query["timeout"] = 100


def _fuzz(operation, http) -> None:
    @settings(
        max_examples=MAX_EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=derandomized(),
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), data=st.data())
    def run(case, data) -> None:
        _aim(case, http, data)
        response = case.call(timeout=REQUEST_TIMEOUT_S)
        case.validate_response(response, checks=[not_a_server_error])

    run()


@pytest.mark.timeout(180)
def test_no_server_errors_for_generated_requests(proxy_broker, http):
    make_topic(proxy_broker.bootstrap, "fuzz", partitions=2)
    produce(http, "fuzz", [{"value": b64("v")}])
    schema = schemathesis.openapi.from_url(f"{proxy_url(proxy_broker)}/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    started = time.monotonic()
    for operation in operations:
        _fuzz(operation, http)
    assert time.monotonic() - started < BUDGET_S
    log = proxy_broker.log_text()
    assert "unhandled error" not in log and "Traceback" not in log
