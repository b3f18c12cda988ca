"""Property-based requests generated from the Admin API's own OpenAPI document: never a 5xx.

Schemathesis builds a Hypothesis strategy per operation from /v1/openapi.json of a real broker;
each operation gets a bounded number of examples.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.support.admin import run_broker
from tests.support.fuzz_harness import derandomized

MAX_EXAMPLES_PER_OPERATION = 25
REQUEST_TIMEOUT_S = 10


def _fuzz(operation) -> None:
    @settings(
        max_examples=MAX_EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=derandomized(),
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case) -> None:
        response = case.call(timeout=REQUEST_TIMEOUT_S)
        case.validate_response(response, checks=[not_a_server_error])

    run()


@pytest.mark.timeout(280)
def test_no_server_errors_for_generated_requests(tmp_path):
    with run_broker(tmp_path) as broker:
        schema = schemathesis.openapi.from_url(f"{broker.admin_url}/v1/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 20
        for operation in operations:
            _fuzz(operation)
