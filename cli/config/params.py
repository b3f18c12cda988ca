"""Loading the effective ("virtual") rpk profile, as rpk's `Params.Load` does.

The pipeline, one step per line (lowest precedence first):
  1. read rpk.yaml (--config if it is one, else the user's config dir) and pick the profile
     (--profile, else `current_profile`; a named profile that does not exist is an error);
  2. without a profile, fall back to redpanda.yaml's `rpk:` section, then to its listeners;
  3. apply legacy env vars (REDPANDA_BROKERS, ...), then RPK_* env vars;
  4. apply -X key=value overrides (and the hidden back-compat flags, turned into -X);
  5. fill defaults (127.0.0.1:9092 / :9644 / :8081, each side derived from the other);
  6. normalise addresses: add missing ports, keep http(s):// schemes on admin/registry hosts.
Commands only read the result; writes go to the actual files (rpk_yaml / redpanda_yaml).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cli.config import redpanda_yaml, rpk_yaml
from cli.config.files import read_yaml
from cli.config.values import parse_bool, parse_duration, split_kv
from cli.config.xflags import XFLAGS, apply, get_path
from cli.errors import UsageError

LEGACY_ENV = {
    "REDPANDA_BROKERS": "brokers",
    "REDPANDA_API_ADMIN_ADDRS": "admin.hosts",
    "REDPANDA_SASL_MECHANISM": "sasl.mechanism",
    "REDPANDA_SASL_USERNAME": "user",
    "REDPANDA_SASL_PASSWORD": "pass",
    "REDPANDA_TLS_TRUSTSTORE": "tls.ca",
    "REDPANDA_TLS_CA": "tls.ca",
    "REDPANDA_TLS_CERT": "tls.cert",
    "REDPANDA_TLS_KEY": "tls.key",
    "REDPANDA_ADMIN_TLS_TRUSTSTORE": "admin.tls.ca",
    "REDPANDA_ADMIN_TLS_CA": "admin.tls.ca",
    "REDPANDA_ADMIN_TLS_CERT": "admin.tls.cert",
    "REDPANDA_ADMIN_TLS_KEY": "admin.tls.key",
}
GLOBAL_DEFAULTS = {
    "command_timeout": "30s",
    "dial_timeout": "3s",
    "request_timeout_overhead": "10s",
    "retry_timeout": "30s",
    "fetch_max_wait": "5s",
    "kafka_protocol_request_client_id": "rpk",
}


@dataclass(frozen=True)
class Tls:
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure_skip_verify: bool = False


@dataclass(frozen=True)
class Sasl:
    mechanism: str
    user: str
    password: str


@dataclass(frozen=True)
class Params:
    profile_name: str
    brokers: tuple[str, ...]
    admin_hosts: tuple[str, ...]
    registry_hosts: tuple[str, ...]
    kafka_tls: Tls | None = None
    admin_tls: Tls | None = None
    registry_tls: Tls | None = None
    sasl: Sasl | None = None
    globals: dict = field(default_factory=dict)
    profile: dict = field(default_factory=dict)
    rpk_yaml_path: Path | None = None
    redpanda_yaml_path: Path | None = None

    @property
    def admin_urls(self) -> tuple[str, ...]:
        return tuple(_with_scheme(h, self.admin_tls is not None) for h in self.admin_hosts)

    @property
    def registry_urls(self) -> tuple[str, ...]:
        return tuple(_with_scheme(h, self.registry_tls is not None) for h in self.registry_hosts)

    def seconds(self, name: str) -> float:
        """A `globals.*` duration, in seconds; as rpk, an unset or zero duration (`0s`) means the default."""
        value = parse_duration(str(self.globals.get(name) or "0s"))
        return value if value != 0 else parse_duration(GLOBAL_DEFAULTS[name])

    @property
    def client_id(self) -> str:
        return str(self.globals.get("kafka_protocol_request_client_id") or "rpk")


def _with_scheme(host: str, tls: bool) -> str:
    return host if "://" in host else f"{'https' if tls else 'http'}://{host}"


def split_config_path(config: Path | None, env: Mapping[str, str]) -> tuple[Path, Path | None]:
    """(rpk.yaml path, redpanda.yaml path) for a --config value, told apart by `version:`."""
    if config is not None and rpk_yaml.is_rpk_yaml(read_yaml(config)):
        return config, redpanda_yaml.find_path(None)
    return rpk_yaml.default_path(env), redpanda_yaml.find_path(config)


def load_params(
    config: Path | str | None = None,
    profile: str | None = None,
    overrides: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> Params:
    env = os.environ if env is None else env
    rpk_path, rp_path = split_config_path(Path(config) if config else None, env)
    rpk = rpk_yaml.load_rpk_yaml(rpk_path)
    name, virtual = _select_profile(rpk, profile, rp_path)
    globals_ = copy.deepcopy(rpk.globals) if rpk.exists else {}
    for var, key in LEGACY_ENV.items():
        if env.get(var):
            apply(virtual, globals_, key, env[var])
    for flag in XFLAGS:
        if flag.env in env:
            apply(virtual, globals_, flag.key, env[flag.env])
    for item in overrides:
        key, value = split_kv(item, "-X flag")
        apply(virtual, globals_, key, value)
    return _build(name, virtual, globals_, rpk_path, rp_path)


def _select_profile(
    rpk: rpk_yaml.RpkYaml, wanted: str | None, rp_path: Path | None
) -> tuple[str, dict]:
    if wanted:
        return wanted, copy.deepcopy(rpk.require_profile(wanted))
    current = rpk.profile(rpk.current_profile) if rpk.current_profile else None
    if current is not None:
        return rpk.current_profile, copy.deepcopy(current)
    return rpk_yaml.DEFAULT_PROFILE, _from_redpanda_yaml(redpanda_yaml.load(rp_path))


def _from_redpanda_yaml(doc: dict | None) -> dict:
    """The profile implied by redpanda.yaml: its `rpk:` section, else its listeners."""
    profile = rpk_yaml.default_profile()
    if not doc:
        return profile
    section = doc.get("rpk") or {}
    for key in ("kafka_api", "admin_api", "schema_registry"):
        if isinstance(section.get(key), dict):
            profile[key] = copy.deepcopy(section[key])
    if not get_path(profile, "kafka_api.brokers"):
        hosts = redpanda_yaml.listener_hosts(doc, "kafka_api", redpanda_yaml.KAFKA_PORT)
        if hosts:
            profile.setdefault("kafka_api", {})["brokers"] = hosts[:1]
    if not get_path(profile, "admin_api.addresses"):
        hosts = redpanda_yaml.listener_hosts(doc, "admin", redpanda_yaml.ADMIN_PORT)
        if hosts:
            profile.setdefault("admin_api", {})["addresses"] = hosts[:1]
    return profile


def _build(
    name: str, virtual: dict, globals_: dict, rpk_path: Path, rp_path: Path | None
) -> Params:
    brokers = _hosts(get_path(virtual, "kafka_api.brokers"))
    admin = _hosts(get_path(virtual, "admin_api.addresses"))
    registry = _hosts(get_path(virtual, "schema_registry.addresses"))
    if not parse_bool(str(globals_.get("no_default_cluster", "false"))):
        brokers, admin, registry = _fill_defaults(brokers, admin, registry)
    return Params(
        profile_name=name,
        brokers=tuple(with_port(h, redpanda_yaml.KAFKA_PORT) for h in brokers),
        admin_hosts=tuple(with_port(h, redpanda_yaml.ADMIN_PORT) for h in admin),
        registry_hosts=tuple(with_port(h, redpanda_yaml.REGISTRY_PORT) for h in registry),
        kafka_tls=_tls(get_path(virtual, "kafka_api.tls")),
        admin_tls=_tls(get_path(virtual, "admin_api.tls")),
        registry_tls=_tls(get_path(virtual, "schema_registry.tls")),
        sasl=_sasl(get_path(virtual, "kafka_api.sasl")),
        globals=globals_,
        profile=virtual,
        rpk_yaml_path=rpk_path,
        redpanda_yaml_path=rp_path,
    )


def _hosts(value: object) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        return []
    return [str(v).strip() for v in value if str(v).strip()]


def _fill_defaults(brokers: list[str], admin: list[str], registry: list[str]):
    if not brokers and not admin:
        brokers, admin = ["127.0.0.1"], ["127.0.0.1"]
    elif not brokers:
        brokers = [host_of(h) for h in admin]
    elif not admin:
        admin = [host_of(h) for h in brokers]
    if not registry:
        registry = [host_of(h) for h in admin]
    return brokers, admin, registry


def host_of(address: str) -> str:
    """The host part of `[scheme://]host[:port]`."""
    rest = address.split("://", 1)[-1]
    if rest.startswith("["):
        return rest[: rest.index("]") + 1]
    if rest.count(":") == 1:
        return rest.rsplit(":", 1)[0]
    return rest


def with_port(address: str, port: int) -> str:
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "", address
    rest = rest.rstrip("/")
    has_port = (rest.startswith("[") and "]:" in rest) or (
        not rest.startswith("[") and rest.count(":") == 1
    )
    if not has_port:
        rest = f"{rest}:{port}"
    return f"{scheme}://{rest}" if sep else rest


def _tls(value: object) -> Tls | None:
    if not isinstance(value, dict):
        return None
    return Tls(
        ca_file=value.get("ca_file"),
        cert_file=value.get("cert_file"),
        key_file=value.get("key_file"),
        insecure_skip_verify=bool(value.get("insecure_skip_verify", False)),
    )


def _sasl(value: object) -> Sasl | None:
    if not isinstance(value, dict) or not value.get("user"):
        return None
    mechanism = str(value.get("mechanism") or "SCRAM-SHA-256").upper()
    return Sasl(
        mechanism=mechanism, user=str(value["user"]), password=str(value.get("password") or "")
    )


def split_host_port(address: str, default_port: int) -> tuple[str, int]:
    full = with_port(address.split("://", 1)[-1], default_port)
    host, _, port = full.rpartition(":")
    try:
        return host.strip("[]"), int(port)
    except ValueError:
        raise UsageError(f"invalid address {address!r}: bad port") from None
