"""The daily job that ends campaigns past their end date and refunds what they did not spend."""

import datetime

import pytest
from django.utils import timezone

from billing.audit import ledger_audit
from billing.models import AdvertiserCharge
from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory, PromoterCampaignFactory
from tests.support.funding import fund_with_card as fund
from tracking import services as tracking_services

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 1)


def _funded(card_for, *, end_date, **traits):
    campaign = CampaignFactory(
        awaiting_funding=True, end_date=end_date, start_date=end_date - datetime.timedelta(days=30), **traits
    )
    card_for(campaign.advertiser)
    fund(campaign, budget_cents=10_000)
    campaign.refresh_from_db()
    return campaign


def test_visibility_past_its_end_date_ends_and_refunds_once(card_for, stripe_client):
    expired = _funded(card_for, end_date=TODAY - datetime.timedelta(days=1))
    running = _funded(card_for, end_date=TODAY)

    assert tracking_services.campaigns_end_expired(today=TODAY) == [expired.pk]
    assert tracking_services.campaigns_end_expired(today=TODAY) == []  # the second run finds nothing to do

    expired.refresh_from_db(), running.refresh_from_db()
    assert (expired.status, running.status) == (CampaignStatus.COMPLETED, CampaignStatus.ACTIVE)
    refund = AdvertiserCharge.objects.get(campaign=expired, kind="refund")
    assert (refund.status, refund.amount) == ("succeeded", 6_600)  # its whole $60 budget and $6 fee
    assert expired.advertiser.notifications.filter(event_key=f"campaign:{expired.pk}:completed").exists()
    assert ledger_audit().clean


def test_salesman_waits_until_no_sale_is_pending(card_for, stripe_client):
    campaign = _funded(card_for, end_date=TODAY - datetime.timedelta(days=3), salesman=True)
    participation = PromoterCampaignFactory(campaign=campaign)
    sale, _ = tracking_services.sale_record(
        campaign=campaign,
        order_id="A-1",
        amount_cents=20_000,
        currency="usd",
        occurred_at=timezone.now(),
        ref_code=participation.tracking_code,
        source="manual",
    )

    assert tracking_services.campaigns_end_expired(today=TODAY) == []
    tracking_services.sale_verify(sale=sale, actor=campaign.advertiser)
    assert tracking_services.campaigns_end_expired(today=TODAY) == [campaign.pk]
    refund = AdvertiserCharge.objects.get(campaign=campaign, kind="refund")
    assert refund.budget_amount == 10_000 - 2_500  # the 12.5% commission stayed with the promoter
    assert ledger_audit().clean


def test_consultant_and_seller_are_left_to_the_advertiser(card_for):
    end = TODAY - datetime.timedelta(days=10)
    campaign = CampaignFactory(consultant=True, active=True, start_date=end - datetime.timedelta(days=30), end_date=end)
    assert tracking_services.campaigns_end_expired(today=TODAY) == []
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE
