"""TLS contexts for every listener and for broker RPC dials (the standard `ssl` module),
reloaded when their files change.

`server_context(cfg)` builds a TLS 1.2+ context from a listener's `*_tls` entry; with
`require_client_auth` clients must present a certificate the truststore signed (mTLS).
`client_context(cfg)` is this broker's side of a broker RPC connection. Both return a
`ReloadingContext`: the listener (or dialer) keeps that one object, and every connection it
wraps is handed the context current at that moment. While an event loop runs, the files are
checked every `RELOAD_INTERVAL_S`: when the certificate, key or truststore file changes, a fresh
context is built from them and used for connections made after that, so a truststore that drops a
CA stops trusting it (an `SSLContext` can only add CAs, never forget them); connections already
open keep the context they were made with. A half-written pair (a certificate whose key does not
match yet) is skipped with one warning and loaded once both files agree.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import weakref
from collections.abc import Callable
from typing import Any

from core.config.node import TlsConfig

log = logging.getLogger("ailurus.tls")

RELOAD_INTERVAL_S = 1.0


class ReloadingContext(ssl.SSLContext):
    """What a listener serves (or a dialer dials) with: a stand-in that wraps every new connection
    with the context `current` at that moment (asyncio and aiohttp call `wrap_bio`; blocking
    sockets `wrap_socket`). Its own settings are unused."""

    current: ssl.SSLContext

    def wrap_bio(self, incoming: Any, outgoing: Any, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        return self.current.wrap_bio(incoming, outgoing, *args, **kwargs)

    def wrap_socket(self, sock: Any, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        return self.current.wrap_socket(sock, *args, **kwargs)


def server_context(cfg: TlsConfig) -> ReloadingContext:
    """TLS 1.2+ with the listener's certificate; with `require_client_auth`, clients must present
    a certificate signed by the truststore (mTLS)."""
    return reloading(ssl.PROTOCOL_TLS_SERVER, cfg, _build_server)


def client_context(cfg: TlsConfig) -> ReloadingContext:
    """For this broker's own connections to a TLS listener (broker RPC): verify the peer against
    the truststore (no host name: peers are dialled by address) and present this node's
    certificate, so a listener requiring client auth accepts it."""
    return reloading(ssl.PROTOCOL_TLS_CLIENT, cfg, _build_client)


def _build_server(cfg: TlsConfig) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cfg.cert_file, cfg.key_file)
    if cfg.truststore_file:
        ctx.load_verify_locations(cfg.truststore_file)
    ctx.verify_mode = ssl.CERT_REQUIRED if cfg.require_client_auth else ssl.CERT_NONE
    return ctx


def _build_client(cfg: TlsConfig) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cfg.truststore_file)
    ctx.check_hostname = False
    ctx.load_cert_chain(cfg.cert_file, cfg.key_file)
    return ctx


Builder = Callable[[TlsConfig], ssl.SSLContext]


def reloading(protocol: int, cfg: TlsConfig, build: Builder) -> ReloadingContext:
    """`build(cfg)` behind a ReloadingContext, rebuilt when cfg's files change (polled on the
    running loop; none outside one). Files left empty in cfg are not watched."""
    ctx = ReloadingContext(protocol)
    stamp = _stamp(cfg)
    ctx.current = build(cfg)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return ctx  # built outside the broker's loop (tools, tests): no reload
    _Watcher(ctx, cfg, build, loop, stamp).schedule()
    return ctx


def _files(cfg: TlsConfig) -> tuple[str, ...]:
    return tuple(f for f in (cfg.cert_file, cfg.key_file, cfg.truststore_file) if f)


def _stamp(cfg: TlsConfig) -> tuple[tuple[int, int, int], ...]:
    """What changes when a file is rewritten or replaced: inode, size and mtime (ns)."""
    out = []
    for path in _files(cfg):
        try:
            st = os.stat(path)
        except OSError:
            out.append((0, 0, 0))
            continue
        out.append((st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(out)


class _Watcher:
    """Polls one context's files on the loop; ends when the context is gone."""

    def __init__(
        self,
        ctx: ReloadingContext,
        cfg: TlsConfig,
        build: Builder,
        loop: asyncio.AbstractEventLoop,
        stamp: tuple,
    ):
        self._ctx = weakref.ref(ctx)
        self._cfg = cfg
        self._build = build
        self._loop = loop
        self._stamp = stamp
        self._failed_stamp: tuple | None = None

    def schedule(self) -> None:
        if not self._loop.is_closed():
            self._loop.call_later(RELOAD_INTERVAL_S, self.check)

    def check(self) -> None:
        ctx = self._ctx()
        if ctx is None:
            return
        stamp = _stamp(self._cfg)
        if stamp != self._stamp and stamp != self._failed_stamp:
            self._reload(ctx, stamp)
        self.schedule()

    def _reload(self, ctx: ReloadingContext, stamp: tuple) -> None:
        try:
            fresh = self._build(self._cfg)
        except (OSError, ssl.SSLError) as exc:
            self._failed_stamp = stamp  # one warning per state of the files
            log.warning(
                "TLS files %s changed but cannot be loaded (%s); still serving the previous ones",
                ", ".join(_files(self._cfg)),
                exc,
            )
            return
        ctx.current = fresh
        self._stamp, self._failed_stamp = stamp, None
        log.info("TLS certificate reloaded from %s", self._cfg.cert_file)
