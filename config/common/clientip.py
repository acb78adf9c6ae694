"""The client's address, the one rule every rate limit, lockout and scan
counter uses.

``X-Forwarded-For`` is believed only when the request comes from a proxy the
deployment names (``TRUSTED_PROXIES``: addresses or networks, from the
``CIM_TRUSTED_PROXIES`` environment variable).  The default trusts no proxy,
so a client that reaches gunicorn directly cannot pick its own address.
Behind trusted proxies the address is the right-most hop that is not itself a
trusted proxy.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

__all__ = ["client_ip", "client_ip_from_meta", "trusted_networks"]

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _parse(entries: tuple[str, ...]) -> tuple[_Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def trusted_networks() -> tuple[_Network, ...]:
    return _parse(tuple(getattr(settings, "TRUSTED_PROXIES", ())))


def _ip(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return address is not None and any(address in net for net in networks)


def client_ip_from_meta(meta) -> str:
    """The client's address from a WSGI/ASGI ``META`` mapping."""
    remote = (meta.get("REMOTE_ADDR") or "").strip()
    networks = trusted_networks()
    if not networks or not _trusted(_ip(remote), networks):
        return remote
    hops = [hop for hop in (meta.get("HTTP_X_FORWARDED_FOR") or "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _ip(hop)
        if address is None:
            return remote  # a forged or broken header: fall back to the proxy itself
        if not _trusted(address, networks):
            return str(address)
    return remote


def client_ip(request) -> str:
    """The client's address of a Django (or DRF) request."""
    return client_ip_from_meta(request.META)
