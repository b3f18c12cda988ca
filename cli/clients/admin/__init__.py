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
    )
