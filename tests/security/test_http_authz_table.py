"""Every HTTP route of the Admin API, the HTTP proxy and the Schema Registry, table-driven from
their own route declarations, on a broker with `admin_api_require_auth`, http_basic on the proxy
and the registry, and SASL/authorization on:

- without credentials every route but the public ones answers 401 (Admin API: the routes
  Redpanda registers as public; proxy and registry: /status/ready);
- Admin API: a user who is not a superuser gets 403 on every superuser route;
- proxy: a user without ACLs gets 403 (40301) on every route naming a topic or a group;
- a superuser (proxy, registry: any user) gets neither 401 nor 403 anywhere."""

from __future__ import annotations

import re

import httpx
import pytest

from admin_api.server import all_routes as admin_routes
from admin_api.spec import PUBLIC
from admin_api.spec import SUPERUSER as SUPERUSER_LEVEL
from core.proxy.server import all_routes as proxy_routes
from core.schema_registry.routes_config import routes as sr_config
from core.schema_registry.routes_schemas import routes as sr_schemas
from core.schema_registry.routes_subjects import routes as sr_subjects
from tests.support.broker import BrokerProcess
from tests.support.security import SUPERUSER, create_user, sasl_args, set_cluster_config

USER = ("plainuser", "plainuser-pw")
NUMERIC = {"id", "node", "node_id", "partition", "version", "group_id", "broker_id"}
BASIC = "[{address: 127.0.0.1, port: 0, authentication_method: http_basic}]"


def _fill(path: str) -> str:
    """A concrete path: numeric parameters 1 (no such node, partition or schema), others t."""
    return re.sub(r"\{(\w+)(?::[^}]*)?\}", lambda m: "1" if m[1] in NUMERIC else "t", path)


ADMIN = sorted({(s.method, s.path, s.auth) for s in admin_routes()})
PROXY = sorted({(r.method, r.path) for r in proxy_routes()})
REGISTRY = sorted(
    {(r.method, r.path) for table in (sr_config, sr_schemas, sr_subjects) for r in table}
)


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    args = [
        *["--set", f"pandaproxy.pandaproxy_api={BASIC}"],
        *["--set", f"schema_registry.schema_registry_api={BASIC}"],
        *["--set", f"pandaproxy_client.scram_username={SUPERUSER[0]}"],
        *["--set", f"pandaproxy_client.scram_password={SUPERUSER[1]}"],
        *["--set", f"schema_registry_client.scram_username={SUPERUSER[0]}"],
        *["--set", f"schema_registry_client.scram_password={SUPERUSER[1]}"],
    ]
    b = BrokerProcess(tmp_path_factory.mktemp("http-table") / "broker", *sasl_args(*args)).start()
    try:
        create_user(b, *SUPERUSER)
        create_user(b, *USER)
        set_cluster_config(b, admin_api_require_auth=True)
        b.urls = {  # type: ignore[attr-defined]
            "admin": b.admin_url,
            "proxy": b.listener_url("pandaproxy"),
            "registry": b.listener_url("schema_registry"),
        }
        b.clients = {}  # type: ignore[attr-defined]
        yield b
        for client in b.clients.values():
            client.close()
    finally:
        b.stop()
        assert "Traceback" not in b.log_text(), b.log_text()[-3000:]


def _status(broker, server: str, method: str, path: str, who=None) -> int:
    client = broker.clients.get(server)
    if client is None:  # one client a server: building an SSL context each time is slow
        client = broker.clients[server] = httpx.Client(base_url=broker.urls[server], timeout=30)
    auth = httpx.BasicAuth(*who) if who else None
    response = client.request(method, _fill(path), auth=auth)
    client.cookies.clear()
    return response.status_code


@pytest.mark.parametrize("method,path,level", ADMIN, ids=[f"{m} {p}" for m, p, _ in ADMIN])
def test_admin_api_route(broker, method, path, level):
    anonymous = _status(broker, "admin", method, path)
    if level == PUBLIC:
        assert anonymous not in (401, 403)
        return
    assert anonymous == 401
    user = _status(broker, "admin", method, path, USER)
    assert user == (403 if level == SUPERUSER_LEVEL else user) and user != 401
    assert _status(broker, "admin", method, path, SUPERUSER) not in (401, 403)


@pytest.mark.parametrize("method,path", PROXY, ids=[f"{m} {p}" for m, p in PROXY])
def test_proxy_route(broker, method, path):
    assert _status(broker, "proxy", method, path) == 401
    user = _status(broker, "proxy", method, path, USER)
    if "{topic}" in path or "{group}" in path:
        assert user == 403
    else:
        assert user not in (401, 403)
    assert _status(broker, "proxy", method, path, SUPERUSER) not in (401, 403)


@pytest.mark.parametrize("method,path", REGISTRY, ids=[f"{m} {p}" for m, p in REGISTRY])
def test_registry_route(broker, method, path):
    anonymous = _status(broker, "registry", method, path)
    assert anonymous == (200 if path == "/status/ready" else 401)
    assert _status(broker, "registry", method, path, USER) not in (401, 403)
