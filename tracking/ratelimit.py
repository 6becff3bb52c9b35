"""The per-IP rate limit of tracking links in Redis, when `TRACKING_REDIS_URL` is set.

A window is a counter per (hashed IP, minute) that lives two minutes: a Redis key with a TTL
fits it better than a table row that is inserted on every click and deleted an hour later. One
script call counts a whole batch of clicks atomically (INCR per key, in arrival order, so the
n-th click of an IP in a minute sees n). Without Redis, or when it does not answer within
`TRACKING_REDIS_TIMEOUT_MS`, the windows are counted in the database as before (the table
`tracking_rate_limits`): a Redis outage only moves the counting, it never blocks a redirect.

Counts in Redis and in the database are separate: after a failover an IP may get up to one more
minute's allowance. Keys hold only the HMAC of the IP (no raw IP is stored anywhere).
"""

import logging
import threading
import time
from collections.abc import Sequence

from django.conf import settings

logger = logging.getLogger(__name__)

KEY_PREFIX = "tracking:rl:"
WINDOW_TTL_SECONDS = 120
_FAILURE_BACKOFF_SECONDS = 5.0

_COUNT_SCRIPT = """
local ttl = tonumber(ARGV[1])
local counts = {}
for i, key in ipairs(KEYS) do
    local count = redis.call('INCR', key)
    if count == 1 then
        redis.call('EXPIRE', key, ttl)
    end
    counts[i] = count
end
return counts
"""

_lock = threading.Lock()
_state = {"url": None, "script": None, "down_until": 0.0}


def _script():
    """The registered script for the configured URL (one client and connection pool per process)."""
    url = settings.TRACKING_REDIS_URL
    if not url:
        return None
    if _state["url"] != url:
        with _lock:
            if _state["url"] != url:
                import redis

                timeout = settings.TRACKING_REDIS_TIMEOUT_MS / 1000
                client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
                _state.update(script=client.register_script(_COUNT_SCRIPT), url=url, down_until=0.0)
    return _state["script"]


def window_counts(windows: Sequence[tuple[str, int]]) -> list[int] | None:
    """Count one click in each (ip_key, minute) window, in order; returns each click's count in its
    window, or None when Redis is not configured or not answering (the caller counts in the
    database)."""
    script = _script()
    if script is None or not windows:
        return None
    if _state["down_until"] > time.monotonic():
        return None
    import redis

    try:
        counts = script(keys=[f"{KEY_PREFIX}{key}:{minute}" for key, minute in windows], args=[WINDOW_TTL_SECONDS])
    except redis.RedisError:
        # Back off for a few seconds so an outage costs one timeout per process, not one per click.
        _state["down_until"] = time.monotonic() + _FAILURE_BACKOFF_SECONDS
        logger.warning("tracking rate limit: Redis unavailable, counting in the database", exc_info=True)
        return None
    return [int(count) for count in counts]
