"""Who is asking: the client IP (behind a known number of proxies) and privacy-safe visitor keys."""

import hashlib
import hmac
from functools import lru_cache

from django.conf import settings

from campaignplatform.http import client_ip  # noqa: F401  (the tracking views import it from here)


@lru_cache(maxsize=4)
def daily_salt(day_iso: str) -> bytes:
    """The salt for one UTC day, derived from the secret: yesterday's visitor keys cannot be recomputed
    without the secret, and keys of different days cannot be linked to each other."""
    return hmac.new(settings.TRACKING_HASH_SECRET.encode(), f"visitor-salt:{day_iso}".encode(), hashlib.sha256).digest()


def visitor_key(*, day_iso: str, ip: str, user_agent: str) -> str:
    message = f"{ip}\n{user_agent}".encode("utf-8", "surrogatepass")
    return hmac.new(daily_salt(day_iso), message, hashlib.sha256).hexdigest()[:32]


def ip_key(*, day_iso: str, ip: str) -> str:
    return hmac.new(daily_salt(day_iso), f"ip:{ip}".encode(), hashlib.sha256).hexdigest()[:32]
