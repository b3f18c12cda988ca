"""The authorizer's rules, table-driven: implied operations, DENY wins, wildcard and prefixed
patterns, principal and host wildcards, superusers, on/off switch; ACL filters as Kafka's."""

from __future__ import annotations

import asyncio

import pytest

from core.security.acls import (
    AclBinding,
    AclError,
    AclFilter,
    AclStore,
    Operation,
    PatternType,
    Permission,
    ResourceType,
)
from core.security.authorizer import Authorizer

T, G, C = ResourceType.TOPIC, ResourceType.GROUP, ResourceType.CLUSTER
LIT, PRE = PatternType.LITERAL, PatternType.PREFIXED
ALLOW, DENY = Permission.ALLOW, Permission.DENY


class _Controller:
    def __init__(self) -> None:
        self.apply = {}

    def register(self, command_type, fn) -> None:
        self.apply[command_type] = fn

    async def submit(self, command_type, payload) -> int:
        self.apply[command_type](payload)
        return 0


def _binding(rt, name, pt, op, perm, principal="User:alice", host="*") -> AclBinding:
    return AclBinding(rt, name, pt, principal, host, op, perm)


@pytest.fixture
def setup():
    config = {"kafka_enable_authorization": None, "enable_sasl": True, "superusers": ["root"]}
    store = AclStore(_Controller())
    asyncio.run(
        store.create(
            [
                _binding(T, "orders", LIT, Operation.READ, ALLOW),
                _binding(T, "logs-", PRE, Operation.ALL, ALLOW),
                _binding(T, "logs-secret", LIT, Operation.WRITE, DENY),
                _binding(T, "*", LIT, Operation.DESCRIBE, ALLOW, principal="User:*"),
                _binding(G, "g", LIT, Operation.ALTER_CONFIGS, ALLOW),
                _binding(T, "local", LIT, Operation.WRITE, ALLOW, host="10.0.0.1"),
            ]
        )
    )
    return Authorizer(store, config.get), config, store


@pytest.mark.parametrize(
    "principal,host,op,rt,name,allowed",
    [
        ("User:alice", "1.2.3.4", "READ", "TOPIC", "orders", True),
        ("User:alice", "1.2.3.4", "WRITE", "TOPIC", "orders", False),
        ("User:alice", "1.2.3.4", "DESCRIBE", "TOPIC", "orders", True),  # wildcard + implied
        ("User:bob", "1.2.3.4", "DESCRIBE", "TOPIC", "anything", True),  # User:* on "*"
        ("User:bob", "1.2.3.4", "READ", "TOPIC", "orders", False),
        ("User:alice", "1.2.3.4", "WRITE", "TOPIC", "logs-app", True),  # prefixed ALL
        ("User:alice", "1.2.3.4", "WRITE", "TOPIC", "logs-secret", False),  # DENY wins
        ("User:alice", "1.2.3.4", "READ", "TOPIC", "logs-secret", True),  # deny is WRITE only
        ("User:alice", "1.2.3.4", "DESCRIBE_CONFIGS", "GROUP", "g", True),  # implied
        ("User:alice", "1.2.3.4", "READ", "GROUP", "g", False),
        ("User:alice", "10.0.0.1", "WRITE", "TOPIC", "local", True),  # host matches
        ("User:alice", "10.0.0.2", "WRITE", "TOPIC", "local", False),
        ("User:root", "1.2.3.4", "ALTER", "CLUSTER", "kafka-cluster", True),  # superuser
        ("User:ANONYMOUS", "1.2.3.4", "READ", "TOPIC", "orders", False),
    ],
)
def test_decisions(setup, principal, host, op, rt, name, allowed):
    authorizer, _, _ = setup
    assert authorizer.authorize(principal, host, op, rt, name) is allowed


def test_off_allows_everything_and_null_follows_enable_sasl(setup):
    authorizer, config, _ = setup
    config["enable_sasl"] = False
    assert authorizer.authorize("User:bob", "h", "WRITE", "TOPIC", "orders")
    config["kafka_enable_authorization"] = True
    assert not authorizer.authorize("User:bob", "h", "WRITE", "TOPIC", "orders")


def test_a_change_clears_cached_decisions(setup):
    authorizer, _, store = setup
    assert not authorizer.authorize("User:bob", "h", "READ", "TOPIC", "orders")
    asyncio.run(store.create([_binding(T, "orders", LIT, Operation.READ, ALLOW, "User:bob")]))
    assert authorizer.authorize("User:bob", "h", "READ", "TOPIC", "orders")


def test_any_topic_write_allows_idempotent_producers(setup):
    authorizer, _, _ = setup
    assert authorizer.authorize_any("User:alice", "h", "WRITE", "TOPIC")
    assert not authorizer.authorize_any("User:bob", "h", "WRITE", "TOPIC")


def test_match_filters_select_what_applies_to_a_name(setup):
    _, _, store = setup
    f = AclFilter(T, "logs-secret", PatternType.MATCH, None, None, Operation.ANY, Permission.ANY)
    names = sorted(b.name for b in store.describe(f))
    assert names == ["*", "logs-", "logs-secret"]
    literal = AclFilter(T, "logs-", LIT, None, None, Operation.ANY, Permission.ANY)
    assert store.describe(literal) == []


@pytest.mark.parametrize(
    "values",
    [
        (1, "t", 3, "User:a", "*", 3, 3),  # ANY resource type
        (2, "t", 2, "User:a", "*", 3, 3),  # MATCH pattern
        (2, "t", 3, "alice", "*", 3, 3),  # principal without a type
        (2, "t", 3, "User:a", "*", 1, 3),  # ANY operation
        (4, "other", 3, "User:a", "*", 7, 3),  # the cluster is kafka-cluster
        (2, "t", 3, "User:a", "*", 3, 9),  # unknown permission
    ],
)
def test_invalid_bindings_are_refused(values):
    with pytest.raises(AclError):
        AclBinding.checked(*values)
