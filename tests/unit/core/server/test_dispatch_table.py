"""The static API key table of core.server.dispatch agrees with the handler modules it names,
and answering ApiVersions or routing a key loads no handler but that key's."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

from core.protocol.codec import request_class
from core.server import dispatch, handlers


def _served_by(module) -> tuple[int, int] | None:
    """The handler's range, narrowed to the versions kio has request schemas for."""
    lo, hi = module.MIN_VERSION, module.MAX_VERSION
    while lo <= hi and request_class(module.API_KEY, lo) is None:
        lo += 1
    while hi >= lo and request_class(module.API_KEY, hi) is None:
        hi -= 1
    return (lo, hi) if lo <= hi else None


def test_the_table_agrees_with_every_handler_module():
    names = {
        info.name
        for info in pkgutil.iter_modules(handlers.__path__)
        if not info.name.startswith("_")
    }
    assert names == {name for name, _, _ in dispatch.HANDLER_TABLE.values()}
    for key, (name, lo, hi) in dispatch.HANDLER_TABLE.items():
        module = importlib.import_module(f"{dispatch.HANDLERS_PACKAGE}.{name}")
        assert module.API_KEY == key, name
        assert _served_by(module) == (lo, hi), name
        assert dispatch.handlers()[key] is module
        assert dispatch.version_range(key) == (lo, hi)
        assert dispatch.supported(key, lo) and dispatch.supported(key, hi)
        assert not dispatch.supported(key, hi + 1) and not dispatch.supported(key, lo - 1)
    assert dispatch.version_range(34) is None and 34 not in dispatch.handlers()


LOADED = """
import sys
from core.server import dispatch
from core.server.handlers import api_versions
served = api_versions.served()
dispatch.handlers()[3]
loaded = sorted(m for m in sys.modules if m.startswith("core.server.handlers."))
print(len(served), loaded)
"""


def test_api_versions_imports_no_handler_and_a_key_only_its_own():
    out = subprocess.run(
        [sys.executable, "-c", LOADED], capture_output=True, text=True, check=True
    ).stdout.split(" ", 1)
    assert int(out[0]) == len(dispatch.HANDLER_TABLE)
    assert out[1].strip() == str(
        ["core.server.handlers.api_versions", "core.server.handlers.metadata"]
    )
