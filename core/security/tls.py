"""Server-side TLS contexts for the listeners (the standard `ssl` module)."""

from __future__ import annotations

import ssl

from core.config.node import TlsConfig


def server_context(cfg: TlsConfig) -> ssl.SSLContext:
    """TLS 1.2+ with the listener's certificate; with `require_client_auth`, clients must present
    a certificate signed by the truststore (mTLS)."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cfg.cert_file, cfg.key_file)
    if cfg.truststore_file:
        ctx.load_verify_locations(cfg.truststore_file)
    ctx.verify_mode = ssl.CERT_REQUIRED if cfg.require_client_auth else ssl.CERT_NONE
    return ctx
