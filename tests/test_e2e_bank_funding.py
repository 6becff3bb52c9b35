"""End to end in a real browser: an advertiser funds a campaign from a US bank account on Stripe's
payment page. The payment stays processing (the campaign says so and cannot be spent) until the
bank settles it; a bank that refuses leaves nothing funded and the advertiser told."""

import pytest

from accounts.models import NotificationKind
from accounts.tests.factories import AdvertiserFactory
from billing.models import CampaignBudgetAllocation, IntentStatus, StripePaymentIntent
from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory
from tests.support.browser import save_screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

SUCCEEDS, INSUFFICIENT_FUNDS = "000123456789", "000222222227"


def _pay_from_bank(page, live_server_url, campaign, account_number):
    """The Fund page -> Stripe's payment page, paying from a bank account -> back to the site."""
    page.goto(f"/billing/campaigns/{campaign.public_id}/fund/")
    page.wait_for_selector("text=Total to pay")
    page.click("button:has-text('Pay $66.00')")
    page.wait_for_selector("#pay")
    page.check("#method-bank")
    page.fill("input[name=account_number]", account_number)
    page.click("#pay")
    page.wait_for_url(lambda url: url.startswith(live_server_url))
    page.wait_for_load_state("networkidle")


def test_a_bank_payment_is_processing_until_the_bank_settles_it(browser_as, stripe_live, live_server):
    advertiser = AdvertiserFactory(full_name="Ada Advertiser")
    campaign = CampaignFactory(advertiser=advertiser, awaiting_funding=True, cpv=300, max_views=2_000)
    ad = browser_as(advertiser)

    _pay_from_bank(ad, live_server.url, campaign, SUCCEEDS)
    assert stripe_live.wait_for_webhooks(timeout=20)
    intent = StripePaymentIntent.objects.get(campaign=campaign)
    assert intent.status == IntentStatus.PROCESSING
    ad.goto(f"/campaigns/{campaign.public_id}/manage/")
    assert "Payment processing" in ad.inner_text("main")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.AWAITING_FUNDING  # nothing to spend yet
    assert not CampaignBudgetAllocation.objects.filter(campaign=campaign).exists()
    ad.set_viewport_size({"width": 390, "height": 844})
    save_screenshot(ad, "bank-funding-phone-processing")
    ad.set_viewport_size({"width": 1280, "height": 900})
    save_screenshot(ad, "bank-funding-desktop-processing")

    stripe_live.settle_bank_debits()
    assert stripe_live.wait_for_webhooks(timeout=20)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE
    assert CampaignBudgetAllocation.objects.get(campaign=campaign).allocated_amount == 6_000
    ad.goto("/billing/")
    assert "•••• 6789" in ad.inner_text("main")  # the account is shown like a card
    save_screenshot(ad, "bank-funding-desktop-billing")


def test_a_bank_that_refuses_funds_nothing_and_the_advertiser_can_pay_another_way(browser_as, stripe_live, live_server):
    advertiser = AdvertiserFactory()
    campaign = CampaignFactory(advertiser=advertiser, awaiting_funding=True, cpv=300, max_views=2_000)
    ad = browser_as(advertiser)

    _pay_from_bank(ad, live_server.url, campaign, INSUFFICIENT_FUNDS)
    assert stripe_live.wait_for_webhooks(timeout=20)
    stripe_live.settle_bank_debits()
    assert stripe_live.wait_for_webhooks(timeout=20)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.AWAITING_FUNDING
    assert not CampaignBudgetAllocation.objects.filter(campaign=campaign).exists()
    assert advertiser.notifications.filter(kind=NotificationKind.PAYMENT_FAILED).exists()
    ad.goto(f"/campaigns/{campaign.public_id}/manage/")
    assert "Payment processing" not in ad.inner_text("main")
    ad.goto(f"/billing/campaigns/{campaign.public_id}/fund/")
    assert "Pay $66.00" in ad.inner_text("main")  # another way to pay is open
    save_screenshot(ad, "bank-funding-desktop-refused")
