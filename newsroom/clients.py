"""Who sent a request: the client address that rate limits, login lock-outs and request logs use.

Only trusted reverse proxies (settings.TRUSTED_PROXY_COUNT) are believed. Each of them appends the address it
received the request from to X-Forwarded-For, so with N of them the client is the N-th entry from the right;
anything further left was written by the client itself and could say anything.
"""

import ipaddress
from collections.abc import Mapping

from django.conf import settings
from django.http import HttpRequest

# One IPv6 client (a home, a cloud machine) routinely owns a whole /64; counting its addresses one by one would
# hand it 2**64 separate allowances.
IPV6_CLIENT_PREFIX = 64


def client_address(meta: Mapping) -> str:
    """The client's IP address, as the outermost trusted proxy (or, without one, the socket) saw it, from a
    request's META (or the WSGI environ newsroom.wsgi_hits answers from)."""
    remote = meta.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(forwarded) < proxies:
        # Fewer hops than proxies: the request did not come through all of them; trust only the socket.
        return remote
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def client_bucket(request: HttpRequest) -> str:
    """The address that limits count against: the client's IPv4 address, or its IPv6 /64 network's first address."""
    address = client_address(request.META)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        if parsed.ipv4_mapped:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_CLIENT_PREFIX}", strict=False).network_address)
    return str(parsed)
