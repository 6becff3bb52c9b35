"""End to end in a real browser: the seed's Visibility example and a Salesman sale, each from
funding to the promoter's Connect account, with both dashboards photographed along the way.

Visibility: the advertiser creates and funds $3 per 100 views for 2,000 views on Stripe's payment
page; a promoter joins and onboards at Stripe; 2,000 distinct visitors (plus bots, repeats and
the promoter's own clicks, which add nothing) follow the link; the month closes and $60 reaches
the promoter's Connect account.

Salesman: the promoter's referral link brings a customer; the advertiser's server reports the
sale to the conversion API twice (counted once); the advertiser verifies it in the browser; the
month closes and the commission is paid.
"""

import datetime as dt
import json
import urllib.error
import urllib.request

import pytest
import time_machine
from django.utils import timezone

from accounts.tests.factories import AdvertiserFactory, PromoterFactory
from billing.audit import ledger_audit
from campaigns.models import Campaign, PromoterCampaign
from payouts import tasks as payout_tasks
from payouts.models import PayoutRecord
from tests.support.browser import pay_at_checkout, save_screenshot
from tracking import services as tracking_services
from tracking import tasks as tracking_tasks
from tracking.models import SaleRecord

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def _get(url, *, ip, ua=BROWSER_UA, cookie=""):
    """One visit from `ip` (sent as the proxy's X-Forwarded-For); returns the status and Location."""
    headers = {"User-Agent": ua, "X-Forwarded-For": ip}
    if cookie:
        headers["Cookie"] = cookie
    try:
        response = OPENER.open(urllib.request.Request(url, headers=headers), timeout=10)
    except urllib.error.HTTPError as redirect:  # 302 surfaces as an "error" without a handler
        return redirect.code, redirect.headers.get("Location")
    return response.status, response.headers.get("Location")


def _onboard_at_stripe(page):
    """The promoter's Get paid page -> the simulator's Express onboarding -> back, ready."""
    page.goto("/payouts/get-paid/")
    page.click("button:has-text('Set up payouts with Stripe')")
    page.wait_for_selector("#complete")
    page.click("#complete")
    page.wait_for_selector("text=Get paid")


def _close_month_and_pay(stripe_live, month_start: dt.date):
    """What the schedule does on the 1st at 06:00 UTC: accrue views, close last month, pay."""
    next_month = (month_start + dt.timedelta(days=32)).replace(day=1)
    # Webhooks wait until the close is done, so the payouts they report exist when they arrive.
    stripe_live.hold_events()
    with time_machine.travel(dt.datetime(next_month.year, next_month.month, 1, 6, 0, tzinfo=dt.UTC), tick=True):
        payout_tasks.close_previous_month()
    stripe_live.release_events()
    assert stripe_live.wait_for_webhooks(timeout=20)


def _connect_balance(stripe_sim, account_id):
    return stripe_sim.state.available(account_id, "usd")


def test_visibility_seed_example_2000_visitors_pay_60_dollars(
    browser_as, stripe_live, stripe_sim, live_server, settings
):
    settings.TRACKING_TRUSTED_PROXY_COUNT = 1  # the visits below come "through" one proxy
    advertiser = AdvertiserFactory(full_name="Ada Advertiser", details__company_name="Acme Outdoor Gear")
    promoter = PromoterFactory(details__display_name="Pat on the Trail")
    ad, pro = browser_as(advertiser), browser_as(promoter)

    # The advertiser creates $3 per 100 views for 2,000 views and pays $66 ($60 + 10% fee) at Stripe.
    ad.goto("/campaigns/new/")
    ad.click(".type-choice:has-text('Visibility')")
    ad.wait_for_selector("input[name=cpv_dollars]")
    ad.fill("input[name=title]", "Trail shoe launch video views")
    ad.fill("textarea[name=description]", "Share our launch video.")
    ad.fill("input[name=target_url]", "https://acme.example/launch")
    ad.fill("input[name=cpv_dollars]", "3")
    ad.fill("input[name=max_views]", "2000")
    today = dt.date.today()
    ad.fill("input[name=start_date]", today.isoformat())
    ad.fill("input[name=end_date]", (today + dt.timedelta(days=60)).isoformat())
    ad.click("button:has-text('Save draft')")
    ad.click("button:has-text('Publish')")
    ad.wait_for_selector("text=Awaiting funding")
    campaign = Campaign.objects.get(title="Trail shoe launch video views")
    ad.goto(f"/campaigns/{campaign.public_id}/manage/")
    ad.click("a:has-text('Fund campaign')")
    ad.wait_for_selector("text=Total to pay")
    assert "$66.00" in ad.inner_text("main")
    pay_at_checkout(ad, stripe_live, live_server.url, total="$66.00")
    campaign.refresh_from_db()
    assert campaign.status == "active"

    # The promoter joins from the marketplace and sets up payouts at Stripe.
    pro.goto(f"/campaigns/{campaign.public_id}/")
    pro.click("button:has-text('Join campaign')")
    pro.wait_for_selector("text=You joined")
    participation = PromoterCampaign.objects.get(campaign=campaign, promoter=promoter)
    _onboard_at_stripe(pro)
    account_id = promoter.connect_account.stripe_account_id

    # 2,000 distinct visitors; bots, a repeat visitor and the promoter's own clicks add nothing.
    link = f"{live_server.url}/v/{participation.tracking_code}"
    for n in range(2_000):
        status, location = _get(link, ip=f"198.51.{n // 250}.{n % 250 + 1}")
        assert (status, location) == (302, "https://acme.example/launch")
    promoter_cookie = "; ".join(f"{c['name']}={c['value']}" for c in pro.context.cookies())
    for ua in ("facebookexternalhit/1.1", "Slackbot-LinkExpanding 1.0", "Twitterbot/1.0"):
        assert _get(link, ip="203.0.113.50", ua=ua)[0] == 302
    assert _get(link, ip="198.51.0.1")[0] == 302  # the first visitor again, same day
    assert _get(link, ip="203.0.113.99", cookie=promoter_cookie)[0] == 302
    assert tracking_services.views_flush() is True  # on PostgreSQL clicks are counted after the redirect
    campaign.refresh_from_db()
    assert campaign.paid_views == 2_000 and campaign.status == "completed"  # the cap completes it
    tracking_tasks.accrue_view_earnings()
    promoter.wallet.refresh_from_db()
    assert promoter.wallet.pending_balance == 6_000

    ad.goto("/accounts/advertiser/")
    save_screenshot(ad, "visibility-01-advertiser-dashboard")
    pro.goto("/accounts/promoter/")
    save_screenshot(pro, "visibility-02-promoter-dashboard")
    assert "$60.00" in pro.inner_text("#dash-wallet")

    # The month closes: $60 moves to current, meets the $20 threshold and is transferred.
    _close_month_and_pay(stripe_live, today.replace(day=1))
    record = PayoutRecord.objects.get(promoter=promoter)
    assert (record.status, record.amount) == ("paid", 6_000)
    assert _connect_balance(stripe_sim, account_id) == 6_000
    promoter.wallet.refresh_from_db()
    assert (promoter.wallet.pending_balance, promoter.wallet.current_balance) == (0, 0)
    pro.goto("/accounts/promoter/")
    save_screenshot(pro, "visibility-03-promoter-dashboard-paid")
    assert "Paid to your bank account so far: $60.00" in pro.inner_text("#dash-wallet")
    pro.goto("/payouts/")
    assert "$60.00" in pro.inner_text("main")
    assert ledger_audit().clean


def test_salesman_referral_sale_through_the_api_verified_and_paid(
    browser_as, stripe_live, stripe_sim, live_server, settings
):
    from tests.support.funding import fund_with_charge as fund

    advertiser = AdvertiserFactory(full_name="Ada Advertiser", details__company_name="Acme Outdoor Gear")
    promoter = PromoterFactory(details__display_name="Sam Sells")
    campaign = Campaign.objects.create(
        advertiser=advertiser,
        campaign_type="salesman",
        status="awaiting_funding",
        title="Ultralight tent, 10% commission",
        description="Sell our tent.",
        target_url="https://acme.example/tent?color=green",
        start_date=timezone.localdate(),
        end_date=timezone.localdate() + dt.timedelta(days=60),
        commission_per_sale="10.00",
        tracking_method="referral_link",
        published_at=timezone.now(),
    )
    # The funding webhook waits until this thread's funding has committed.
    stripe_live.hold_events()
    fund(campaign, 10_000)
    stripe_live.release_events()
    assert stripe_live.wait_for_webhooks(timeout=20)
    campaign.refresh_from_db()
    assert campaign.status == "active"
    ad, pro = browser_as(advertiser), browser_as(promoter)

    pro.goto(f"/campaigns/{campaign.public_id}/")
    pro.click("button:has-text('Join campaign')")
    pro.wait_for_selector("text=You joined")
    participation = PromoterCampaign.objects.get(campaign=campaign, promoter=promoter)
    _onboard_at_stripe(pro)

    # The customer follows the referral link: the shop gets ref=<code> with its own parameters kept.
    status, location = _get(f"{live_server.url}/r/{participation.tracking_code}", ip="198.51.100.7")
    assert status == 302 and location.startswith("https://acme.example/tent?")
    assert "color=green" in location and f"ref={participation.tracking_code}" in location

    # The advertiser creates an API key (shown once) and their server reports the $250 order twice.
    ad.goto("/tracking/api-keys/")
    ad.fill("input[name=name]", "Shop backend")
    ad.click("button:has-text('Create key')")
    key = ad.get_attribute("[data-copy]", "data-copy")
    body = {
        "campaign": str(campaign.public_id),
        "ref_code": participation.tracking_code,
        "order_id": "ORDER-1001",
        "amount_cents": 25_000,
        "currency": "usd",
    }
    statuses = [_post_sale(live_server.url, key, body) for _ in range(2)]
    assert statuses == [201, 200]
    assert SaleRecord.objects.filter(campaign=campaign).count() == 1

    # The advertiser verifies it: the $25 commission is credited to the promoter's pending balance.
    ad.goto("/accounts/advertiser/")
    assert "Sales to verify" in ad.inner_text("#dash-actions")
    ad.goto("/tracking/sales/")
    ad.check("input[name=sale]")
    ad.click("button:has-text('Verify selected')")
    ad.wait_for_selector("text=Nothing to verify.")
    sale = SaleRecord.objects.get(campaign=campaign)
    assert (sale.status, sale.commission_cents) == ("verified", 2_500)
    ad.goto("/accounts/advertiser/")
    save_screenshot(ad, "salesman-01-advertiser-dashboard")
    pro.goto("/accounts/promoter/")
    save_screenshot(pro, "salesman-02-promoter-dashboard")

    _close_month_and_pay(stripe_live, timezone.localdate().replace(day=1))
    record = PayoutRecord.objects.get(promoter=promoter)
    assert (record.status, record.amount) == ("paid", 2_500)
    assert _connect_balance(stripe_sim, promoter.connect_account.stripe_account_id) == 2_500
    pro.goto("/accounts/promoter/")
    save_screenshot(pro, "salesman-03-promoter-dashboard-paid")
    assert ledger_audit().clean


def _post_sale(base_url, key, body):
    request = urllib.request.Request(
        f"{base_url}/api/v1/sales",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        return OPENER.open(request, timeout=10).status
    except urllib.error.HTTPError as error:
        return error.code
