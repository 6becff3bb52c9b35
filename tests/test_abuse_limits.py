"""Abuse limits: sign-in per IP and per account, the conversion API per key, work uploads per
user. Each answers 429 with a message and Retry-After, counts in the database (shared by every
web process), and lets the next window through."""

import datetime
import json

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts import limits
from accounts.models import AbuseCounter
from accounts.tests.factories import AdvertiserFactory, StaffFactory
from campaigns.models import CampaignWork
from campaigns.tests.factories import DeliverableFactory
from tracking import services as tracking_services

pytestmark = pytest.mark.django_db
NOON = datetime.datetime(2026, 3, 2, 12, 0, 5, tzinfo=datetime.UTC)


@pytest.fixture
def small_limits(settings):
    settings.ABUSE_SIGN_IN_PER_IP = 3
    settings.ABUSE_SIGN_IN_PER_ACCOUNT = 2
    settings.ABUSE_API_PER_KEY_PER_MINUTE = 2
    settings.ABUSE_WORK_UPLOADS_PER_HOUR = 2
    return settings


def _sign_in(client, ip="198.51.100.1"):
    return client.post(
        reverse("accounts:session_create"),
        json.dumps({"id_token": "not-a-token"}),
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


def test_the_window_is_counted_in_one_conditional_upsert_and_stops_at_the_limit(small_limits):
    with time_machine.travel(NOON, tick=False):
        assert [limits.attempt("sign_in_ip", "1.2.3.4") for _ in range(3)] == [None, None, None]
        refusal = limits.attempt("sign_in_ip", "1.2.3.4")
        assert refusal is not None and "Wait 15 minutes" in refusal.message
        assert refusal.retry_after == 15 * 60 - 5
        assert limits.attempt("sign_in_ip", "5.6.7.8") is None  # another IP has its own window
    row = AbuseCounter.objects.get(scope="sign_in_ip", count=3)
    assert "1.2.3.4" not in row.key  # a keyed hash, never the address
    with time_machine.travel(NOON + datetime.timedelta(minutes=15), tick=False):
        assert limits.attempt("sign_in_ip", "1.2.3.4") is None
        assert limits.abuse_counters_prune() == 2


def test_sign_in_attempts_per_ip_are_answered_429_with_a_message(client, small_limits):
    statuses = [_sign_in(client).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    refused = _sign_in(client)
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert "Too many sign-in attempts from your network" in refused.json()["error"]
    assert _sign_in(client, ip="198.51.100.2").status_code == 400  # someone else's network


def test_sign_ins_per_account_are_limited(client, small_limits, monkeypatch):
    from accounts import firebase

    identity = firebase.FirebaseIdentity(
        uid="uid-1", email="a@example.test", email_verified=True, name="A", provider="password"
    )
    monkeypatch.setattr(firebase, "verify_id_token", lambda token: identity)
    small_limits.ABUSE_SIGN_IN_PER_IP = 100
    statuses = [_sign_in(Client(), ip=f"198.51.100.{n}").status_code for n in range(3)]
    assert statuses == [200, 200, 429]
    assert "for this account" in _sign_in(Client(), ip="198.51.100.9").json()["error"]


def test_admin_password_sign_in_is_limited_per_account(client, small_limits):
    staff = StaffFactory(email="ops@example.test")
    staff.set_password("right-password-1")
    staff.save()
    url = reverse("admin:login")
    wrong = [
        client.post(url, {"username": "OPS@example.test", "password": "nope"}, REMOTE_ADDR=f"192.0.2.{n}").status_code
        for n in range(2)
    ]
    assert wrong == [200, 200]
    refused = client.post(
        url, {"username": "ops@example.test", "password": "right-password-1"}, REMOTE_ADDR="192.0.2.9"
    )
    assert refused.status_code == 429 and "Too many sign-in attempts for this account" in refused.text
    assert "_auth_user_id" not in client.session


def test_conversion_api_is_limited_per_key(client, small_limits):
    advertiser = AdvertiserFactory()
    _key, raw = tracking_services.api_key_create(advertiser=advertiser, name="shop")
    _other, other_raw = tracking_services.api_key_create(advertiser=advertiser, name="other shop")

    def post(key):
        return client.post("/api/v1/sales", "{}", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")

    assert [post(raw).status_code for _ in range(3)] == [422, 422, 429]
    refused = post(raw)
    assert refused.json()["error"]["code"] == "rate_limited" and refused["Retry-After"]
    assert post(other_raw).status_code == 422


def test_work_uploads_are_limited_per_user(client, small_limits):
    deliverable = DeliverableFactory()
    client.force_login(deliverable.promoter_campaign.promoter)
    url = reverse("campaigns:work_submit", args=[deliverable.public_id])

    first, second = client.post(url, {"text": ""}), client.post(url, {"text": ""})
    refused = client.post(url, {"text": "Done", "link": "https://example.com/v"})

    assert (first.status_code, second.status_code, refused.status_code) == (200, 200, 429)
    assert "submitted a lot of work in the last hour" in refused.text
    assert not CampaignWork.objects.exists()
