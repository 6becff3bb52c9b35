"""The per-IP rate limit in Redis (TRACKING_REDIS_URL), and the database taking over when Redis
does not answer. Needs the Redis of the machine (127.0.0.1:6379); skipped without it."""

import secrets
import socket

import pytest

from tracking.models import RateLimitWindow, ViewStat
from tracking.tests.conftest import BROWSER_UA, join, visibility_campaign, visit

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_running():
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.2):
            return True
    except OSError:
        return False


def _fresh_ip():
    # Windows live two minutes in a Redis other runs share: each test uses an address of its own.
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(256)}"


@pytest.mark.skipif(not _redis_running(), reason="needs Redis on 127.0.0.1:6379")
def test_the_rate_limit_counts_in_redis_when_configured(client, settings):
    settings.TRACKING_REDIS_URL = REDIS_URL
    settings.TRACKING_RATE_LIMIT_PER_MINUTE = 2
    participation = join(visibility_campaign())
    ip = _fresh_ip()

    statuses = [visit(client, participation, ip=ip, ua=f"{BROWSER_UA} {n}").status_code for n in range(3)]

    assert statuses == [302] * 3
    row = ViewStat.objects.get(participation=participation)
    assert (row.paid_views, row.rejected_rate_limit) == (2, 1)
    assert not RateLimitWindow.objects.exists()


def test_the_database_counts_when_redis_does_not_answer(client, settings):
    settings.TRACKING_REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens there
    settings.TRACKING_RATE_LIMIT_PER_MINUTE = 2
    participation = join(visibility_campaign())

    statuses = [visit(client, participation, ua=f"{BROWSER_UA} {n}").status_code for n in range(3)]

    assert statuses == [302] * 3
    row = ViewStat.objects.get(participation=participation)
    assert (row.paid_views, row.rejected_rate_limit) == (2, 1)
    assert RateLimitWindow.objects.get().count == 3
