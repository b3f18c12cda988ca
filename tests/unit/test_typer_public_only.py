"""The CLI uses typer's public API only: click is typer's dependency, not ours, and a fresh
`pip install` need not bring it (a CI run's wheel test found rpk failing on `import click`)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("cli", "core", "admin_api", "tuners")


def _imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_shipped_module_imports_click_or_private_typer_modules():
    offenders = []
    for package in SHIPPED:
        for path in sorted((ROOT / package).rglob("*.py")):
            for name in _imported_modules(path):
                top = name.split(".")[0]
                if top == "click" or name.startswith("typer._"):
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert not offenders, offenders
