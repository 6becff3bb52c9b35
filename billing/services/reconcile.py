"""Payments left unsettled (a crash between steps, a lost webhook), re-read from Stripe on a
schedule (billing.tasks)."""

from __future__ import annotations

import logging

from django.db.models import Q
from django.utils import timezone

from billing.gateway import GatewayError
from billing.models import IntentStatus, StripePaymentIntent
from billing.services.funding import funding_sync

logger = logging.getLogger(__name__)


def payment_intents_reconcile(*, older_than_minutes: int = 5, limit: int = 100) -> int:
    """Re-read payments left unsettled (crash between steps, lost webhook). Safe to run twice."""
    cutoff = timezone.now() - timezone.timedelta(minutes=older_than_minutes)
    since = timezone.now() - timezone.timedelta(days=2)
    # A bank debit may take a week to settle (4 business days and a weekend).
    bank_since = timezone.now() - timezone.timedelta(days=10)
    rows = (
        StripePaymentIntent.objects.filter(updated_at__lte=cutoff)
        .filter(
            Q(status__in=[IntentStatus.PENDING, IntentStatus.OPEN, IntentStatus.REQUIRES_ACTION], created_at__gte=since)
            | Q(status=IntentStatus.PROCESSING, created_at__gte=bank_since)
        )
        .order_by("pk")[:limit]
    )
    done = 0
    for intent in rows:
        try:
            funding_sync(intent=intent)
            done += 1
        except GatewayError as error:
            logger.warning("reconcile of intent %s failed: %s", intent.pk, error)
    return done
