"""Who is asking: the client's address behind a trusted proxy, and the salted
hash that stands for it (rate limits and distinct-client counts never store
the address itself)."""

from __future__ import annotations

import hashlib

from cim.conf import cim_settings
from config.common.clientip import client_ip_from_meta

__all__ = ["client_hash"]


def client_hash(meta: dict) -> str:
    """A salted hash of the client's address: counts distinct clients and
    keys rate limits without ever storing the address itself."""
    salt = cim_settings.CLIENT_HASH_SALT
    return hashlib.sha256(f"{salt}|{client_ip_from_meta(meta)}".encode()).hexdigest()[:32]
