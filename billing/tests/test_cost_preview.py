"""The campaign form's cost preview is billing's fee rule, served as an HTMX fragment."""

import pytest
from django.urls import reverse

from accounts.tests.factories import AdvertiserFactory, PromoterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def advertiser_client(client):
    client.force_login(AdvertiserFactory())
    return client


def test_visibility_preview_shows_rate_times_views_the_fee_and_the_total(advertiser_client, settings):
    settings.PLATFORM_FEE_PERCENT = 12
    response = advertiser_client.get(
        reverse("billing:cost_preview"), {"campaign_type": "visibility", "cpv_dollars": "3.00", "max_views": "2000"}
    )
    html = response.content.decode()
    assert "Funding: $60.00 for 2,000 views at $3.00 per 100, plus a $7.20 platform fee = $67.20." in html
    assert "Suggested rate: $3.00 per 100 views" in html


def test_bad_or_missing_input_is_a_hint_not_an_error(advertiser_client):
    for params in (
        {"campaign_type": "visibility", "cpv_dollars": "-1", "max_views": "lots"},
        {"campaign_type": "nonsense", "category": "x"},
        {"campaign_type": "consultant", "min_budget_dollars": "500", "max_budget_dollars": "100"},
        {"campaign_type": "salesman", "commission_per_sale": "300"},
    ):
        response = advertiser_client.get(reverse("billing:cost_preview"), params)
        assert response.status_code == 200
        assert "platform fee" in response.content.decode() or "Enter a rate" in response.content.decode()


def test_budget_range_and_commission_previews(advertiser_client):
    url = reverse("billing:cost_preview")
    html = advertiser_client.get(
        url, {"campaign_type": "seller", "min_budget_dollars": "100", "max_budget_dollars": "500"}
    ).content.decode()
    assert "between $110.00 and $550.00 with the platform fee (10%)" in html
    html = advertiser_client.get(url, {"campaign_type": "salesman", "commission_per_sale": "12.5"}).content.decode()
    assert "A $100.00 sale pays the promoter $12.50." in html and "Suggested commission: 10.00%" in html


def test_promoters_cannot_use_the_preview(client):
    client.force_login(PromoterFactory())
    assert client.get(reverse("billing:cost_preview"), {"campaign_type": "visibility"}).status_code == 403


def test_preview_charges_the_advertisers_own_fee_plan(client):
    from billing.models import FeePlan

    advertiser, other = AdvertiserFactory(), AdvertiserFactory()
    FeePlan.objects.create(
        name="Agency deal", campaign_type="visibility", advertiser=advertiser, percent_bp=500, fixed_cents=50
    )
    params = {"campaign_type": "visibility", "cpv_dollars": "3.00", "max_views": "2000"}

    client.force_login(advertiser)
    mine = client.get(reverse("billing:cost_preview"), params).content.decode()
    client.force_login(other)
    theirs = client.get(reverse("billing:cost_preview"), params).content.decode()

    # 5% of $60.00 is $3.00, plus $0.50 for each of the 20 hundreds of views: $13.00.
    assert "plus a $13.00 platform fee = $73.00." in mine
    assert "plus a $6.00 platform fee = $66.00." in theirs  # the default 10%
