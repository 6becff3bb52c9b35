"""Removing a card is confirmed first, saying what happens to payments (issue 19)."""

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
