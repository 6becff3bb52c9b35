"""Removing a card is confirmed first, saying what happens to payments."""

import pytest
from django.urls import reverse

from billing.models import PaymentMethod

pytestmark = pytest.mark.django_db


def test_remove_card_asks_first_and_says_past_payments_are_unaffected(advertiser_client, advertiser):
    PaymentMethod.objects.create(
        user=advertiser, stripe_payment_method_id="pm_x", brand="visa", last4="4242", exp_month=1, exp_year=2030
    )

    page = advertiser_client.get(reverse("billing:overview")).content.decode()

    assert 'data-confirm="Remove the Visa card ending 4242? Payments already made' in page
    assert '<dialog id="confirm-dialog"' in page


def test_funding_preselects_the_default_card_and_refreshes_the_total_in_place(advertiser_client, advertiser):
    from campaigns.tests.factories import CampaignFactory

    PaymentMethod.objects.create(
        user=advertiser,
        stripe_payment_method_id="pm_default",
        brand="visa",
        last4="4242",
        exp_month=1,
        exp_year=2030,
        is_default=True,
    )
    campaign = CampaignFactory(advertiser=advertiser, salesman=True, awaiting_funding=True)
    url = reverse("billing:fund", args=[campaign.public_id])

    empty = advertiser_client.get(url).content.decode()
    quoted = advertiser_client.get(url, {"budget_dollars": "50"}).content.decode()

    assert 'hx-select="#fund-quote"' in empty and 'hx-select-oob="#fund-pay"' in empty
    assert 'id="fund-pay"' in empty  # present before a total, so the first answer can fill it
    assert 'value="card" checked' in quoted
    assert "Pay $55.00" in quoted


def test_funding_without_a_card_preselects_the_payment_page(advertiser_client, advertiser):
    from campaigns.tests.factories import CampaignFactory

    campaign = CampaignFactory(advertiser=advertiser, awaiting_funding=True)

    page = advertiser_client.get(reverse("billing:fund", args=[campaign.public_id])).content.decode()

    assert 'value="checkout" checked' in page
    assert 'value="card"' not in page
