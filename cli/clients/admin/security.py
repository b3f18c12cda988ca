"""SASL/SCRAM user endpoints."""

from __future__ import annotations

from urllib.parse import quote

from admin_api.models import UserCreate, UserUpdate
from cli.clients.admin._http import AdminClient

USERS = "/v1/security/users"


def list_users(client: AdminClient) -> list[str]:
    return list(client.get_json(USERS))


def create_user(client: AdminClient, username: str, password: str, mechanism: str) -> None:
    client.send_any("POST", USERS, json=UserCreate(username, password, mechanism).to_json())


def update_user(client: AdminClient, username: str, password: str, mechanism: str) -> None:
    client.send_any(
        "PUT", f"{USERS}/{quote(username, safe='')}", json=UserUpdate(password, mechanism).to_json()
    )


def delete_user(client: AdminClient, username: str) -> None:
    client.send_any("DELETE", f"{USERS}/{quote(username, safe='')}")
