"""End to end in a real browser: monthly statements of a month closed by the real close.

A promoter and an advertiser open their January statement from the navigation, see it on
screen and as it prints (print stylesheet: no navigation or buttons, black on white, a header
with who, which month and when it was generated), and download the CSV. Screenshots land in
test-artifacts/.
"""

from pathlib import Path

import pytest
from django.conf import settings

from billing import gateway
from tests.support.browser import save_screenshot
from tests.support.statements import close_a_month_of_activity

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def january(settings, stripe_sim):
    settings.STRIPE_API_BASE = stripe_sim.base_url
    settings.STRIPE_SECRET_KEY = stripe_sim.api_key
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    gateway._client.cache_clear()
    yield close_a_month_of_activity(stripe_sim)
    gateway._client.cache_clear()


def _print_view(page, name):
    """The page as the browser prints it (print media), saved as a screenshot at the width of an
    A4 page's printable area (210 mm less the 2 x 12 mm margins, at 96 dpi) and as a PDF."""
    screen_size = page.viewport_size
    page.set_viewport_size({"width": 703, "height": 1000})
    page.emulate_media(media="print")
    save_screenshot(page, name)
    hidden = page.evaluate(
        """() => [...document.querySelectorAll('.topbar, .actions, .button, form')]
                 .every(el => getComputedStyle(el).display === 'none')"""
    )
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    page.pdf(path=str(settings.BASE_DIR / "test-artifacts" / f"{name}.pdf"), format="A4")
    page.emulate_media(media="screen")
    page.set_viewport_size(screen_size)
    return hidden, background


def test_promoter_and_advertiser_open_print_and_download_their_statement(browser_as, january):
    pro = browser_as(january["promoter"])
    pro.goto("/payouts/")
    assert pro.locator("main a:has-text('Itemised statements')").is_visible()  # the wallet's link
    pro.click("nav >> text=Statements")
    pro.wait_for_selector("h1:has-text('Monthly statements')")
    save_screenshot(pro, "statements-01-promoter-list")
    pro.click("a:has-text('January 2026')")
    pro.wait_for_selector("h1:has-text('Statement · January 2026')")
    main = pro.inner_text("main")
    for figure in ("$185.00", "$60.00", "$25.00", "$100.00", "Monthly payout for January 2026", "patpromotes"):
        assert figure in main
    save_screenshot(pro, "statements-02-promoter-detail")
    hidden, background = _print_view(pro, "statements-03-promoter-print")
    assert hidden and background == "rgb(255, 255, 255)"

    with pro.expect_download() as download:
        pro.click("a:has-text('Download CSV')")
    assert download.value.suggested_filename == "statement-2026-01.csv"
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("period,section,item") and lines[-1].endswith(",USD")

    ad = browser_as(january["advertiser"])
    ad.goto("/billing/")
    save_screenshot(ad, "statements-00-billing-link")
    ad.click("main >> text=Monthly statements")
    ad.click("a:has-text('January 2026')")
    ad.wait_for_selector("h1:has-text('Statement · January 2026')")
    main = ad.inner_text("main")
    for figure in ("$506.00", "$200.00", "$20.00", "$66.00", "Acme Trail Co", "Visa •••• 4242"):
        assert figure in main
    save_screenshot(ad, "statements-04-advertiser-detail")
    hidden, background = _print_view(ad, "statements-05-advertiser-print")
    assert hidden and background == "rgb(255, 255, 255)"

    # A month not closed yet says so, in words.
    ad.goto("/payouts/statements/2026-12/")
    assert "December 2026 is not closed yet" in ad.inner_text("main")
    save_screenshot(ad, "statements-06-not-closed")
