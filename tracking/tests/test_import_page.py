"""The CSV import page: its report, its summary message and the template to start from."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.support.tracking import join, salesman_campaign
from tracking.forms import CSV_COLUMNS, CsvImportForm

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _import(campaign, text):
    upload = SimpleUploadedFile("sales.csv", text.encode(), content_type="text/csv")
    return _client(campaign.advertiser).post(
        reverse("tracking:sales_import", args=[campaign.public_id]), {"file": upload}
    )


def test_import_report_is_one_full_width_table_with_a_summary():
    campaign = salesman_campaign()
    code = join(campaign).tracking_code

    response = _import(campaign, f"order_id,amount,ref_code\nok-1,10.00,{code}\nbad-1,abc,{code}\n")

    page = response.content.decode()
    report = page[page.index('id="import-report"') :]
    report = report[: report.index("</section>")]
    assert report.count("<table") == 1
    assert report.count('<th scope="col">') == 3
    assert report.count("<td>") == 2 * 3  # every row, recorded or refused, fills the same three columns
    assert page.index('id="import-report"') < page.index('class="grid two"')  # full width, not beside the form
    assert "Recorded" in report and "Refused:" in report
    assert "1 sale recorded; 1 row refused: see the report." in page


def test_an_import_without_errors_says_so():
    campaign = salesman_campaign()
    code = join(campaign).tracking_code

    page = _import(campaign, f"order_id,amount,ref_code\nok-1,10.00,{code}\nok-2,12.00,{code}\n").content.decode()

    assert "Import done: 2 sales recorded." in page
    assert 'class="message success"' in page


def test_the_csv_template_has_the_columns_the_import_accepts():
    campaign = salesman_campaign()
    page = _client(campaign.advertiser).get(reverse("tracking:advertiser_campaign", args=[campaign.public_id]))
    template_url = reverse("tracking:sales_import_template")

    response = _client(campaign.advertiser).get(template_url)

    assert template_url in page.content.decode()
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert tuple(rows[0]) == CSV_COLUMNS
    upload = SimpleUploadedFile("t.csv", response.content, content_type="text/csv")
    assert CsvImportForm(files={"file": upload}).is_valid()


def test_results_and_sales_queue_show_promoters_by_their_public_name():
    from accounts.tests.factories import PromoterFactory

    campaign = salesman_campaign()
    promoter = PromoterFactory(email="newpro1@example.test", full_name="")
    promoter.promoter_details.display_name = "Pat on the Trail"
    promoter.promoter_details.save()
    code = join(campaign, promoter).tracking_code
    _import(campaign, f"order_id,amount,ref_code\nok-1,10.00,{code}\n")
    client = _client(campaign.advertiser)

    for url in (reverse("tracking:advertiser_campaign", args=[campaign.public_id]), reverse("tracking:sales_queue")):
        page = client.get(url).content.decode()
        assert "Pat on the Trail" in page, url
        assert "newpro1" not in page, url
