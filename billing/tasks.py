"""Background jobs (django-q2). Each is safe to run twice and calls one service."""

from billing import forecasts, services, webhooks


def webhook_events_retry_failed():
    return webhooks.webhook_events_retry_failed()


def stripe_reconcile():
    """Settle payments and refunds left pending (Stripe down, lost webhook, crashed worker)."""
    return {
        "payment_intents": services.payment_intents_reconcile(),
        "refunds": services.refunds_retry_pending(),
        "ended_campaigns_refunded": services.ended_campaigns_refund_leftovers(),
    }


def campaign_refund_unused(campaign_id: int):
    """Money came back to an ended campaign (its waiting work was reviewed, a sale was
    refunded): refund it to the advertiser."""
    from campaigns.models import Campaign

    campaign = Campaign.objects.get(pk=campaign_id)
    return [row.pk for row in services.refund_unused_safely(campaign=campaign)]


def forecasts_refresh():
    """Daily: move every running campaign's budget forecast to today's pace window."""
    return forecasts.forecasts_refresh_all()
