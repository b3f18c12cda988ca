"""`rpk security` (alias `sec`): SASL users through the Admin API."""

from __future__ import annotations

import typer

from cli._app import add_group, new_group
from cli.commands.security import acl, user


def register(root: typer.Typer) -> None:
    app = new_group("security", "Manage Ailurus security.")
    user.register(app)
    acl.register(app)
    add_group(root, app, "security", aliases=("sec",))
    _register_deprecated_acl(root)


def _register_deprecated_acl(root: typer.Typer) -> None:
    """rpk's hidden, deprecated `rpk acl` (= `rpk security acl`, plus a hidden `acl user`)."""
    acl.register(root)
    legacy = root.registered_groups[-1]
    legacy.hidden = True
    user.register(legacy.typer_instance)
    legacy.typer_instance.registered_groups[-1].hidden = True
