"""Settings of the ASGI server the live tests start: the test settings with
short live intervals, so stale flags and event holds show within a test."""

from config.settings.test import *  # noqa: F401,F403

EMERGENCY = {
    **globals().get("EMERGENCY", {}),
    "UNIT_POSITION_STALE_S": 3,
    "LIVE_STALE_CHECK_S": 0.5,
    "LIVE_EVENT_POLL_S": 0.5,
    "LIVE_EVENT_HOLD_S": 1.0,
}
