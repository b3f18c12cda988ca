"""rpk.yaml: profiles and globals in the user's config dir (rpk's `config/rpk_yaml.go`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cli.config.files import ConfigFileError, read_yaml, write_yaml

RPK_YAML_VERSION = 6
DEFAULT_PROFILE = "default"
DEFAULT_DESCRIPTION = "Default rpk profile"


def default_path(env: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CONFIG_HOME/rpk/rpk.yaml`, else `~/.config/rpk/rpk.yaml` (Linux `os.UserConfigDir`)."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME")
    if not base:
        home = env.get("HOME") or str(Path.home())
        base = str(Path(home) / ".config")
    return Path(base) / "rpk" / "rpk.yaml"


def is_rpk_yaml(doc: object) -> bool:
    """rpk tells rpk.yaml from redpanda.yaml by its top-level `version:` field."""
    return isinstance(doc, dict) and "version" in doc


@dataclass
class RpkYaml:
    path: Path
    doc: dict = field(default_factory=dict)
    exists: bool = False

    @property
    def profiles(self) -> list[dict]:
        profiles = self.doc.get("profiles")
        if not isinstance(profiles, list):
            profiles = []
            self.doc["profiles"] = profiles
        return profiles

    @property
    def globals(self) -> dict:
        value = self.doc.get("globals")
        if not isinstance(value, dict):
            value = {}
            self.doc["globals"] = value
        return value

    @property
    def current_profile(self) -> str:
        return str(self.doc.get("current_profile") or "")

    @current_profile.setter
    def current_profile(self, name: str) -> None:
        self.doc["current_profile"] = name

    def profile(self, name: str) -> dict | None:
        for prof in self.profiles:
            if isinstance(prof, dict) and prof.get("name") == name:
                return prof
        return None

    def require_profile(self, name: str) -> dict:
        prof = self.profile(name)
        if prof is None:
            raise ConfigFileError(f'profile "{name}" does not exist')
        return prof

    def remove_profile(self, name: str) -> None:
        prof = self.require_profile(name)
        self.profiles.remove(prof)
        if self.current_profile == name:
            self.current_profile = ""

    def save(self) -> None:
        self.doc["version"] = RPK_YAML_VERSION
        ordered = {
            "version": RPK_YAML_VERSION,
            "globals": self.globals,
            "current_profile": self.current_profile,
            "profiles": self.profiles,
        }
        ordered.update({k: v for k, v in self.doc.items() if k not in ordered})
        write_yaml(self.path, ordered)
        self.exists = True


def load_rpk_yaml(path: Path) -> RpkYaml:
    doc = read_yaml(path)
    if doc is None:
        return RpkYaml(path=path, doc={"version": RPK_YAML_VERSION}, exists=False)
    if not isinstance(doc, dict):
        raise ConfigFileError(f"unable to parse {path}: expected a YAML mapping")
    version = doc.get("version")
    if not isinstance(version, int):
        raise ConfigFileError(f"{path} is not an rpk.yaml file: missing integer 'version'")
    if version > RPK_YAML_VERSION:
        raise ConfigFileError(
            f"{path} is version {version}, newer than this rpk understands ({RPK_YAML_VERSION}); please upgrade rpk"
        )
    return RpkYaml(path=path, doc=doc, exists=True)


def default_profile() -> dict:
    return {"name": DEFAULT_PROFILE, "description": DEFAULT_DESCRIPTION}
