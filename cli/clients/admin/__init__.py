"""Admin API client (httpx), split by area like rpadmin: brokers, cluster, config, security."""

from __future__ import annotations

from cli.clients.admin._http import DEFAULT_ADMIN_URL, AdminApiError, AdminClient

__all__ = ["AdminApiError", "AdminClient", "DEFAULT_ADMIN_URL", "from_profile"]


def from_profile() -> AdminClient:
    """A client for this invocation's admin hosts, basic auth from the profile's SASL user."""
    from cli.options import params

    p = params()
    auth = (p.sasl.user, p.sasl.password) if p.sasl and p.sasl.user else None
    return AdminClient(
        list(p.admin_urls) or [DEFAULT_ADMIN_URL],
        auth=auth,
        timeout_s=p.seconds("dial_timeout") + p.seconds("request_timeout_overhead"),
        verify=_tls_context(p.admin_tls) if p.admin_tls is not None else True,
    )


def _tls_context(tls):
    """-X admin.tls.ca / cert / key / insecure_skip_verify as an SSL context for httpx."""
    import ssl

    context = ssl.create_default_context(cafile=tls.ca_file or None)
    if tls.cert_file:
        context.load_cert_chain(tls.cert_file, tls.key_file or None)
    if tls.insecure_skip_verify:
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    return context
