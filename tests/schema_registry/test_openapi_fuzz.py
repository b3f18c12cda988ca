"""Schemathesis over the registry's own OpenAPI document (/openapi.json): never a 5xx."""

from __future__ import annotations

import pytest
import schemathesis

from tests.support.fuzz_harness import fuzz_operation

MAX_EXAMPLES_PER_OPERATION = 15


@pytest.mark.timeout(280)
def test_no_server_errors_for_generated_requests(registry_broker, sr):
    # a few real subjects so that generated paths sometimes hit existing state
    for subject in ("a", "b"):
        sr.post(f"/subjects/{subject}/versions", json={"schema": '"string"'})
    schema = schemathesis.openapi.from_url(f"{registry_broker[1]}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30
    for operation in operations:
        fuzz_operation(operation, MAX_EXAMPLES_PER_OPERATION)
    assert "Traceback" not in registry_broker[0].log_text()
