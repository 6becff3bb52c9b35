"""Who is asking: the client IP (behind a known number of proxies) and privacy-safe visitor keys."""

import hashlib
import hmac
import ipaddress
from functools import lru_cache

from django.conf import settings


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the entry of X-Forwarded-For that our own proxies added.

    With N trusted proxies in front of the app, each appends the address it received the request
    from, so the client is the N-th entry from the right; anything further left was written by the
    client and is ignored (it could be anything). A malformed entry falls back to REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    trusted = settings.TRACKING_TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < trusted:
        return remote
    candidate = forwarded[-trusted]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


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
