"""What promoters are told about getting paid, in words rather than Stripe's codes."""

import pytest
from django.urls import reverse

from accounts.models import Notification
from campaigns import services as campaign_services
from campaigns.tests.factories import WorkFactory
from payouts.models import StripeConnectAccount

pytestmark = pytest.mark.django_db


def test_get_paid_explains_a_past_due_account_without_stripe_codes(promoter_client, promoter):
    StripeConnectAccount.objects.create(
        user=promoter,
        stripe_account_id="acct_past_due",
        details_submitted=True,
        requirements_currently_due=["external_account"],
        disabled_reason="requirements.past_due",
    )

    page = promoter_client.get(reverse("payouts:get_paid")).content.decode()

    assert "requirements.past_due" not in page
    assert "Stripe says" not in page
    assert "a bank account for payouts" in page


def test_get_paid_under_review_is_said_in_words(promoter_client, promoter):
    StripeConnectAccount.objects.create(
        user=promoter, stripe_account_id="acct_review", details_submitted=True, disabled_reason="under_review"
    )

    page = promoter_client.get(reverse("payouts:get_paid")).content.decode()

    assert "under_review" not in page
    assert "Stripe is reviewing your account." in page


def _approve(work):
    advertiser = work.deliverable.promoter_campaign.campaign.advertiser
    campaign_services.work_approve(work=work, actor=advertiser)
    return Notification.objects.get(user=work.submitted_by, kind="work_approved")


def test_approval_without_a_payout_account_says_the_money_waits_in_the_wallet():
    notice = _approve(WorkFactory())

    assert "is being paid to you now" not in notice.body
    assert "waits in your wallet" in notice.body
    assert "Get paid" in notice.body


def test_approval_with_a_ready_payout_account_says_it_is_paid_now():
    work = WorkFactory()
    StripeConnectAccount.objects.create(
        user=work.submitted_by, stripe_account_id="acct_ready", payouts_enabled=True, transfers_active=True
    )

    notice = _approve(work)

    assert "Its $100.00 is being paid to you now." in notice.body


def test_wallet_adds_the_estimate_for_counted_views_not_yet_credited(promoter_client, promoter):
    from campaigns.models import PromoterCampaign
    from campaigns.tests.factories import CampaignFactory, PromoterCampaignFactory

    participation = PromoterCampaignFactory(promoter=promoter, campaign=CampaignFactory(active=True, cpv=300))
    PromoterCampaign.objects.filter(pk=participation.pk).update(views_generated=480, spent_budget=600)

    page = promoter_client.get(reverse("payouts:wallet")).content.decode()

    assert "+ about $8.40 for views already counted, credited within the hour" in page
