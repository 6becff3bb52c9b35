import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Notification
from accounts.notifications import notification_email_send, notify
from accounts.tests.factories import AdvertiserFactory

pytestmark = pytest.mark.django_db


def test_notify_stores_and_emails_once_per_event(django_capture_on_commit_callbacks):
    user = AdvertiserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        first = notify(
            user=user,
            kind="application",
            title="New application",
            body="Pat applied.",
            url="/campaigns/",
            event_key="application-1",
        )
        second = notify(user=user, kind="application", title="New application", event_key="application-1")

    assert first is not None and second is None
    assert Notification.objects.filter(user=user).count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    assert "Pat applied." in mail.outbox[0].body


def test_email_task_retried_sends_once():
    user = AdvertiserFactory()
    notification = Notification.objects.create(user=user, kind="x", title="Hi", event_key="e")

    assert notification_email_send(notification.pk) is True
    assert notification_email_send(notification.pk) is False
    assert len(mail.outbox) == 1


def test_nothing_is_sent_when_the_work_rolls_back(django_capture_on_commit_callbacks):
    from django.db import transaction

    user = AdvertiserFactory()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        notify(user=user, kind="x", title="Never", event_key="rolled-back")
        raise RuntimeError

    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_inbox_shows_unread_count_and_marks_read_with_htmx(advertiser_client, advertiser):
    for n in range(3):
        Notification.objects.create(user=advertiser, kind="x", title=f"Note {n}", event_key=f"e{n}")
    Notification.objects.create(user=AdvertiserFactory(), kind="x", title="Someone else's", event_key="other")

    page = advertiser_client.get(reverse("accounts:notifications"))
    assert "Note 2" in page.text and "Someone else's" not in page.text
    assert '<span class="count">3</span>' in page.text

    response = advertiser_client.post(reverse("accounts:notifications_read"), headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert 'id="inbox"' in response.text and "<html" not in response.text
    assert 'hx-swap-oob="true"' in response.text and '<span class="count">' not in response.text
    assert Notification.objects.filter(user=advertiser, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_marking_someone_elses_notification_changes_nothing(advertiser_client):
    other = Notification.objects.create(user=AdvertiserFactory(), kind="x", title="Theirs", event_key="t")

    advertiser_client.post(reverse("accounts:notifications_read"), {"id": other.pk})
    advertiser_client.post(reverse("accounts:notifications_read"), {"id": "not-a-number"})

    other.refresh_from_db()
    assert other.read_at is None
