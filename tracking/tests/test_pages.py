"""Promoter and advertiser pages: links and codes, charts, sales queue, manual entry, CSV, API keys."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.tests.factories import AdvertiserFactory, PromoterFactory
from billing import ledger
from tests.support.books import assert_books_clean
from tests.support.tracking import join, salesman_campaign, visibility_campaign, visit
from tracking import services
from tracking.models import ApiKey, SaleRecord, SaleSource, SaleStatus

pytestmark = pytest.mark.django_db


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_promoter_sees_links_and_codes_with_copy_buttons():
    promoter = PromoterFactory()
    views = join(visibility_campaign(), promoter)
    sales = join(salesman_campaign(tracking_method="both"), promoter)

    response = logged_in(promoter).get("/tracking/links/")

    body = response.content.decode()
    assert response.status_code == 200
    assert f"/v/{views.tracking_code}" in body
    assert f"/r/{sales.tracking_code}" in body
    assert services.coupon_ensure(participation=sales).code in body
    assert body.count(">Copy</button>") == 3  # one Copy button per link and code


def test_promoter_participation_page_has_a_server_rendered_chart_with_reasons():
    participation = join(visibility_campaign())
    client = Client()
    visit(client, participation)
    visit(client, participation)
    visit(client, participation, ua="curl/8.0")

    response = logged_in(participation.promoter).get(f"/tracking/links/{participation.public_id}/")

    body = response.content.decode()
    assert response.status_code == 200
    # No script or stylesheet from another host (a bare "cdn" also turns up inside random tokens).
    assert "<svg" in body and 'class="s0"' in body and 'src="http' not in body and 'href="http' not in body
    assert "counted (paid) views 1, not counted 2" in body  # today's bar, as its hover title says
    assert "Repeat visitor (24 h): 1" in body and "Bot or link preview: 1" in body


def test_promoter_cannot_see_someone_elses_participation():
    participation = join(visibility_campaign())

    response = logged_in(PromoterFactory()).get(f"/tracking/links/{participation.public_id}/")

    assert response.status_code == 404


def test_advertiser_sees_views_and_sales_per_campaign_and_promoter():
    campaign = visibility_campaign()
    participation = join(campaign)
    visit(Client(), participation)

    client = logged_in(campaign.advertiser)
    overview = client.get("/tracking/")
    detail = client.get(f"/tracking/campaigns/{campaign.public_id}/")

    assert overview.status_code == 200 and campaign.title in overview.content.decode()
    assert detail.status_code == 200
    assert participation.tracking_code in detail.content.decode()
    assert logged_in(AdvertiserFactory()).get(f"/tracking/campaigns/{campaign.public_id}/").status_code == 404
    assert logged_in(participation.promoter).get("/tracking/").status_code == 403


def test_advertiser_enters_a_sale_by_hand():
    campaign = salesman_campaign()
    participation = join(campaign)
    client = logged_in(campaign.advertiser)
    data = {"participation": participation.pk, "order_id": "m-1", "amount": "49.99", "occurred_on": "2026-01-15"}

    response = client.post(f"/tracking/campaigns/{campaign.public_id}/sales/new/", data)
    bad = client.post(f"/tracking/campaigns/{campaign.public_id}/sales/new/", {**data, "amount": "-1"})

    assert response.status_code == 302
    sale = SaleRecord.objects.get()
    assert (sale.amount_cents, sale.source, sale.commission_cents) == (4999, SaleSource.MANUAL, 624)
    assert bad.status_code == 400


def test_csv_import_reports_every_row():
    campaign = salesman_campaign()
    participation = join(campaign)
    code = participation.tracking_code
    csv = (
        "order_id,amount,ref_code,occurred_at\n"
        f"c-1,10.00,{code},2026-01-02\n"
        f"c-2,abc,{code},\n"
        "c-3,5.00,UNKNOWN,\n"
        f"c-1,10.00,{code},2026-01-02\n"
        f"c-1,11.00,{code},2026-01-02\n"
        f",1.00,{code},\n"
    )
    upload = SimpleUploadedFile("sales.csv", csv.encode(), content_type="text/csv")

    response = logged_in(campaign.advertiser).post(
        f"/tracking/campaigns/{campaign.public_id}/sales/import/", {"file": upload}
    )

    results = response.context["import_results"]
    assert [(r.line, r.outcome) for r in results] == [
        (2, "created"),
        (3, "error"),
        (4, "error"),
        (5, "unchanged"),
        (6, "error"),
        (7, "error"),
    ]
    assert "Unknown ref_code" in results[2].message
    assert "different data" in results[4].message
    assert SaleRecord.objects.count() == 1


def test_csv_without_required_columns_is_refused():
    campaign = salesman_campaign()
    upload = SimpleUploadedFile("sales.csv", b"foo,bar\n1,2\n", content_type="text/csv")

    response = logged_in(campaign.advertiser).post(
        f"/tracking/campaigns/{campaign.public_id}/sales/import/", {"file": upload}
    )

    assert response.status_code == 400
    assert not SaleRecord.objects.exists()


def test_bulk_verify_with_htmx_swaps_the_queue():
    campaign = salesman_campaign()
    participation = join(campaign)
    sales = [
        services.sale_record(
            campaign=campaign,
            order_id=f"q-{n}",
            amount_cents=1000,
            currency="usd",
            ref_code=participation.tracking_code,
        )[0]
        for n in range(3)
    ]
    client = logged_in(campaign.advertiser)
    assert client.get("/tracking/sales/").status_code == 200

    response = client.post(
        "/tracking/sales/bulk/",
        {"action": "verify", "sale": [str(sales[0].public_id), str(sales[1].public_id), "junk"]},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and "q-2" in body and "q-0" not in body
    assert list(SaleRecord.objects.order_by("order_id").values_list("status", flat=True)) == [
        SaleStatus.VERIFIED,
        SaleStatus.VERIFIED,
        SaleStatus.PENDING,
    ]
    assert ledger.promoter_pending(participation.promoter).balance == 250
    assert_books_clean()


def test_bulk_verify_ignores_other_advertisers_sales():
    campaign = salesman_campaign()
    sale = services.sale_record(
        campaign=campaign, order_id="x", amount_cents=1000, currency="usd", ref_code=join(campaign).tracking_code
    )[0]

    logged_in(AdvertiserFactory()).post("/tracking/sales/bulk/", {"action": "verify", "sale": [str(sale.public_id)]})

    sale.refresh_from_db()
    assert sale.status == SaleStatus.PENDING


def test_api_key_is_shown_once_then_revoked():
    advertiser = AdvertiserFactory()
    client = logged_in(advertiser)

    created = client.post("/tracking/api-keys/", {"name": "Shop"})
    raw = created.context["new_key"]
    listing = client.get("/tracking/api-keys/")

    assert raw and raw in created.content.decode()
    assert raw not in listing.content.decode() and raw[:12] in listing.content.decode()
    assert "curl -X POST" in listing.content.decode()
    key = ApiKey.objects.get()
    assert client.post(f"/tracking/api-keys/{key.public_id}/revoke/").status_code == 302
    assert services.api_key_authenticate(raw) is None


def test_bulk_reject_needs_a_reason_and_rejects_the_selected():
    campaign = salesman_campaign()
    participation = join(campaign)
    sale = services.sale_record(
        campaign=campaign, order_id="r-1", amount_cents=1000, currency="usd", ref_code=participation.tracking_code
    )[0]
    client = logged_in(campaign.advertiser)

    for data, message in [
        ({}, "Nothing rejected: Choose a reason."),
        ({"reason_code": "returned"}, "Nothing rejected: Choose a reason from the list."),
        ({"reason_code": "other"}, "Nothing rejected: You chose “Other”: say what the reason is here."),
    ]:
        refused = client.post(
            "/tracking/sales/bulk/", {"action": "reject", "sale": [str(sale.public_id)], **data}, follow=True
        )
        sale.refresh_from_db()
        assert message in refused.text
        assert (sale.status, sale.decision_reason_code, sale.decision_reason) == (SaleStatus.PENDING, "", "")

    queue = client.get("/tracking/sales/").text
    assert '<label for="id_reason_code">Reason' in queue
    assert '<option value="test_order">Test or internal order</option>' in queue
    client.post(
        "/tracking/sales/bulk/",
        {"action": "reject", "sale": [str(sale.public_id)], "reason_code": "test_order", "note": "our QA"},
    )
    sale.refresh_from_db()
    assert (sale.status, sale.decision_reason_code, sale.decision_reason) == (
        SaleStatus.REJECTED,
        "test_order",
        "our QA",
    )
    page = logged_in(participation.promoter).get(f"/tracking/links/{participation.public_id}/").text
    assert "Test or internal order: our QA" in page


def test_single_sale_actions_and_the_promoters_sales_page():
    campaign = salesman_campaign()
    participation = join(campaign)
    sale = services.sale_record(
        campaign=campaign, order_id="s-1", amount_cents=8000, currency="usd", ref_code=participation.tracking_code
    )[0]
    client = logged_in(campaign.advertiser)

    assert client.post(f"/tracking/sales/{sale.public_id}/verify/").status_code == 302
    sale.refresh_from_db()
    assert sale.status == SaleStatus.VERIFIED
    assert client.post(f"/tracking/sales/{sale.public_id}/nonsense/").status_code == 404
    refused = client.post(f"/tracking/sales/{sale.public_id}/reject/", {"reason_code": "nope"}, follow=True)
    assert "Nothing rejected: Choose a reason from the list." in refused.text
    assert logged_in(AdvertiserFactory()).post(f"/tracking/sales/{sale.public_id}/verify/").status_code == 404

    page = logged_in(participation.promoter).get(f"/tracking/links/{participation.public_id}/")
    body = page.content.decode()
    assert "s-1" in body and "$10.00" in body and "Verified, commission credited" in body
    assert_books_clean()


@pytest.mark.parametrize("occurred_at", ["0001-01-01T00:00:00+01:00", "0001-01-01T00:00:00+02:00", "1999-12-31"])
def test_csv_sale_dated_before_2000_is_a_row_error(occurred_at):
    campaign = salesman_campaign()
    code = join(campaign).tracking_code
    csv = f"order_id,amount,ref_code,occurred_at\nold-1,10.00,{code},{occurred_at}\n"
    upload = SimpleUploadedFile("sales.csv", csv.encode(), content_type="text/csv")

    response = logged_in(campaign.advertiser).post(
        f"/tracking/campaigns/{campaign.public_id}/sales/import/", {"file": upload}
    )

    assert response.status_code == 200
    (result,) = response.context["import_results"]
    assert (result.outcome, result.message) == ("error", "occurred_at is too far in the past (before 2000).")
    assert not SaleRecord.objects.exists()
