"""Billing events tell the advertiser once, after commit: funded (live), paused for budget,
completed at the view cap, refund issued; whatever replays them (webhooks, retries, tasks)."""

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from accounts.models import Notification, NotificationKind
from billing import gateway, services, webhooks
from billing.models import AdvertiserCharge, ChargeStatus, StripeWebhookEvent
from campaigns import services as campaign_services
from campaigns.models import Campaign, CampaignStatus
from campaigns.tests.factories import CampaignFactory
from tests.support.funding import fund_with_card as fund
from tests.support.funding import fund_without_stripe
from tests.support.stripe import deliver

pytestmark = pytest.mark.django_db


def notes(user, kind):
    return Notification.objects.filter(user=user, kind=kind)


def the_note(user, kind):
    """The one notification of `kind` for `user`, and its email."""
    (note,) = notes(user, kind)
    emails = [email for email in mail.outbox if email.subject == note.title]
    assert len(emails) == 1 and emails[0].to == [user.email]
    return note


def spend(campaign, promoter, cents, key):
    with transaction.atomic():
        return services.campaign_budget_spend(
            campaign=campaign, promoter=promoter, amount_cents=cents, idempotency_key=key
        )


@pytest.fixture
def funded(card_for):
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign, budget_cents=10_000)
    return campaign


# --- Funded ---------------------------------------------------------------------------------


def test_funding_webhook_delivered_and_replayed_tells_once(
    client, stripe_settings, stripe_sim, django_capture_on_commit_callbacks
):
    campaign = CampaignFactory(awaiting_funding=True)
    quote = services.funding_quote(campaign=campaign)
    intent = services.funding_checkout_start(
        campaign=campaign, actor=campaign.advertiser, quote=quote, return_url="http://testserver/back/"
    )
    stripe_sim.pay_checkout_session(intent.stripe_checkout_session_id)

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            for event in stripe_sim.events:
                assert deliver(client, stripe_sim, event).status_code == 200
        for row in StripeWebhookEvent.objects.all():  # staff's "replay" admin action
            webhooks.webhook_event_process(row, force=True)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE
    note = the_note(campaign.advertiser, NotificationKind.CAMPAIGN_FUNDED)
    assert note.url == reverse("campaigns:advertiser_detail", args=[campaign.public_id])
    assert "live" in note.title and "2,000 views" in note.body


def test_funding_that_rolls_back_after_activating_tells_nothing(monkeypatch, django_capture_on_commit_callbacks):
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    activate = campaign_services.campaign_activate

    def activate_then_fail(**kwargs):
        activate(**kwargs)
        raise RuntimeError("the funding transaction fails after the campaign went live")

    monkeypatch.setattr(campaign_services, "campaign_activate", activate_then_fail)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        fund_without_stripe(campaign, budget_cents=5_000)

    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.AWAITING_FUNDING
    assert not Notification.objects.exists()
    assert mail.outbox == []


# --- Paused for budget ----------------------------------------------------------------------


def test_spending_the_last_cent_pauses_and_asks_for_a_top_up_once(promoter, django_capture_on_commit_callbacks):
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    fund_without_stripe(campaign, budget_cents=5_000)

    with django_capture_on_commit_callbacks(execute=True):
        spend(campaign, promoter, 5_000, "sale-1")
        spend(campaign, promoter, 5_000, "sale-1")  # the same sale replayed

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED
    note = the_note(campaign.advertiser, NotificationKind.CAMPAIGN_PAUSED)
    assert note.url == reverse("billing:fund", args=[campaign.public_id])
    assert "budget is used up" in note.title


def test_top_up_resumes_and_a_second_exhaustion_is_told_again(promoter, django_capture_on_commit_callbacks):
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    fund_without_stripe(campaign, budget_cents=5_000)

    with django_capture_on_commit_callbacks(execute=True):
        spend(campaign, promoter, 5_000, "sale-1")
        fund_without_stripe(campaign, budget_cents=2_000)
        spend(campaign, promoter, 2_000, "sale-2")

    assert notes(campaign.advertiser, NotificationKind.CAMPAIGN_PAUSED).count() == 2
    resumed = the_note(campaign.advertiser, NotificationKind.CAMPAIGN_RESUMED)
    assert resumed.url == reverse("campaigns:advertiser_detail", args=[campaign.public_id])
    assert len({note.event_key for note in notes(campaign.advertiser, NotificationKind.CAMPAIGN_PAUSED)}) == 2


def test_a_spend_that_rolls_back_tells_nothing(promoter, django_capture_on_commit_callbacks):
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    fund_without_stripe(campaign, budget_cents=5_000)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        services.campaign_budget_spend(campaign=campaign, promoter=promoter, amount_cents=5_000, idempotency_key="s")
        assert notes(campaign.advertiser, NotificationKind.CAMPAIGN_PAUSED).exists()
        raise RuntimeError("the sale could not be recorded")

    assert not notes(campaign.advertiser, NotificationKind.CAMPAIGN_PAUSED).exists()
    assert mail.outbox == []


# --- Completed at the view cap, and the refund ------------------------------------------------


def test_reaching_the_view_cap_tells_completion_and_refund_not_a_pause(card_for, django_capture_on_commit_callbacks):
    from tracking.services import campaign_cap_reached

    campaign = CampaignFactory(awaiting_funding=True)
    card_for(campaign.advertiser)
    fund(campaign)
    Campaign.objects.filter(pk=campaign.pk).update(paid_views=campaign.max_views)

    with django_capture_on_commit_callbacks(execute=True):
        campaign_cap_reached(campaign_id=campaign.pk)
        campaign_cap_reached(campaign_id=campaign.pk)  # the hourly sweep running it again

    completed = the_note(campaign.advertiser, NotificationKind.CAMPAIGN_COMPLETED)
    assert completed.url == reverse("campaigns:advertiser_detail", args=[campaign.public_id])
    assert "reached its 2,000 views" in completed.title
    refund = AdvertiserCharge.objects.get(campaign=campaign, kind="refund")
    assert the_note(campaign.advertiser, NotificationKind.REFUND_ISSUED).url == reverse(
        "billing:receipt", args=[refund.public_id]
    )
    assert not notes(campaign.advertiser, NotificationKind.CAMPAIGN_PAUSED).exists()


# --- Refund issued ------------------------------------------------------------------------------


def test_refund_is_told_once_whatever_replays_it(
    funded, promoter, client, stripe_sim, django_capture_on_commit_callbacks
):
    spend(funded, promoter, 2_500, "s1")

    with django_capture_on_commit_callbacks(execute=True):
        campaign_services.campaign_complete(campaign=funded, actor=funded.advertiser)
        services.campaign_refund_unused(campaign=funded, actor=funded.advertiser)  # admin action
        for _ in range(2):
            for event in stripe_sim.events:
                if event["type"].startswith(("refund.", "charge.refunded")):
                    assert deliver(client, stripe_sim, event).status_code == 200

    refund = AdvertiserCharge.objects.get(campaign=funded, kind="refund", status=ChargeStatus.SUCCEEDED)
    note = the_note(funded.advertiser, NotificationKind.REFUND_ISSUED)
    assert note.url == reverse("billing:receipt", args=[refund.public_id])
    assert note.event_key == f"refund:{refund.pk}:issued"
    assert "$82.50" in note.title and "$75.00 of unused budget" in note.body and "$7.50" in note.body
    # The advertiser ended it: the page told them; no notification of their own action.
    assert not notes(funded.advertiser, NotificationKind.CAMPAIGN_COMPLETED).exists()


def test_refund_left_pending_is_told_when_the_retry_issues_it(funded, stripe_sim, django_capture_on_commit_callbacks):
    stripe_sim.fail_next(1, "500")
    with django_capture_on_commit_callbacks(execute=True):
        campaign_services.campaign_complete(campaign=funded, actor=funded.advertiser)
    assert AdvertiserCharge.objects.get(kind="refund").status == ChargeStatus.PENDING
    assert not notes(funded.advertiser, NotificationKind.REFUND_ISSUED).exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.refunds_retry_pending(older_than_seconds=0)
        services.refunds_retry_pending(older_than_seconds=0)

    the_note(funded.advertiser, NotificationKind.REFUND_ISSUED)


def test_refund_recorded_in_a_rolled_back_transaction_tells_nothing(
    funded, stripe_sim, django_capture_on_commit_callbacks
):
    stripe_sim.fail_next(1, "500")
    campaign_services.campaign_complete(campaign=funded, actor=funded.advertiser)
    row = AdvertiserCharge.objects.get(kind="refund")
    answer = gateway.Refund(id="re_test", status="succeeded", amount=row.amount, charge_id=row.stripe_charge_id)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        services.refund_record(row, answer)
        assert notes(funded.advertiser, NotificationKind.REFUND_ISSUED).exists()
        raise RuntimeError

    assert AdvertiserCharge.objects.get(pk=row.pk).status == ChargeStatus.PENDING
    assert not notes(funded.advertiser, NotificationKind.REFUND_ISSUED).exists()
    assert mail.outbox == []
