"""/healthz: the database and the background worker's heartbeat, as a load balancer reads them."""

import datetime as dt

import pytest
from django.db import OperationalError
from django.utils import timezone

from campaignplatform import health
from campaignplatform.models import Heartbeat

pytestmark = pytest.mark.django_db


def test_database_up_and_worker_never_seen_is_degraded_but_serving(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "worker": {"last_heartbeat": None, "age_seconds": None, "fresh": False},
    }
    assert response["Cache-Control"].startswith("max-age=0")
    assert client.get("/healthz?require=worker").status_code == 503


def test_a_recent_heartbeat_makes_the_worker_fresh(client):
    health.heartbeat()
    health.heartbeat()  # every minute: one row, moved forward

    response = client.get("/healthz?require=worker")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["worker"]["fresh"] is True
    assert Heartbeat.objects.count() == 1


def test_a_heartbeat_older_than_the_limit_is_stale(client, settings):
    settings.HEALTH_WORKER_STALE_SECONDS = 300
    Heartbeat.objects.create(name="worker", beat_at=timezone.now() - dt.timedelta(seconds=301))

    response = client.get("/healthz?require=worker")

    assert response.status_code == 503
    assert response.json()["worker"]["age_seconds"] == 301
    assert client.get("/healthz").status_code == 200  # the web process itself still serves


def test_database_unreachable_is_503(client, monkeypatch):
    def unreachable():
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "_worker_state", unreachable)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "down", "database": "unreachable"}


def test_the_worker_beats_on_a_schedule():
    from campaignplatform.schedules import SCHEDULES

    (spec,) = [spec for spec in SCHEDULES if spec["func"] == "campaignplatform.health.heartbeat"]
    assert spec["minutes"] == 1
