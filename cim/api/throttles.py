"""Rate limits of the public endpoints."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from cim.services.plates import client_hash

__all__ = ["PublicThrottle", "PublicWriteThrottle"]


class PublicThrottle(SimpleRateThrottle):
    """Per-client limit for anonymous callers, keyed by the salted client hash
    (never the address itself); rates are read from settings at request time."""

    scope = "public"

    def get_rate(self):
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": client_hash(request.META)}


class PublicWriteThrottle(PublicThrottle):
    """The tighter limit of public writes (filing a report)."""

    scope = "public_write"
