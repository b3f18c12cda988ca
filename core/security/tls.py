"""Server-side TLS contexts for every listener (the standard `ssl` module), reloaded when their
files change.

`server_context(cfg)` builds a TLS 1.2+ context from a listener's `*_tls` entry; with
`require_client_auth` clients must present a certificate the truststore signed (mTLS). While an
event loop runs, the context's files are checked every `RELOAD_INTERVAL_S`: when the certificate,
key or truststore file changes, they are loaded into the same context, so connections accepted
after that use them without a restart (connections already open keep theirs). A half-written
pair (a certificate whose key does not match yet) is skipped with one warning and loaded once
both files agree. A new truststore adds its CAs; the old ones stay trusted until a restart.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
import weakref

from core.config.node import TlsConfig

log = logging.getLogger("ailurus.tls")

RELOAD_INTERVAL_S = 1.0


def server_context(cfg: TlsConfig) -> ssl.SSLContext:
    """TLS 1.2+ with the listener's certificate; with `require_client_auth`, clients must present
    a certificate signed by the truststore (mTLS)."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    _load(ctx, cfg)
    ctx.verify_mode = ssl.CERT_REQUIRED if cfg.require_client_auth else ssl.CERT_NONE
    _watch(ctx, cfg)
    return ctx


def client_context(cfg: TlsConfig) -> ssl.SSLContext:
    """For this broker's own connections to a TLS listener (broker RPC): verify the peer against
    the truststore (no host name: peers are dialled by address) and present this node's
    certificate, so a listener requiring client auth accepts it."""
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cfg.truststore_file)
    ctx.check_hostname = False
    ctx.load_cert_chain(cfg.cert_file, cfg.key_file)
    _watch(ctx, cfg)
    return ctx


def _load(ctx: ssl.SSLContext, cfg: TlsConfig) -> None:
    ctx.load_cert_chain(cfg.cert_file, cfg.key_file)
    if cfg.truststore_file:
        ctx.load_verify_locations(cfg.truststore_file)


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

    def __init__(self, ctx: ssl.SSLContext, cfg: TlsConfig, loop: asyncio.AbstractEventLoop):
        self._ctx = weakref.ref(ctx)
        self._cfg = cfg
        self._loop = loop
        self._stamp = _stamp(cfg)
        self._failed_stamp: tuple | None = None
        self.reloads = 0

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

    def _reload(self, ctx: ssl.SSLContext, stamp: tuple) -> None:
        try:
            _load(ctx, self._cfg)
        except (OSError, ssl.SSLError) as exc:
            self._failed_stamp = stamp  # one warning per state of the files
            log.warning(
                "TLS files %s changed but cannot be loaded (%s); still serving the previous ones",
                ", ".join(_files(self._cfg)),
                exc,
            )
            return
        self._stamp, self._failed_stamp = stamp, None
        self.reloads += 1
        log.info("TLS certificate reloaded from %s", self._cfg.cert_file)


def _watch(ctx: ssl.SSLContext, cfg: TlsConfig) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return  # built outside the broker's loop (tools, tests): no reload
    _Watcher(ctx, cfg, loop).schedule()
