"""The single registry of -X keys: their profile YAML paths, kinds, env names and help.

The same table parses `-X key=value`, `RPK_*` env vars and `rpk profile set`, and prints
`-X help` / `-X list`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from cli.config.values import parse_bool, parse_duration, split_list
from cli.errors import UsageError

SASL_MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN")


@dataclass(frozen=True)
class XFlag:
    key: str
    path: str  # dotted path inside a profile; "globals.*" lives at the rpk.yaml top level
    kind: str  # list | bool | str | duration | tls | mechanism
    example: str
    help: str

    @property
    def env(self) -> str:
        return "RPK_" + self.key.upper().replace(".", "_")

    @property
    def is_global(self) -> bool:
        return self.path.startswith("globals.")


def _tls_family(prefix: str, path: str, what: str) -> list[XFlag]:
    return [
        XFlag(
            f"{prefix}tls.enabled",
            path,
            "tls",
            "false",
            f"A boolean that enables TLS for the {what}.",
        ),
        XFlag(
            f"{prefix}tls.insecure_skip_verify",
            f"{path}.insecure_skip_verify",
            "bool",
            "false",
            f"A boolean that skips verifying the {what} server certificate.",
        ),
        XFlag(
            f"{prefix}tls.ca",
            f"{path}.ca_file",
            "str",
            "/path/to/ca.pem",
            f"A filepath to a PEM encoded CA cert file to talk to the {what} with TLS.",
        ),
        XFlag(
            f"{prefix}tls.cert",
            f"{path}.cert_file",
            "str",
            "/path/to/cert.pem",
            f"A filepath to a PEM encoded client certificate file for mTLS to the {what}.",
        ),
        XFlag(
            f"{prefix}tls.key",
            f"{path}.key_file",
            "str",
            "/path/to/key.pem",
            f"A filepath to a PEM encoded client key file for mTLS to the {what}.",
        ),
    ]


def _globals() -> list[XFlag]:
    return [
        XFlag(
            "globals.prompt",
            "globals.prompt",
            "str",
            'bg-red "%n"',
            "A format string for the prompt of the current profile.",
        ),
        XFlag(
            "globals.no_default_cluster",
            "globals.no_default_cluster",
            "bool",
            "false",
            "A boolean that disables the default cluster at 127.0.0.1.",
        ),
        XFlag(
            "globals.command_timeout",
            "globals.command_timeout",
            "duration",
            "30s",
            "A duration that rpk waits for a command to complete.",
        ),
        XFlag(
            "globals.dial_timeout",
            "globals.dial_timeout",
            "duration",
            "3s",
            "A duration that rpk waits for a connection to be established.",
        ),
        XFlag(
            "globals.request_timeout_overhead",
            "globals.request_timeout_overhead",
            "duration",
            "10s",
            "A duration that limits how long rpk waits for responses, on top of the request's timeout.",
        ),
        XFlag(
            "globals.retry_timeout",
            "globals.retry_timeout",
            "duration",
            "30s",
            "A duration that rpk keeps retrying retryable errors.",
        ),
        XFlag(
            "globals.fetch_max_wait",
            "globals.fetch_max_wait",
            "duration",
            "5s",
            "A duration that the broker waits before answering a fetch.",
        ),
        XFlag(
            "globals.kafka_protocol_request_client_id",
            "globals.kafka_protocol_request_client_id",
            "str",
            "rpk",
            "The client ID rpk sends in Kafka requests.",
        ),
    ]


XFLAGS: tuple[XFlag, ...] = tuple(
    [
        XFlag(
            "brokers",
            "kafka_api.brokers",
            "list",
            "127.0.0.1:9092,localhost:9094",
            "A comma separated list of host:ports that rpk talks to for the Kafka API (default 127.0.0.1:9092).",
        ),
        *_tls_family("", "kafka_api.tls", "Kafka API"),
        XFlag(
            "sasl.mechanism",
            "kafka_api.sasl.mechanism",
            "mechanism",
            "SCRAM-SHA-256",
            "The SASL mechanism to use for authentication: SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN.",
        ),
        XFlag(
            "user",
            "kafka_api.sasl.user",
            "str",
            "username",
            "A username for SASL and Admin API basic auth.",
        ),
        XFlag(
            "pass",
            "kafka_api.sasl.password",
            "str",
            "password",
            "A password for SASL and Admin API basic auth.",
        ),
        XFlag(
            "admin.hosts",
            "admin_api.addresses",
            "list",
            "localhost:9644,rp.example.com:9644",
            "A comma separated list of host:ports that rpk talks to for the Admin API (default 127.0.0.1:9644).",
        ),
        *_tls_family("admin.", "admin_api.tls", "Admin API"),
        XFlag(
            "registry.hosts",
            "schema_registry.addresses",
            "list",
            "localhost:8081",
            "A comma separated list of host:ports that rpk talks to for the Schema Registry (default 127.0.0.1:8081).",
        ),
        *_tls_family("registry.", "schema_registry.tls", "Schema Registry"),
        *_globals(),
    ]
)
BY_KEY = {flag.key: flag for flag in XFLAGS}


def lookup(key: str) -> XFlag:
    try:
        return BY_KEY[key.strip().lower()]
    except KeyError:
        raise UsageError(f'flag config: unknown key "{key}"') from None


def convert(flag: XFlag, raw: str) -> Any:
    """Parse `raw` into the YAML value stored at `flag.path`."""
    kind = flag.kind
    if kind == "list":
        if raw.strip().startswith("["):
            return [str(v) for v in _yaml_list(raw)]
        return split_list(raw)
    if kind in ("bool", "tls"):
        return parse_bool(raw)
    if kind == "duration":
        parse_duration(raw)  # validate, but keep rpk's textual form in the file
        return raw.strip()
    if kind == "mechanism":
        value = raw.strip().upper()
        if value not in SASL_MECHANISMS:
            raise UsageError(
                f"unknown SASL mechanism {raw!r}, supported: {', '.join(SASL_MECHANISMS)}"
            )
        return value
    return raw


def set_path(doc: dict, path: str, value: Any) -> None:
    """Set a dotted path in a nested dict, creating intermediate mappings."""
    parts = path.split(".")
    node = doc
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def get_path(doc: dict, path: str) -> Any:
    node: Any = doc
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def apply(profile: dict, globals_: dict, key: str, raw: str) -> None:
    """Apply one `key=value` to a profile (or the globals) as rpk's -X would."""
    flag = lookup(key)
    value = convert(flag, raw)
    if flag.is_global:
        set_path(globals_, flag.path.removeprefix("globals."), value)
    elif flag.kind == "tls":
        _set_tls_enabled(profile, flag.path, value)
    else:
        set_path(profile, flag.path, value)


def _set_tls_enabled(profile: dict, path: str, enabled: bool) -> None:
    if enabled:
        if not isinstance(get_path(profile, path), dict):
            set_path(profile, path, {})
        return
    parent, _, leaf = path.rpartition(".")
    holder = get_path(profile, parent)
    if isinstance(holder, dict):
        holder.pop(leaf, None)


def render_list() -> str:
    return "\n".join(f"{flag.key}={flag.example}" for flag in XFLAGS) + "\n"


def render_help() -> str:
    intro = (
        "The -X flag can be used to override any rpk specific configuration option.\n"
        "As an example, -X brokers=... replaces the brokers of the current profile.\n"
        "Each key can also be set with an environment variable: RPK_<KEY> with dots\n"
        "replaced by underscores, for example RPK_BROKERS or RPK_ADMIN_HOSTS.\n"
        "Precedence: -X flags, then RPK_* environment variables, then the profile.\n\n"
    )
    blocks = [
        f"{flag.key}={flag.example}\n  {flag.help}\n  env: {flag.env}, yaml: {flag.path}"
        for flag in XFLAGS
    ]
    return intro + "\n\n".join(blocks) + "\n"


def _yaml_list(raw: str) -> list:
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        raise UsageError(f"invalid list {raw!r}") from None
    if not isinstance(value, list):
        raise UsageError(f"invalid list {raw!r}")
    return value
