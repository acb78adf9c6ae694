"""Fixed-window rate limits in Redis for the resident's actions.

One limit per action, whatever the door: the scan page's form and the JSON
API count against the same key (the action and the salted client hash), with
the limit declared once in ``cim/conf.py``.
"""

from __future__ import annotations

from django.utils import timezone

from cim.conf import cim_settings
from cim.services.plates.redis_link import redis_client, redis_key

__all__ = ["ACTIONS", "action_throttled", "throttle"]

# action → (setting with the number allowed, window in seconds)
ACTIONS: dict[str, tuple[str, int]] = {
    "report": ("REPORT_RATE_PER_10MIN", 600),
    "track": ("TRACK_RATE_PER_MIN", 60),
    "flag": ("FLAG_RATE_PER_10MIN", 600),
}


def action_throttled(action: str, client: str) -> bool:
    """Count one ``action`` by ``client``; True when it is over the action's limit."""
    setting, window_s = ACTIONS[action]
    return throttle(scope=action, client=client, limit=int(cim_settings[setting]), window_s=window_s)


def throttle(*, scope: str, client: str, limit: int, window_s: int = 60) -> bool:
    """Fixed-window rate limit in Redis; True when this request is over the limit."""
    key = redis_key("rl", scope, client, int(timezone.now().timestamp()) // window_s)
    pipe = redis_client().pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, window_s + 5)
    count, _ = pipe.execute()
    return count > limit
