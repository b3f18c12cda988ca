"""OCSF 1.0.0 events as Redpanda writes them (src/v/security/audit/schemas): the JSON shape,
the class and activity ids, and which Kafka API is which kind of event.

An event is its body (every field but the time ones) and the time it was first seen. Two
events with the same body are the same event: the queue counts the second instead of keeping it
(`count`, `start_time`, `end_time` appear once it was seen more than once, as in Redpanda).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

OCSF_VERSION = "1.0.0"
VENDOR = "Redpanda Data, Inc."
PRODUCT = "Redpanda"
KAFKA_SERVICE = "kafka rpc"
ADMIN_SERVICE = "Redpanda Admin HTTP Server"
ADMIN_AUTHORIZER = "Admin httpd authorizer"
AUDIT_FEATURE = "Audit System"
ANONYMOUS_USER = "{{anonymous}}"

# category_uid, class_uid
IAM, AUTHENTICATION = 3, 3002
APPLICATION_ACTIVITY, APPLICATION_LIFECYCLE, API_ACTIVITY = 6, 6002, 6003
SEVERITY_INFORMATIONAL = 1
STATUS_SUCCESS, STATUS_FAILURE = 1, 2
LOGON = 1
LIFECYCLE_START, LIFECYCLE_STOP = 3, 4
AUTH_PROTOCOL_OTHER = 99
USER_UNKNOWN, USER_REGULAR, USER_ADMIN = 0, 1, 2

# api_activity's activity_id: create 1, read 2, update 3, delete 4, unknown 0
_CRUD_OF_OPERATION = {
    "CREATE": 1,
    "READ": 2,
    "DESCRIBE": 2,
    "DESCRIBE_CONFIGS": 2,
    "WRITE": 3,
    "ALTER": 3,
    "ALTER_CONFIGS": 3,
    "CLUSTER_ACTION": 3,
    "IDEMPOTENT_WRITE": 3,
    "DELETE": 4,
}
_CRUD_OF_METHOD = {"POST": 1, "GET": 2, "PUT": 3, "DELETE": 4}
SENSITIVE_HEADERS = frozenset({"authorization", "cookie"})

# Kafka API key -> (Redpanda's name of the API, the kind of event its authorizations are):
# security::audit::kafka_api_to_event_type. Keys missing here are not audited.
KAFKA_APIS: dict[int, tuple[str, str]] = {
    0: ("produce", "produce"),
    1: ("fetch", "consume"),
    2: ("list_offsets", "consume"),
    3: ("metadata", "describe"),
    8: ("offset_commit", "consume"),
    9: ("offset_fetch", "consume"),
    10: ("find_coordinator", "describe"),
    11: ("join_group", "consume"),
    12: ("heartbeat", "heartbeat"),
    13: ("leave_group", "consume"),
    14: ("sync_group", "consume"),
    15: ("describe_groups", "describe"),
    16: ("list_groups", "describe"),
    19: ("create_topics", "management"),
    20: ("delete_topics", "management"),
    21: ("delete_records", "management"),
    22: ("init_producer_id", "produce"),
    23: ("offset_for_leader_epoch", "describe"),
    24: ("add_partitions_to_txn", "produce"),
    25: ("add_offsets_to_txn", "consume"),
    26: ("end_txn", "produce"),
    28: ("txn_offset_commit", "consume"),
    29: ("describe_acls", "describe"),
    30: ("create_acls", "management"),
    31: ("delete_acls", "management"),
    32: ("describe_configs", "describe"),
    33: ("alter_configs", "management"),
    35: ("describe_log_dirs", "describe"),
    37: ("create_partitions", "management"),
    42: ("delete_groups", "management"),
    44: ("incremental_alter_configs", "management"),
    45: ("alter_partition_reassignments", "management"),
    46: ("list_partition_reassignments", "describe"),
    47: ("offset_delete", "management"),
    48: ("describe_client_quotas", "describe"),
    49: ("alter_client_quotas", "management"),
    61: ("describe_producers", "describe"),
    65: ("describe_transactions", "describe"),
    66: ("list_transactions", "describe"),
}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(slots=True)
class Event:
    """One OCSF event: `body` without its times; `count` identical ones seen from `time_ms`."""

    body: dict[str, Any]
    time_ms: int = field(default_factory=now_ms)
    count: int = 1
    end_time_ms: int = 0
    key: str = ""  # the body, canonical: identical events have the same key
    size_bytes: int = 0

    def __post_init__(self) -> None:
        self.key = json.dumps(self.body, sort_keys=True, separators=(",", ":"))
        self.size_bytes = len(self.key) + 64  # the time fields and the count

    def increment(self, at_ms: int) -> None:
        self.count += 1
        self.end_time_ms = at_ms

    def to_json(self) -> bytes:
        out = dict(self.body, time=self.time_ms)
        if self.count > 1:
            out.update(count=self.count, start_time=self.time_ms, end_time=self.end_time_ms)
        return json.dumps(out, separators=(",", ":")).encode()


def _base(category: int, class_uid: int, activity: int, node_id: int, version: str) -> dict:
    return {
        "category_uid": category,
        "class_uid": class_uid,
        "metadata": {
            "product": {
                "name": PRODUCT,
                "uid": str(node_id),
                "vendor_name": VENDOR,
                "version": version,
            },
            "version": OCSF_VERSION,
        },
        "severity_id": SEVERITY_INFORMATIONAL,
        "type_uid": class_uid * 100 + activity,
        "activity_id": activity,
    }


def endpoint(host: str, port: int | None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"ip": host}
    if port is not None:
        out["port"] = port
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


def split_address(address: str) -> tuple[str, int | None]:
    """("ip", port) of "ip:port" or "[v6]:port"; a bare address has no port."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or (host.count(":") and not host.startswith("[")):
        return address.strip("[]"), None
    return host.strip("[]"), int(port)


def lifecycle(activity: int, node_id: int, version: str) -> Event:
    body = _base(APPLICATION_ACTIVITY, APPLICATION_LIFECYCLE, activity, node_id, version)
    body["app"] = {
        "feature": {"name": AUDIT_FEATURE},
        "name": PRODUCT,
        "uid": str(node_id),
        "vendor_name": VENDOR,
        "version": version,
    }
    return Event(body)


@dataclass(frozen=True, slots=True)
class Login:
    """One SASL exchange's outcome (error None: it succeeded)."""

    user: str
    mechanism: str
    client: tuple[str, int | None]
    server: tuple[str, int | None]
    client_id: str | None = None
    error: str | None = None
    superuser: bool = False
    service: str = KAFKA_SERVICE
    is_cleartext: bool = False


def authentication(login: Login, node_id: int, version: str) -> Event:
    body = _base(IAM, AUTHENTICATION, LOGON, node_id, version)
    body.update(
        auth_protocol=login.mechanism,
        auth_protocol_id=AUTH_PROTOCOL_OTHER,
        dst_endpoint=endpoint(*login.server, svc_name=login.service),
        is_cleartext=login.is_cleartext,
        is_mfa=False,
        service={"name": login.service},
        src_endpoint=endpoint(*login.client, name=login.client_id or ""),
        status_id=STATUS_SUCCESS if login.error is None else STATUS_FAILURE,
    )
    if login.error is not None:
        body["status_detail"] = login.error
    body["user"] = {"name": login.user, "type_id": USER_ADMIN if login.superuser else USER_REGULAR}
    return Event(body)


@dataclass(frozen=True, slots=True)
class Authorization:
    """One authorization decision of a Kafka request."""

    api_key: int
    principal: str
    operation: str  # Kafka's name: CREATE, DELETE, ALTER, ...
    resource_type: str  # TOPIC, CLUSTER, GROUP, TRANSACTIONAL_ID
    resource_name: str
    allowed: bool
    client: tuple[str, int | None]
    server: tuple[str, int]
    client_id: str | None
    policy: str  # why: "authorization disabled", "superuser", "acl"
    superuser: bool = False


def kafka_api_activity(authz: Authorization, node_id: int, version: str) -> Event:
    name, _kind = KAFKA_APIS[authz.api_key]
    activity = _CRUD_OF_OPERATION.get(authz.operation, 0)
    body = _base(APPLICATION_ACTIVITY, API_ACTIVITY, activity, node_id, version)
    _, _, user = authz.principal.partition(":")
    body.update(
        actor={
            "authorizations": [
                {
                    "decision": "authorized" if authz.allowed else "denied",
                    "policy": {"desc": authz.policy, "name": "aclAuthorization"},
                }
            ],
            "user": {
                "name": user or authz.principal,
                "type_id": USER_ADMIN if authz.superuser else USER_REGULAR,
            },
        },
        api={"operation": name, "service": {"name": KAFKA_SERVICE}},
        dst_endpoint=endpoint(*authz.server, svc_name=KAFKA_SERVICE),
        resources=[{"name": authz.resource_name, "type": authz.resource_type.lower()}],
        src_endpoint=endpoint(*authz.client, name=authz.client_id or ""),
        status_id=STATUS_SUCCESS if authz.allowed else STATUS_FAILURE,
        unmapped={
            "authorization_metadata": {
                "acl_authorization": {
                    "op": authz.operation,
                    "permission_type": "AUTHORIZED" if authz.allowed else "DENIED",
                    "principal": authz.principal,
                },
                "resource": {"name": authz.resource_name, "type": authz.resource_type.lower()},
            }
        },
    )
    return Event(body)


@dataclass(frozen=True, slots=True)
class HttpCall:
    """One Admin API request and its outcome."""

    method: str
    scheme: str
    host_header: str
    path: str
    url: str
    version: str
    headers: tuple[tuple[str, str], ...]
    client: tuple[str, int | None]
    server: tuple[str, int | None]
    user: str | None  # None: not authenticated
    authorized: bool
    reason: str
    superuser: bool = False


def http_api_activity(call: HttpCall, node_id: int, version: str) -> Event:
    activity = _CRUD_OF_METHOD.get(call.method.upper(), 0)
    body = _base(APPLICATION_ACTIVITY, API_ACTIVITY, activity, node_id, version)
    if call.user is None:
        user = {"name": ANONYMOUS_USER, "type_id": USER_UNKNOWN}
    else:
        user = {"name": call.user, "type_id": USER_ADMIN if call.superuser else USER_REGULAR}
    headers = [
        {"name": k, "value": "******" if k.lower() in SENSITIVE_HEADERS else v}
        for k, v in call.headers
    ]
    body.update(
        actor={
            "authorizations": [
                {
                    "decision": "authorized" if call.authorized else "denied",
                    "policy": {"desc": call.reason, "name": ADMIN_AUTHORIZER},
                }
            ],
            "user": user,
        },
        api={"operation": call.method, "service": {"name": ADMIN_SERVICE}},
        dst_endpoint=endpoint(*call.server, svc_name=ADMIN_SERVICE),
        http_request={
            "http_headers": headers,
            "http_method": call.method,
            "url": {
                "hostname": call.host_header,
                "path": call.path,
                "port": call.server[1],
                "scheme": call.scheme,
                "url_string": call.url,
            },
            "user_agent": dict(call.headers).get("User-Agent", ""),
            "version": call.version,
        },
        resources=[],
        src_endpoint=endpoint(*call.client),
        status_id=STATUS_SUCCESS if call.authorized else STATUS_FAILURE,
        unmapped={},
    )
    return Event(body)
