"""Who is asking: the client's address behind a trusted proxy, and the salted
hash that stands for it (rate limits and distinct-client counts never store
the address itself)."""

from __future__ import annotations

import hashlib
import ipaddress
import re

from django.conf import settings

from cim.services.plates._settings import cim_setting

__all__ = ["client_hash", "client_ip"]

# A dotted-quad IPv4 address as ipaddress accepts it (no leading zeros): the
# common case, checked without building an address object.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


def client_ip(meta: dict) -> str:
    """The client's address; behind a trusted reverse proxy (loopback by
    default) the last hop it added to X-Forwarded-For."""
    remote = meta.get("REMOTE_ADDR", "") or ""
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and remote in cim_setting("TRUSTED_PROXIES"):
        candidate = forwarded.split(",")[-1].strip()
        if _IPV4.fullmatch(candidate):
            return candidate
        try:
            ipaddress.ip_address(candidate)
            return candidate
        except ValueError:
            pass
    return remote


def client_hash(meta: dict) -> str:
    """A salted hash of the client's address: counts distinct clients and
    keys rate limits without ever storing the address itself."""
    salt = settings.CIM["CLIENT_HASH_SALT"]
    return hashlib.sha256(f"{salt}|{client_ip(meta)}".encode()).hexdigest()[:32]
