"""Kafka's SCRAM credential APIs (DescribeUserScramCredentials 50, AlterUserScramCredentials 51)
through confluent-kafka's AdminClient on a real broker with SASL on: they change the same users
as the Admin API's /v1/security/users, each path sees the other's changes, SASL logins follow
them, and a user without ALTER/DESCRIBE on the cluster is refused with Kafka's error."""

from __future__ import annotations

import json
import urllib.request

import confluent_kafka as ck
import pytest
from confluent_kafka.admin import (
    AdminClient,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)
from kafka.admin import KafkaAdminClient
from kio.schema.describe_user_scram_credentials.v0.request import (
    DescribeUserScramCredentialsRequest,
    UserName,
)
from kio.schema.errors import ErrorCode

from tests.support.broker import BrokerProcess
from tests.support.raw_client import RawClient
from tests.support.security import (
    SUPERUSER,
    confluent_sasl,
    create_user,
    kafka_python_sasl,
    raw_plain_login,
    sasl_args,
)


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    b = BrokerProcess(tmp_path_factory.mktemp("scram") / "broker", *sasl_args()).start()
    try:
        create_user(b, *SUPERUSER, mechanism="SCRAM-SHA-256")
        create_user(b, "plain-user", "pu-pw", mechanism="SCRAM-SHA-512")
        yield b
    finally:
        b.stop()


def _admin(broker, who=SUPERUSER, mechanism="SCRAM-SHA-256") -> AdminClient:
    return AdminClient(confluent_sasl(broker, *who, mechanism))


def _can_log_in(broker, user, password, mechanism) -> bool:
    """One SASL login with kafka-python (librdkafka would retry a refusal until the broker's
    per-address limit of failed attempts refuses the good ones too)."""
    import kafka.errors as kerr

    cfg = kafka_python_sasl(broker, user, password, mechanism)
    try:
        client = KafkaAdminClient(**cfg, bootstrap_timeout_ms=5000)
    except kerr.KafkaError:
        return False
    client.close()
    return True


def _admin_api_users(broker) -> list[str]:
    with urllib.request.urlopen(f"{broker.admin_url}/v1/security/users", timeout=10) as resp:
        return json.loads(resp.read())


def _alter(admin, changes) -> dict:
    out = {}
    for user, future in admin.alter_user_scram_credentials(changes).items():
        try:
            future.result(10)
            out[user] = None
        except ck.KafkaException as exc:
            out[user] = exc.args[0].code()
    return out


def test_a_user_created_over_kafka_logs_in_and_shows_in_the_admin_api(broker):
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192)
    upsert = UserScramCredentialUpsertion("kuser", info, b"k-pw", b"some-salt-1234")
    assert _alter(_admin(broker), [upsert]) == {"kuser": None}
    assert "kuser" in _admin_api_users(broker)
    assert _can_log_in(broker, "kuser", "k-pw", "SCRAM-SHA-512")
    assert not _can_log_in(broker, "kuser", "wrong", "SCRAM-SHA-512")
    admin = _admin(broker)  # alive until the future resolves
    described = admin.describe_user_scram_credentials(["kuser"])["kuser"].result(10)
    [cred] = described.scram_credential_infos
    assert (cred.mechanism, cred.iterations) == (ScramMechanism.SCRAM_SHA_512, 8192)


def test_an_admin_api_user_is_described_and_deleted_over_kafka(broker):
    admin = _admin(broker)
    everyone = admin.describe_user_scram_credentials().result(10)
    assert everyone["plain-user"].scram_credential_infos[0].mechanism == (
        ScramMechanism.SCRAM_SHA_512
    )
    assert everyone["plain-user"].scram_credential_infos[0].iterations == 4096
    wrong_mech = UserScramCredentialDeletion("plain-user", ScramMechanism.SCRAM_SHA_256)
    assert _alter(admin, [wrong_mech]) == {"plain-user": ck.KafkaError.RESOURCE_NOT_FOUND}
    deletion = UserScramCredentialDeletion("plain-user", ScramMechanism.SCRAM_SHA_512)
    assert _alter(admin, [deletion]) == {"plain-user": None}
    assert "plain-user" not in _admin_api_users(broker)
    assert not _can_log_in(broker, "plain-user", "pu-pw", "SCRAM-SHA-512")


def test_an_upsertion_replaces_the_credential_and_its_mechanism(broker):
    create_user(broker, "swap", "old-pw", mechanism="SCRAM-SHA-256")
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096)
    assert _alter(_admin(broker), [UserScramCredentialUpsertion("swap", info, b"new-pw")]) == {
        "swap": None
    }
    assert _can_log_in(broker, "swap", "new-pw", "SCRAM-SHA-512")
    assert not _can_log_in(broker, "swap", "old-pw", "SCRAM-SHA-256")


def test_bad_alterations_get_kafkas_per_user_errors(broker):
    admin = _admin(broker)
    few = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 1000)
    many = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 20000)
    ok = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096)
    result = _alter(
        admin,
        [
            UserScramCredentialUpsertion("few", few, b"pw"),
            UserScramCredentialUpsertion("many", many, b"pw"),
            UserScramCredentialUpsertion("twice", ok, b"pw"),
            UserScramCredentialDeletion("twice", ScramMechanism.SCRAM_SHA_256),
            UserScramCredentialDeletion("nobody", ScramMechanism.SCRAM_SHA_256),
        ],
    )
    assert result == {
        "few": ck.KafkaError.UNACCEPTABLE_CREDENTIAL,
        "many": ck.KafkaError.UNACCEPTABLE_CREDENTIAL,
        "twice": ck.KafkaError.DUPLICATE_RESOURCE,
        "nobody": ck.KafkaError.RESOURCE_NOT_FOUND,
    }
    assert not {"few", "many", "twice"} & set(_admin_api_users(broker))
    with pytest.raises(ck.KafkaException) as err:
        admin.describe_user_scram_credentials(["nobody"])["nobody"].result(10)
    assert err.value.args[0].code() == ck.KafkaError.RESOURCE_NOT_FOUND


def test_without_cluster_acls_both_apis_are_refused(broker):
    create_user(broker, "weak", "weak-pw", mechanism="SCRAM-SHA-256")
    admin = _admin(broker, ("weak", "weak-pw"))
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096)
    result = _alter(admin, [UserScramCredentialUpsertion("evil", info, b"pw")])
    assert result == {"evil": ck.KafkaError.CLUSTER_AUTHORIZATION_FAILED}
    assert "evil" not in _admin_api_users(broker)
    # Describe over a raw connection: librdkafka 2.16 crashes on this response's top-level
    # error (the one Kafka answers too)
    client = RawClient(broker.kafka_port)
    try:
        raw_plain_login(client, "weak", "weak-pw")
        response = client.request(DescribeUserScramCredentialsRequest(users=None))
        assert response.error_code == ErrorCode.cluster_authorization_failed
        response = client.request(
            DescribeUserScramCredentialsRequest(users=(UserName(name="weak"),))
        )
        assert response.error_code == ErrorCode.cluster_authorization_failed
        assert [r.user for r in response.results] == ["weak"]
        assert not response.results[0].credential_infos
    finally:
        client.close()
