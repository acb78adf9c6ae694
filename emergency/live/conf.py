"""Settings of the live path, read from ``settings.EMERGENCY`` (a dict) with
the defaults below; a deployment sets only what it changes.

The age after which a unit's position counts as stale is the emergency app's
``UNIT_POSITION_STALE_S`` (the same notion the recommendation uses).
"""

from __future__ import annotations

from django.conf import settings

__all__ = ["DEFAULTS", "live_conf", "stale_after_s"]

DEFAULTS = {
    # Events are kept this long; a console resuming from an older id must reload over REST.
    "LIVE_EVENT_RETENTION_S": 24 * 3600,
    # More missed events than this on resume: reloading is cheaper than replaying.
    "LIVE_REPLAY_MAX": 5000,
    # How long a gap in the event ids may hold later events back while the
    # transaction that took the missing id may still commit.
    "LIVE_EVENT_HOLD_S": 2.0,
    # Each ASGI process looks for events it was not told about this often.
    "LIVE_EVENT_POLL_S": 1.0,
    # Positions go to the consoles every flush tick, each unit at most once
    # per min interval (0.25 s: ≤ 4 updates per unit per second).
    "LIVE_POSITION_FLUSH_S": 0.1,
    "LIVE_POSITION_MIN_INTERVAL_S": 0.25,
    # Stale units are looked up this often.
    "LIVE_STALE_CHECK_S": 5.0,
    # Old history and events are purged at most this often by an ASGI process.
    "LIVE_PURGE_INTERVAL_S": 600.0,
    # Each hub renews its membership of the live groups this often: the
    # channel layer drops a membership after its group expiry (a day by default).
    "LIVE_GROUP_RENEW_S": 600.0,
    # Position history is kept this long; fixes older than this are refused.
    "POSITION_RETENTION_S": 7 * 24 * 3600,
    # A fix may lie this far in the future (device clocks drift).
    "POSITION_MAX_SKEW_S": 30.0,
    "POSITION_BATCH_MAX": 1000,
    # A unit's stored position (used by dispatch and the REST map) is
    # rewritten at most this often; the history and the consoles get every fix.
    "POSITION_UNIT_WRITE_INTERVAL_S": 1.0,
    "POSITION_MAX_SPEED_KMH": 400.0,
    # (min lon, min lat, max lon, max lat) fixes must fall in; None: the extent
    # of the administrative areas in the database grown by the margin below.
    "POSITION_EXTENT": None,
    "POSITION_EXTENT_MARGIN_KM": 50.0,
    # HTTP batch requests per user (DRF rate syntax).
    "POSITION_HTTP_RATE": "6000/min",
    # Messages a WebSocket client may send per second, and the burst allowed.
    "LIVE_WS_RATE_PER_S": 20.0,
    "LIVE_WS_BURST": 40,
    "LIVE_WS_MAX_MESSAGE_BYTES": 1024 * 1024,
    # Response-time targets of the dashboard (seconds).  NFPA 1225: 90 % of
    # calls processed in 60 s; NFPA 1710: turnout 60 s (EMS) / 80 s (fire),
    # first-engine travel 240 s; China (建标152-2017): a fire engine reaches
    # the edge of its district within 5 min of the dispatch order.
    "STATS_TARGETS": {
        "call_processing_s": 60,
        "turnout_s": {"default": 80, "ambulance": 60, "epidemic_team": 60},
        "travel_s": 240,
        "response_s": 300,
    },
}


def live_conf(key: str):
    """One live setting: ``settings.EMERGENCY[key]`` or its default."""
    return getattr(settings, "EMERGENCY", {}).get(key, DEFAULTS[key])


def stale_after_s() -> float:
    from emergency.constants import conf

    return float(conf("UNIT_POSITION_STALE_S"))
