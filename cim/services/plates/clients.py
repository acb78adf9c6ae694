"""Who is asking: the client's address behind a trusted proxy, and the salted
hash that stands for it (rate limits and distinct-client counts never store
the address itself)."""

from __future__ import annotations

import hashlib
import ipaddress

from django.conf import settings

from cim.services.plates._settings import cim_setting

__all__ = ["client_hash", "client_ip"]


def client_ip(meta: dict) -> str:
    """The client's address; behind a trusted reverse proxy (loopback by
    default) the last hop it added to X-Forwarded-For."""
    remote = meta.get("REMOTE_ADDR", "") or ""
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and remote in cim_setting("TRUSTED_PROXIES"):
        candidate = forwarded.split(",")[-1].strip()
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
