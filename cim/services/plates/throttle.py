"""Fixed-window rate limits in Redis for the resident's forms."""

from __future__ import annotations

from django.utils import timezone

from cim.services.plates.scan_cache import redis_client, redis_key

__all__ = ["throttle"]


def throttle(*, scope: str, client: str, limit: int, window_s: int = 60) -> bool:
    """Fixed-window rate limit in Redis; True when this request is over the limit."""
    key = redis_key("rl", scope, client, int(timezone.now().timestamp()) // window_s)
    pipe = redis_client().pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, window_s + 5)
    count, _ = pipe.execute()
    return count > limit
