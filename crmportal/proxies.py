"""Who the client is, behind the proxies listed in TRUSTED_PROXIES and no others.

From a trusted peer the client is the right-most X-Forwarded-For address that is not itself a
trusted proxy (everything left of it was written by the client and proves nothing), and
X-Forwarded-Proto is kept for SECURE_PROXY_SSL_HEADER. From any other peer both headers are
dropped, so a request straight to daphne cannot choose its address or claim https.
Daphne must run without --proxy-headers: that option believes the headers from every peer.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(entries: list[str] | tuple[str, ...]) -> tuple[Network, ...]:
    """IPs or CIDRs; a bad entry stops start-up with a message naming it."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES takes comma-separated IP addresses or networks, not {entry!r}"
            ) from None
    return tuple(networks)


@lru_cache(maxsize=8)
def _trusted(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(entries)


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return address.ipv4_mapped  # a dual-stack socket's view of an IPv4 peer
    return address


def is_trusted(peer: str) -> bool:
    address = _address(peer or "")
    networks = _trusted(tuple(settings.TRUSTED_PROXIES))
    return address is not None and any(address in network for network in networks)


def client_address(peer: str, forwarded_for: str) -> str:
    """The client behind a trusted peer: walk X-Forwarded-For from the right past our proxies.
    A malformed entry ends the walk at the last proxy that wrote one."""
    client = peer
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        address = _address(hop)
        if address is None:
            break
        client = str(address)
        if not is_trusted(client):
            break
    return client


class TrustedProxyMiddleware:
    """First in MIDDLEWARE: REMOTE_ADDR and X-Forwarded-Proto as the trusted proxies say."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        peer = meta.get("REMOTE_ADDR", "")
        if is_trusted(peer):
            meta["REMOTE_ADDR"] = client_address(peer, meta.get("HTTP_X_FORWARDED_FOR", ""))
        else:
            meta.pop("HTTP_X_FORWARDED_FOR", None)
            meta.pop("HTTP_X_FORWARDED_PROTO", None)
        return self.get_response(request)


FORWARDED_HEADERS = (b"x-forwarded-for", b"x-forwarded-proto")


class TrustedProxyASGI:
    """The same for WebSocket connections: scope["client"] becomes the real client's address
    (what live audit entries record); forwarded headers from other peers are dropped."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            scope = forwarded_scope(scope)
        return await self.app(scope, receive, send)


def forwarded_scope(scope: dict) -> dict:
    peer = (scope.get("client") or ("", 0))[0]
    headers = list(scope.get("headers", []))
    if not is_trusted(peer):
        kept = [(name, value) for name, value in headers if name.lower() not in FORWARDED_HEADERS]
        return {**scope, "headers": kept}
    forwarded = b",".join(value for name, value in headers if name.lower() == b"x-forwarded-for")
    client = client_address(peer, forwarded.decode("latin-1"))
    return {**scope, "client": [client, 0]}
