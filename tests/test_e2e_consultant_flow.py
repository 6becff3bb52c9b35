"""End to end in a real browser: a Consultant campaign from creation to approved work.

The advertiser creates and publishes the campaign, a promoter applies, they negotiate, the
advertiser accepts, defines two milestones, the promoter submits work and the advertiser
approves it. Money crosses the real boundaries: the browser pays on the Stripe simulator's
hosted page, and approval pays the milestone from the funded budget.
"""

import datetime as dt

import pytest

from accounts.tests.factories import AdvertiserFactory, PromoterFactory
from billing.audit import ledger_audit
from campaigns.models import Campaign, CampaignApplication, CampaignWork
from tests.support.browser import pay_at_checkout, save_screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def test_consultant_campaign_negotiation_milestones_and_approval(browser_as, stripe_live, live_server):
    stripe_live_url = live_server.url
    advertiser = AdvertiserFactory(full_name="Ada Advertiser")
    promoter = PromoterFactory(details__display_name="Pat Promoter")
    ad = browser_as(advertiser)
    pro = browser_as(promoter)

    # The advertiser picks the Consultant type (HTMX swaps in its fields) and saves a draft.
    ad.goto("/campaigns/new/")
    ad.click(".type-choice:has-text('Consultant')")
    ad.wait_for_selector("text=Consultant terms")
    ad.fill("input[name=title]", "Launch strategy for our trail shoe")
    ad.fill("textarea[name=description]", "Plan and run the launch of our new trail running shoe.")
    ad.fill("input[name=target_url]", "https://acme.example/shoes")
    ad.fill("input[name=min_budget_dollars]", "300")
    ad.fill("input[name=max_budget_dollars]", "500")
    ad.fill("textarea[name=deliverables]", "A launch plan and a 4-week social calendar.")
    ad.fill("input[name=timeline]", "6 weeks")
    today = dt.date.today()
    ad.fill("input[name=start_date]", today.isoformat())
    ad.fill("input[name=end_date]", (today + dt.timedelta(days=60)).isoformat())
    save_screenshot(ad, "consultant-01-create")
    ad.click("button:has-text('Save draft')")
    ad.click("button:has-text('Publish')")
    ad.wait_for_selector("text=Awaiting funding")
    campaign = Campaign.objects.get(title="Launch strategy for our trail shoe")

    # The promoter finds it in the marketplace and applies for $450.
    pro.goto("/campaigns/")
    pro.click(f"text={campaign.title}")
    pro.click("a:has-text('Apply')")
    pro.fill("input[name=amount]", "450")
    pro.fill("textarea[name=pitch]", "I launched three outdoor brands on YouTube last year.")
    pro.click("button:has-text('Send application')")
    application = CampaignApplication.objects.get(campaign=campaign, promoter=promoter)

    # Negotiation: the advertiser counters $350, the promoter counters back $400, the advertiser accepts.
    ad.goto(f"/campaigns/applications/{application.public_id}/")
    ad.fill("form.counter input[name=amount]", "350")
    ad.fill("form.counter textarea[name=pitch]", "Our budget is tight this quarter.")
    ad.click("button:has-text('Send counter-offer')")
    pro.goto(f"/campaigns/applications/{application.public_id}/")
    pro.fill("form.counter input[name=amount]", "400")
    pro.fill("form.counter textarea[name=pitch]", "Meet in the middle?")
    pro.click("button:has-text('Send counter-offer')")
    ad.goto(f"/campaigns/applications/{application.public_id}/")
    save_screenshot(ad, "consultant-02-negotiation")
    ad.click("button:has-text('Accept $400.00')")
    ad.wait_for_selector("text=Open the workspace")
    application.refresh_from_db()
    assert application.status == "accepted"
    participation = application.participation
    assert participation.agreed_amount == 40_000

    # The advertiser funds the agreed $400 plus the 10% fee on Stripe's payment page.
    ad.goto(f"/campaigns/{campaign.public_id}/manage/")
    ad.click("a:has-text('Fund campaign')")
    ad.wait_for_selector("text=Total to pay")
    save_screenshot(ad, "consultant-03-fund")
    assert "$440.00" in ad.inner_text("main")
    pay_at_checkout(ad, stripe_live, stripe_live_url, total="$440.00")
    campaign.refresh_from_db()
    assert campaign.status == "active"
    assert campaign.budget_allocations.count() == 1

    # Two milestones within the agreed amount.
    ad.goto(f"/campaigns/participations/{participation.public_id}/")
    for title, amount in [("Launch plan", "150"), ("Social calendar", "250")]:
        ad.fill("form.add-milestone input[name=title]", title)
        ad.fill("form.add-milestone input[name=amount]", amount)
        ad.click("button:has-text('Add milestone')")
        ad.wait_for_selector(f"text={title}")

    # The promoter submits work for the first milestone; the advertiser approves it.
    pro.goto(f"/campaigns/participations/{participation.public_id}/")
    first = pro.locator("article", has_text="Launch plan").first
    first.locator("textarea[name=text]").fill("The plan is in the linked document.")
    first.locator("input[name=link]").fill("https://docs.example/launch-plan")
    save_screenshot(pro, "consultant-04-submit-work")
    first.locator("button:has-text('Submit for review')").click()
    pro.wait_for_selector("text=The plan is in the linked document.")

    ad.reload()
    ad.click("button:has-text('Approve and pay $150.00')")
    ad.wait_for_selector(".badge:has-text('Approved')")
    save_screenshot(ad, "consultant-05-approved")

    work = CampaignWork.objects.get(deliverable__title="Launch plan")
    assert work.status == "approved"
    assert work.reviewed_by == advertiser
    assert not CampaignWork.objects.filter(deliverable__title="Social calendar").exists()
    # Approval paid the milestone from the budget; with no Connect account yet it waits in the wallet.
    promoter.wallet.refresh_from_db()
    assert promoter.wallet.direct_balance == 15_000
    assert ledger_audit().clean
