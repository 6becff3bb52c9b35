"""Abuse limits: how many attempts one IP, account, API key or user may make in a time window.

Why the database and not a library: the limits must hold across every web process and host
(the site scales out behind a load balancer) and the project has no shared cache (Django's
default cache is per process; Redis is not part of the stack). django-ratelimit and
django-axes both need such a cache, or, for axes, a row per failed attempt. PostgreSQL is
already shared by every process, and one statement decides each attempt atomically:

    INSERT ... ON CONFLICT (scope, key, window_number) DO UPDATE SET count = count + 1
        WHERE abuse_counters.count < limit
    RETURNING count

No row back means the window is full: the attempt is refused and the counter stops growing,
so a flood costs one small upsert per request and never a lock held across anything else.
Windows are fixed (seconds since the epoch // length): simple, and at worst twice the limit
across a window boundary, which is fine for abuse control. Keys are HMACs of the IP, account or
key id under SECRET_KEY, never the values. Expired windows are deleted by a schedule
(`abuse_counters_prune`).
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone


@dataclass(frozen=True)
class Limit:
    scope: str
    attempts: int
    seconds: int
    message: str


def limits() -> dict[str, Limit]:
    """The site's limits, read from settings each call (tests change them)."""
    return {
        "sign_in_ip": Limit(
            "sign_in_ip",
            settings.ABUSE_SIGN_IN_PER_IP,
            15 * 60,
            "Too many sign-in attempts from your network. Wait 15 minutes and try again.",
        ),
        "sign_in_account": Limit(
            "sign_in_account",
            settings.ABUSE_SIGN_IN_PER_ACCOUNT,
            15 * 60,
            "Too many sign-in attempts for this account. Wait 15 minutes and try again.",
        ),
        "conversion_api_key": Limit(
            "conversion_api_key",
            settings.ABUSE_API_PER_KEY_PER_MINUTE,
            60,
            "Too many requests with this API key. Slow down: wait a minute and retry.",
        ),
        "work_upload_user": Limit(
            "work_upload_user",
            settings.ABUSE_WORK_UPLOADS_PER_HOUR,
            60 * 60,
            "You have submitted a lot of work in the last hour. Wait a while before submitting more.",
        ),
    }


@dataclass(frozen=True)
class Refusal:
    message: str
    retry_after: int  # seconds until the window ends


def _key(scope: str, value) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{scope}:{value}".encode(), hashlib.sha256).hexdigest()[:64]


def attempt(scope: str, value) -> Refusal | None:
    """Count one attempt by `value` (an IP, account id, key id) under `scope`; a Refusal when the
    window already holds the limit's attempts (then nothing is counted)."""
    limit = limits()[scope]
    if limit.attempts <= 0:  # 0 turns the limit off
        return None
    now = timezone.now()
    epoch = int(now.timestamp())
    window = epoch // limit.seconds
    retry_after = (window + 1) * limit.seconds - epoch
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO abuse_counters (scope, key, window_number, count, expires_at) VALUES (%s, %s, %s, 1, %s) "
            "ON CONFLICT (scope, key, window_number) DO UPDATE SET count = abuse_counters.count + 1 "
            "WHERE abuse_counters.count < %s RETURNING count",
            [scope, _key(scope, value), window, now + timedelta(seconds=retry_after), limit.attempts],
        )
        counted = cursor.fetchone() is not None
    return None if counted else Refusal(limit.message, max(retry_after, 1))


def abuse_counters_prune() -> int:
    """Delete windows that have ended. Safe to run twice."""
    from accounts.models import AbuseCounter

    deleted, _ = AbuseCounter.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted


def too_many_requests(request, refusal: Refusal, *, json: bool = False):
    """The 429 answer: the message (JSON `{"error": ...}` for script callers) and Retry-After."""
    from django.http import JsonResponse
    from django.shortcuts import render

    if json:
        response = JsonResponse({"error": refusal.message}, status=429)
    else:
        response = render(request, "429.html", {"message": refusal.message}, status=429)
    response["Retry-After"] = str(refusal.retry_after)
    return response


def admin_login_limited(login_view):
    """Wrap the admin's password sign-in: each POST counts per client IP and per email typed."""
    from functools import wraps

    from campaignplatform.http import client_ip

    @wraps(login_view)
    def view(request, *args, **kwargs):
        if request.method == "POST":
            refusal = attempt("sign_in_ip", client_ip(request)) or attempt(
                "sign_in_account", (request.POST.get("username") or "").strip().lower()[:254]
            )
            if refusal is not None:
                return too_many_requests(request, refusal)
        return login_view(request, *args, **kwargs)

    return view
