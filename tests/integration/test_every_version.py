"""Every API key and version ApiVersions advertises answers a real, valid request.

Each request is built from the kio schema (tests/support/kafka_requests.py) and sent
raw to one shared broker; the answer must decode as that version's response and carry
no UNKNOWN_SERVER_ERROR (Fetch v4-v6 did: issue 19). Other error codes are legitimate
answers to these minimal requests (an unknown group, an empty transactional id, ...).
"""

from __future__ import annotations

import pytest
from kio.schema.api_versions.v3.request import ApiVersionsRequest
from kio.schema.errors import ErrorCode

from core.server.handlers.api_versions import served
from tests.support.kafka_requests import DATA_APIS, error_codes, minimal_request
from tests.support.raw_client import RawClient

TOPIC = "every-version"
VERSIONS = [(key, v) for key, lo, hi in served() for v in range(lo, hi + 1)]


@pytest.fixture(scope="module")
def broker(kafka_broker_factory):
    """A broker of its own from the pytest plugin (core.testing.plugin): these requests change
    state (ACLs, groups, quotas, ...) that the session's kafka_broker should not see."""
    b = kafka_broker_factory(proxy=False, schema_registry=False)
    b.create_topic(TOPIC, 1)
    yield b.process
    b.stop()


@pytest.fixture(scope="module")
def client(broker):
    c = RawClient(broker.kafka_port)
    yield c
    c.close()


@pytest.fixture(scope="module")
def advertised(client) -> set[tuple[int, int]]:
    resp = client.request(ApiVersionsRequest(client_software_name="t", client_software_version="1"))
    assert resp.error_code == ErrorCode.none
    return {(k.api_key, v) for k in resp.api_keys for v in range(k.min_version, k.max_version + 1)}


def test_the_broker_advertises_what_the_handlers_serve(advertised):
    assert advertised == set(VERSIONS)


@pytest.mark.parametrize("key,version", VERSIONS, ids=[f"key{k}-v{v}" for k, v in VERSIONS])
def test_version_answers(broker, client, advertised, key, version):
    log_before = len(broker.log_text())
    request = minimal_request(key, version, TOPIC)
    response = client.request(request)  # decodes as this version's response, same correlation
    name = f"{type(request).__name__} v{version}"
    unknown = [
        path for path, code in error_codes(response) if code == ErrorCode.unknown_server_error
    ]
    assert not unknown, f"{name}: UNKNOWN_SERVER_ERROR at {unknown}"
    # Some versions have no field to carry an error (Fetch v4-v6 without topics): the
    # handler's failure shows only in the log.
    logged = broker.log_text()[log_before:]
    assert "Traceback" not in logged and " failed" not in logged, f"{name}:\n{logged}"
    if key in DATA_APIS:  # the answer is about the partition asked for
        assert TOPIC in repr(response), f"{name}: {response}"
    assert broker.proc.poll() is None
