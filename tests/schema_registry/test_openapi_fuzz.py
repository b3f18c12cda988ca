"""Schemathesis over the registry's own OpenAPI document (/openapi.json): never a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.support.fuzz_harness import derandomized

MAX_EXAMPLES_PER_OPERATION = 15
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
def test_no_server_errors_for_generated_requests(registry_broker, sr):
    # a few real subjects so that generated paths sometimes hit existing state
    for subject in ("a", "b"):
        sr.post(f"/subjects/{subject}/versions", json={"schema": '"string"'})
    schema = schemathesis.openapi.from_url(f"{registry_broker[1]}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    for operation in operations:
        _fuzz(operation)
    assert "Traceback" not in registry_broker[0].log_text()
