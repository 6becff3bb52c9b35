"""Telling people what happened: an in-app inbox and an email, once per event, after commit.

Other apps call `notify(...)` from their services; nothing is sent for work that rolls back.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_q.tasks import async_task

from accounts.models import Notification
from campaignplatform.bulk import bulk_insert


def notify(*, user, kind: str, title: str, event_key: str, body: str = "", url: str = "") -> Notification | None:
    """Store the notification (once per user and event) and email it after commit.

    Returns None when this event was already notified.
    """
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, kind=kind, title=title[:200], body=body[:2000], url=url[:500], event_key=event_key[:200]
            )
    except IntegrityError:
        return None
    transaction.on_commit(lambda: async_task("accounts.notifications.notification_email_send", notification.pk))
    return notification


def notify_many(notices, *, kind: str, title: str, url: str = "") -> None:
    """`notify` for a batch of users, [(user id, event key, body)]: one insert and one email task
    for the batch (a notification and a queued task per promoter would cost the monthly close two
    writes per payout). Once per user and event, as `notify`: a replayed batch stores nothing."""
    if not notices:
        return
    rows = [
        {
            "user_id": user_id,
            "kind": kind,
            "title": title[:200],
            "body": body[:2000],
            "url": url,
            "event_key": key[:200],
        }
        for user_id, key, body in notices
    ]
    ids = [pk for (pk,) in bulk_insert(Notification, rows, ignore_conflicts=True, returning=["id"])]
    if ids:
        transaction.on_commit(lambda: async_task("accounts.notifications.notifications_email_send", ids))


def notifications_email_send(notification_ids: list[int]) -> int:
    """Email a batch of notifications stored by `notify_many` (each at most once)."""
    return sum(notification_email_send(pk) for pk in notification_ids)


def notification_email_send(notification_id: int) -> bool:
    """Send one notification's email; claiming `emailed_at` first makes a retried task send once."""
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(emailed_at=timezone.now())
    if not claimed:
        return False
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    link = f"\n\n{settings.SITE_URL}{notification.url}" if notification.url else ""
    send_mail(
        subject=notification.title,
        message=f"{notification.body}{link}\n\n— Campaign Platform",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[notification.user.email],
    )
    return True


def notifications_mark_read(*, user, notification_ids=None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
