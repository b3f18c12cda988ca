"""Table-driven authorization over every Kafka API key the broker serves
(tests/security/authz_table.py): with SASL and authorization on, a user without ACLs sends a
minimal request for each key (its newest served version) and gets the key's authorization
error (TOPIC_, GROUP_, CLUSTER_ or TRANSACTIONAL_ID_AUTHORIZATION_FAILED); once the row's ALLOW
ACLs exist, the same request carries no authorization error; then a DENY for the same operations
wins again. A served key without a row fails the test, so every new key must get one."""

from __future__ import annotations

import datetime
import uuid

import pytest
from kio.index import load_request_schema
from kio.schema.create_acls.v2.request import AclCreation, CreateAclsRequest
from kio.schema.delete_acls.v2.request import DeleteAclsFilter, DeleteAclsRequest
from kio.schema.errors import ErrorCode

from core.server import dispatch
from tests.security.authz_table import DENIALS, FILTERED, NO_ACL, ROWS, Row
from tests.support.broker import BrokerProcess
from tests.support.kafka_requests import DATA_APIS, error_codes, minimal_request
from tests.support.kio_minimal import minimal_entity
from tests.support.raw_client import RawClient
from tests.support.security import SUPERUSER, create_user, raw_plain_login, sasl_args

USER = ("tabby", "tabby-pw")
PRINCIPAL = f"User:{USER[0]}"
ALLOW, DENY = 3, 2
BASE = {
    "acks": 1,
    "replica_id": -1,
    "max_bytes": 1024 * 1024,
    "producer_id": -1,
    "producer_epoch": -1,
    "transactional_id": "t",
    "rack_id": "",
    "topic_id": uuid.UUID(int=0),
}


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    b = BrokerProcess(tmp_path_factory.mktemp("authz") / "broker", *sasl_args()).start()
    try:
        create_user(b, *SUPERUSER)
        create_user(b, *USER)
        admin = _login(b, SUPERUSER)
        for name in ("t", "t-del"):
            created = admin.request(_create_topic(name))
            assert created.topics[0].error_code.value == 0, created
        b.admin_client = admin  # type: ignore[attr-defined]
        yield b
        admin.close()
    finally:
        b.stop()
        assert "Traceback" not in b.log_text(), b.log_text()[-3000:]


def _create_topic(name: str):
    cls = load_request_schema(19, 4)
    return minimal_entity(
        cls,
        array_len=1,
        overrides={
            "name": name,
            "num_partitions": 1,
            "replication_factor": 1,
            "assignments": (),
            "configs": (),
            "timeout": datetime.timedelta(seconds=10),
            "validate_only": False,
        },
    )


def _login(broker: BrokerProcess, who) -> RawClient:
    client = RawClient(broker.kafka_port)
    raw_plain_login(client, *who)
    return client


def _request(row: Row):
    lo, hi = dispatch.version_range(row.key) or (0, 0)
    version = row.version if row.version is not None else hi
    if row.key in DATA_APIS:
        return minimal_request(row.key, version, "t")
    cls = load_request_schema(row.key, version)
    return minimal_entity(cls, array_len=1, overrides={**BASE, **row.overrides}, fill_null=False)


def _acls(broker, row: Row, permission: int, create: bool) -> None:
    admin: RawClient = broker.admin_client
    if create:
        creations = tuple(
            AclCreation(
                resource_type=rt,
                resource_name=name,
                resource_pattern_type=3,
                principal=PRINCIPAL,
                host="*",
                operation=op,
                permission_type=permission,
            )
            for rt, name, op in row.acls
        )
        response = admin.request(CreateAclsRequest(creations=creations))
        assert all(r.error_code.value == 0 for r in response.results), response
        return
    filters = (
        DeleteAclsFilter(
            resource_type_filter=1,
            resource_name_filter=None,
            pattern_type_filter=1,
            principal_filter=PRINCIPAL,
            host_filter=None,
            operation=1,
            permission_type=1,
        ),
    )
    response = admin.request(DeleteAclsRequest(filters=filters))
    assert response.filter_results[0].error_code.value == 0, response


# DescribeTransactions answers a transaction start time of -1 (no transaction), as Kafka does,
# which kio's reader refuses: its one state's error code is read from the frame instead
# (correlation id, header tags, throttle time, a one-byte array length, then the code).
RAW_FIRST_ERROR_AT = {65: 10}


def _denials(broker, row: Row) -> set:
    client = _login(broker, USER)  # a new connection each time: no cached coordinator state
    try:
        if row.key in RAW_FIRST_ERROR_AT:
            client.send_request(_request(row))
            frame = client.recv_frame()
            assert frame is not None
            at = RAW_FIRST_ERROR_AT[row.key]
            codes = {ErrorCode(int.from_bytes(frame[at : at + 2], "big", signed=True))}
        else:
            codes = {code for _, code in error_codes(client.request(_request(row)))}
    finally:
        client.close()
    return codes & DENIALS


def test_every_served_key_has_a_row():
    served = set(dispatch.handlers())
    covered = {row.key for row in ROWS} | set(NO_ACL) | set(FILTERED)
    assert served - covered == set(), f"keys without an authorization row: {served - covered}"


@pytest.mark.parametrize("row", ROWS, ids=[f"key{r.key}" for r in ROWS])
def test_refused_without_the_acl_and_served_with_it(broker, row: Row):
    if row.key not in dispatch.handlers():
        pytest.skip(f"key {row.key} is not served")
    assert _denials(broker, row) == {row.error}, "without ACLs"
    _acls(broker, row, ALLOW, create=True)
    try:
        assert _denials(broker, row) == set(), "with the ALLOW ACLs"
        _acls(broker, row, DENY, create=True)
        assert row.error in _denials(broker, row), "a DENY beside the ALLOW"
    finally:
        _acls(broker, row, ALLOW, create=False)
