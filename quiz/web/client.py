"""Which address a request comes from, for throttling sign-ins (README: "Behind a proxy")."""

from __future__ import annotations

import ipaddress

from quiz.config import AuthSettings


def client_address(peer: str | None, forwarded_for: str | None, settings: AuthSettings) -> str:
    """The client's address: the connection's peer, or, with ``STRIDE_TRUST_PROXY``, what our
    proxies recorded in ``X-Forwarded-For``.

    Each proxy *appends* the address it received the request from, so the list reads
    ``[what the client wrote itself…], seen by proxy 1, seen by proxy 2 …``: only the last
    ``STRIDE_TRUSTED_PROXIES`` (N, default 1) entries were written by proxies we trust, and the
    client is the N-th from the right. The leftmost entries are the client's own words (an
    attacker rotates them to escape a per-address limit), so they are never used. A list too
    short, or an entry that is not an IP address, falls back to the peer.
    """
    if settings.trust_forwarded_for and forwarded_for:
        entries = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
        if len(entries) >= settings.trusted_proxies:
            candidate = entries[-settings.trusted_proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return peer or "unknown"
