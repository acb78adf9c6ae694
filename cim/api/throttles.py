"""Rate limits of the public endpoints."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from cim.services.plates import client_hash
from cim.services.plates.throttle import ACTIONS, action_throttled

__all__ = ["PublicThrottle", "ReportActionThrottle", "TrackActionThrottle"]


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


class _ActionThrottle(BaseThrottle):
    """The resident's action limit (cim.services.plates.throttle), counted on
    the same key as the scan page's form: one limit, whatever the door."""

    action = ""

    def allow_request(self, request, view) -> bool:
        return not action_throttled(self.action, client_hash(request.META))

    def wait(self) -> float:
        return float(ACTIONS[self.action][1])


class ReportActionThrottle(_ActionThrottle):
    action = "report"


class TrackActionThrottle(_ActionThrottle):
    action = "track"
