"""Property-based requests generated from the Admin API's own OpenAPI document: never a 5xx.

Schemathesis builds a Hypothesis strategy per operation from /v1/openapi.json of a real broker;
each operation gets a bounded number of examples.
"""

from __future__ import annotations

import pytest
import schemathesis

from tests.support.admin import run_broker
from tests.support.fuzz_harness import fuzz_operation

MAX_EXAMPLES_PER_OPERATION = 25


@pytest.mark.timeout(280)
def test_no_server_errors_for_generated_requests(tmp_path):
    with run_broker(tmp_path) as broker:
        schema = schemathesis.openapi.from_url(f"{broker.admin_url}/v1/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 20
        for operation in operations:
            fuzz_operation(operation, MAX_EXAMPLES_PER_OPERATION)
