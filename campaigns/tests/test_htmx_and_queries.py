import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Language
from campaigns.models import CampaignType
from campaigns.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _is_full_page(response):
    return "<!doctype html>" in response.text


def test_create_type_swap_returns_the_partial_to_htmx_and_the_page_otherwise(advertiser_client):
    url = reverse("campaigns:create") + "?type=consultant"
    partial = advertiser_client.get(url, **HTMX)
    assert not _is_full_page(partial)
    assert "Minimum budget" in partial.text and "Rate per 100 views" not in partial.text
    full = advertiser_client.get(url)
    assert _is_full_page(full) and "Minimum budget" in full.text
    assert f'href="{reverse("campaigns:create")}?type=salesman"' in full.text  # works without JS


def test_detail_tabs_return_the_partial_to_htmx(advertiser_client, advertiser):
    campaign = CampaignFactory(advertiser=advertiser, consultant=True)
    url = reverse("campaigns:advertiser_detail", args=[campaign.public_id])
    partial = advertiser_client.get(url, {"tab": "applications"}, **HTMX)
    assert not _is_full_page(partial)
    assert "No applications yet" in partial.text
    full = advertiser_client.get(url, {"tab": "applications"})
    assert _is_full_page(full) and "No applications yet" in full.text and campaign.title in full.text


def test_marketplace_returns_the_results_partial_to_htmx(promoter_client):
    CampaignFactory(active=True, title="Shiny shoes")
    url = reverse("campaigns:marketplace")
    partial = promoter_client.get(url, {"q": "shiny"}, **HTMX)
    assert not _is_full_page(partial) and "Shiny shoes" in partial.text
    full = promoter_client.get(url, {"q": "shiny"})
    assert _is_full_page(full) and "Shiny shoes" in full.text
    assert "Shiny shoes" not in promoter_client.get(url, {"q": "boots"}, **HTMX).text


def test_marketplace_filters(promoter_client):
    english = Language.objects.get(code="en")
    visibility = CampaignFactory(active=True, title="Cheap views", cpv=100)
    pricey = CampaignFactory(active=True, title="Pricey views", cpv=900)
    pricey.languages.add(english)
    CampaignFactory(salesman=True, active=True, title="Sell stuff", commission_per_sale=20)
    CampaignFactory(consultant=True, awaiting_funding=True, title="Consult us")
    CampaignFactory(title="Secret draft")
    url = reverse("campaigns:marketplace")

    def titles(**params):
        text = promoter_client.get(url, params, **HTMX).text
        return {t for t in ["Cheap views", "Pricey views", "Sell stuff", "Consult us", "Secret draft"] if t in text}

    assert titles() == {"Cheap views", "Pricey views", "Sell stuff", "Consult us"}
    assert titles(type=CampaignType.SALESMAN) == {"Sell stuff"}
    assert titles(language=english.pk) == {"Pricey views"}
    assert titles(min_rate="5") == {"Pricey views", "Sell stuff", "Consult us"}
    assert titles(category=visibility.pk + 999_999) == {"Cheap views", "Pricey views", "Sell stuff", "Consult us"}
    response = promoter_client.get(url, {"min_rate": "lots"}, **HTMX)
    assert response.status_code == 200 and "That filter was ignored" in response.text


def test_marketplace_paginates_with_htmx_links(promoter_client):
    for _ in range(13):
        CampaignFactory(active=True)
    response = promoter_client.get(reverse("campaigns:marketplace"), {"type": "visibility"})
    assert 'hx-get="?type=visibility&amp;page=2"' in response.text
    assert 'href="?type=visibility&amp;page=2"' in response.text
    assert 'hx-push-url="true"' in response.text
    second = promoter_client.get(reverse("campaigns:marketplace"), {"type": "visibility", "page": 2}, **HTMX)
    assert "Page 2 of 2" in second.text


def _query_count(client, url, **extra):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("htmx", [False, True])
def test_marketplace_queries_do_not_grow_with_campaigns(promoter_client, htmx):
    english = Language.objects.get(code="en")
    url = reverse("campaigns:marketplace")
    extra = HTMX if htmx else {}

    def make(count):
        for index in range(count):
            campaign = CampaignFactory(active=True, campaign_type=CampaignType.values[index % 4])
            campaign.languages.add(english)

    make(5)
    few = _query_count(promoter_client, url, **extra)
    make(45)
    many = _query_count(promoter_client, url, **extra)
    assert few == many


def test_advertiser_list_queries_do_not_grow_with_campaigns(advertiser_client, advertiser):
    url = reverse("campaigns:advertiser_list")
    for index in range(5):
        CampaignFactory(advertiser=advertiser, campaign_type=CampaignType.values[index % 4])
    few = _query_count(advertiser_client, url)
    for index in range(45):
        CampaignFactory(advertiser=advertiser, campaign_type=CampaignType.values[index % 4])
    many = _query_count(advertiser_client, url)
    assert few == many
