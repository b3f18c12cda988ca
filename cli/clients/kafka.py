"""Builds kafka-python clients (admin, producer, consumer) from the loaded rpk profile.

Client exceptions are translated here, once, into CliErrors with one clear line.
"""

from __future__ import annotations

import contextlib
import functools
import ssl
from collections.abc import Callable, Iterator
from typing import Any

import kafka.errors as kerr
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from cli.clients.dial import first_dial_failure
from cli.clients.sasl_probe import Refusal, franz_text, refusal
from cli.config.params import Params
from cli.errors import ConnectionFailed, KafkaRequestFailed, UsageError


def client_config(p: Params) -> dict[str, Any]:
    dial_ms = int(p.seconds("dial_timeout") * 1000)
    cfg: dict[str, Any] = {
        "bootstrap_servers": list(p.brokers),
        "client_id": p.client_id,
        "bootstrap_timeout_ms": max(dial_ms, 1000),
        "request_timeout_ms": int((p.seconds("request_timeout_overhead") + 5) * 1000),
        "reconnect_backoff_max_ms": 1000,
    }
    tls, sasl = p.kafka_tls, p.sasl
    if tls is not None:
        cfg.update(
            ssl_cafile=tls.ca_file,
            ssl_certfile=tls.cert_file,
            ssl_keyfile=tls.key_file,
            ssl_check_hostname=not tls.insecure_skip_verify,
        )
    if sasl is not None:
        if not sasl.password:
            raise UsageError(
                f"SASL user {sasl.user!r} has no password: set it with -X pass=... "
                "(or kafka_api.sasl.password in the rpk profile)"
            )
        cfg.update(
            sasl_mechanism=sasl.mechanism,
            sasl_plain_username=sasl.user,
            sasl_plain_password=sasl.password,
        )
    cfg["security_protocol"] = ("SASL_" if sasl else "") + ("SSL" if tls else "PLAINTEXT")
    return cfg


@contextlib.contextmanager
def translated(p: Params) -> Iterator[None]:
    """Turn kafka-python errors into one-line CliErrors naming the brokers."""
    try:
        yield
    except (kerr.KafkaConnectionError, kerr.KafkaTimeoutError):
        refused = _sasl_refusal_of(p)
        if refused is not None:
            raise ConnectionFailed(_refusal_text(p, refused)) from None
        raise ConnectionFailed(unreachable_text(p)) from None
    except kerr.KafkaError as exc:
        if p.sasl is not None and isinstance(exc, kerr.SaslAuthenticationFailedError):
            detail = franz_text("SASL_AUTHENTICATION_FAILED", _text(exc) or None)
            raise ConnectionFailed(_refusal_text(p, Refusal("login", detail))) from None
        if p.sasl is not None and _is_sasl_refusal(exc):
            raise ConnectionFailed(
                _refusal_text(p, Refusal("handshake", _sasl_reason(exc)))
            ) from None
        raise KafkaRequestFailed(describe(exc)) from None


_SASL_ERRORS = (
    kerr.IllegalSaslStateError,
    kerr.UnsupportedSaslMechanismError,
    kerr.SaslAuthenticationFailedError,
)
_checked_logins: set[tuple] = set()  # logins this process saw accepted: asked once


def check_login(p: Params) -> None:
    """With SASL: log in once before building a client, so a refused login fails at once with
    the broker's answer as rpk does (kafka-python would retry it until its bootstrap timed out)."""
    sasl = p.sasl
    if sasl is None or not p.brokers or not sasl.password:
        return
    key = (p.brokers[0], sasl, p.kafka_tls)
    if key in _checked_logins:
        return
    try:
        tls = _probe_tls(p)
    except (OSError, ssl.SSLError):
        return  # the client reports unusable TLS files
    refused = refusal(p.brokers[0], sasl.mechanism, sasl.user, sasl.password, tls)
    if refused is not None:
        raise ConnectionFailed(_refusal_text(p, refused))
    _checked_logins.add(key)


def _sasl_refusal_of(p: Params) -> Refusal | None:
    """After a timeout with SASL configured: the first broker's refusal of the login."""
    if p.sasl is None or not p.brokers:
        return None
    sasl = p.sasl
    try:
        tls = _probe_tls(p)
    except (OSError, ssl.SSLError):
        return None
    return refusal(p.brokers[0], sasl.mechanism, sasl.user, sasl.password, tls)


def _refusal_text(p: Params, refused: Refusal) -> str:
    """A refused login in rpk's words (franz-go's error under rpk's "unable to request
    metadata"); a refused mechanism names what the broker offers."""
    assert p.sasl is not None
    if refused.stage == "login":
        return f"unable to request metadata: {refused.detail}"
    return (
        f"SASL authentication failed: the broker at {','.join(p.brokers)} did not accept SASL "
        f"{p.sasl.mechanism} authentication for user {p.sasl.user!r} ({refused.detail})"
    )


def _probe_tls(p: Params) -> ssl.SSLContext | None:
    """The TLS the Kafka clients use, for the login probe (verification as configured)."""
    tls = p.kafka_tls
    if tls is None:
        return None
    context = ssl.create_default_context(cafile=tls.ca_file or None)
    if tls.cert_file:
        context.load_cert_chain(tls.cert_file, tls.key_file or None)
    if tls.insecure_skip_verify:
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    return context


def _sasl_reason(exc: BaseException) -> str:
    if isinstance(exc, _SASL_ERRORS):
        return describe(exc)
    return "it does not support the SaslHandshake request; is SASL enabled on the broker?"


def _is_sasl_refusal(exc: BaseException) -> bool:
    """An error of the SASL handshake. A broker without SASL does not list SaslHandshake in ApiVersions (kafka-python
    raises IncompatibleBrokerVersion naming SaslHandshakeRequest) or answers it with a bare UNSUPPORTED_VERSION."""
    if isinstance(exc, _SASL_ERRORS):
        return True
    return isinstance(exc, kerr.UnsupportedVersionError) and (not exc.args or "Sasl" in str(exc))


def unreachable_text(p: Params) -> str:
    """rpk's words for brokers that cannot be reached: the dial error if a dial fails."""
    dial = first_dial_failure(p.brokers, 9092, max(p.seconds("dial_timeout"), 0.5))
    if dial is not None:
        return f"unable to request metadata: unable to dial: {dial}"
    return f"unable to request metadata: context deadline exceeded (brokers {','.join(p.brokers)})"


def _text(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines)


def error_name(exc_or_type: Any) -> str:
    """Kafka's upper-case error name, e.g. UNKNOWN_TOPIC_OR_PARTITION."""
    cls = exc_or_type if isinstance(exc_or_type, type) else type(exc_or_type)
    msg = getattr(cls, "message", None)
    return str(msg) if msg else "UNKNOWN_SERVER_ERROR"


def describe(exc: BaseException) -> str:
    name = error_name(exc)
    detail = _text(exc)
    if detail in (name, type(exc).__name__) or detail.startswith("[Error") or not detail:
        detail = getattr(type(exc), "description", "") or ""
    return f"{name}: {detail}" if detail else name


def kafka_command(func: Callable) -> Callable:
    """Run a command body with kafka-python errors translated (apply under @with_globals)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from cli import options

        with translated(options.params()):
            return func(*args, **kwargs)

    return wrapper


def admin(p: Params) -> KafkaAdminClient:
    check_login(p)
    with translated(p):
        return KafkaAdminClient(**client_config(p))


def producer(p: Params, **overrides: Any) -> KafkaProducer:
    check_login(p)
    with translated(p):
        return KafkaProducer(**client_config(p), **overrides)


def consumer(p: Params, **overrides: Any) -> KafkaConsumer:
    """A consumer; fetch_max_wait_ms defaults to globals.fetch_max_wait. As rpk, a fetch may take that long plus
    request_timeout_overhead, so the request timeout grows with it (kafka-python rejects a wait >= the timeout)."""
    cfg = client_config(p)
    cfg["fetch_max_wait_ms"] = int(p.seconds("fetch_max_wait") * 1000)
    cfg.update(overrides)
    overhead_ms = int(p.seconds("request_timeout_overhead") * 1000)
    cfg["request_timeout_ms"] = max(
        cfg["request_timeout_ms"], cfg["fetch_max_wait_ms"] + max(overhead_ms, 1000)
    )
    cfg["connections_max_idle_ms"] = max(
        cfg.get("connections_max_idle_ms", 540000), cfg["request_timeout_ms"] + 1000
    )
    check_login(p)
    with translated(p):
        return KafkaConsumer(**cfg)


@contextlib.contextmanager
def admin_session(p: Params) -> Iterator[KafkaAdminClient]:
    client = admin(p)
    try:
        with translated(p):
            yield client
    finally:
        with contextlib.suppress(Exception):
            client.close()
