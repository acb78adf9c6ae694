"""The plate settings (``settings.CIM``) with their defaults, read in one place."""

from __future__ import annotations

from django.conf import settings

DEFAULTS = {
    "TRUSTED_PROXIES": ("127.0.0.1", "::1"),  # reverse proxies whose X-Forwarded-For is believed
    "SCAN_RATE_PER_MIN": 60,  # scan-page requests per client and minute
    "SCAN_SPIKE_PER_MIN": 60,  # scans of one plate in a minute that raise an alert
    "SCAN_PAGE_TTL_S": 1800,  # how long a rendered scan page stays in Redis
}


def cim_setting(name: str):
    """``settings.CIM[name]``, or its default above."""
    return settings.CIM.get(name, DEFAULTS[name])
