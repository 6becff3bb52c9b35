"""End to end in a real browser: every main page of each role at phone and desktop width.

For each page: no horizontal overflow (the document is no wider than the viewport), no serious
or critical accessibility violation found by axe-core (vendored by axe-playwright-python, no
CDN), and a full-page screenshot in test-artifacts/ (pages-<role>-<width>-<page>.png) for people
to look at. Problems are collected over all pages and reported together.
"""

import pytest
from django.urls import reverse

from tests.support.browser import save_screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}
BLOCKING_IMPACTS = {"serious", "critical"}


def _world():
    """One advertiser with a campaign of each type in a telling state, a promoter taking part
    in each, work to review, sales to verify, views counted and not yet credited, and staff."""
    from accounts.tests.factories import PromoterFactory, UserFactory
    from campaigns import services as campaign_services
    from campaigns.models import PromoterCampaign
    from campaigns.tests.factories import (
        ApplicationFactory,
        CampaignFactory,
        DeliverableFactory,
        PromoterCampaignFactory,
        WorkFactory,
    )
    from tests.support.tracking import join, salesman_campaign, visibility_campaign
    from tracking import services as tracking_services
    from tracking.models import SaleSource

    promoter = PromoterFactory(email="pat@example.test", full_name="Pat Walker")
    promoter.promoter_details.display_name = "Pat on the Trail"
    promoter.promoter_details.save()
    visibility = visibility_campaign(title="Trail Running Shoes Launch")
    advertiser = visibility.advertiser
    advertiser.advertiser_details.company_name = "Acme Outdoor Gear"
    advertiser.advertiser_details.save()
    seen = join(visibility, promoter)
    PromoterCampaign.objects.filter(pk=seen.pk).update(views_generated=480)

    salesman = salesman_campaign(advertiser=advertiser, title="Backpack Referral Program", tracking_method="both")
    selling = join(salesman, promoter)
    for number, amount in enumerate([12_900, 8_450, 23_000], start=1):
        sale, _ = tracking_services.sale_record(
            campaign=salesman,
            order_id=f"ORDER-{number:04d}",
            amount_cents=amount,
            currency="usd",
            ref_code=selling.tracking_code,
            source=SaleSource.MANUAL,
        )
        if number == 1:
            tracking_services.sale_verify(sale=sale, actor=advertiser)

    project = PromoterCampaignFactory(
        selected=True, promoter=promoter, campaign__advertiser=advertiser, campaign__title="Gear Review Video Series"
    )
    WorkFactory(deliverable=DeliverableFactory(promoter_campaign=project, title="Tent review video", amount=15_000))
    DeliverableFactory(promoter_campaign=project, title="Backpack review video", amount=10_000)
    open_project = CampaignFactory(
        advertiser=advertiser, consultant=True, awaiting_funding=True, title="Trail Safety Workshop Series"
    )
    application = ApplicationFactory(campaign=open_project, promoter=promoter, current_amount=45_000)
    campaign_services.application_message_post(
        application=application, actor=promoter, body="I have run twelve workshops on trail safety."
    )
    awaiting = CampaignFactory(advertiser=advertiser, awaiting_funding=True, title="Headlamp Night Hikes")
    CampaignFactory(advertiser=advertiser, title="Autumn draft")
    staff = UserFactory(email="staff@example.test", is_staff=True, is_superuser=True)
    return {
        "advertiser": advertiser,
        "promoter": promoter,
        "staff": staff,
        "visibility": visibility,
        "salesman": salesman,
        "project": project,
        "open_project": open_project,
        "application": application,
        "awaiting": awaiting,
        "seen": seen,
        "selling": selling,
    }


def _advertiser_pages(world):
    visibility, salesman, project = world["visibility"], world["salesman"], world["project"]
    consultant = project.campaign
    detail = "campaigns:advertiser_detail"
    return {
        "dashboard": reverse("reporting:advertiser_dashboard"),
        "campaigns": reverse("campaigns:advertiser_list"),
        "new-campaign": reverse("campaigns:create") + "?type=visibility",
        "visibility-overview": reverse(detail, args=[visibility.public_id]),
        "visibility-participants": reverse(detail, args=[visibility.public_id]) + "?tab=participants",
        "consultant-applications": reverse(detail, args=[world["open_project"].public_id]) + "?tab=applications",
        "consultant-work": reverse(detail, args=[consultant.public_id]) + "?tab=work",
        "end-confirmation": reverse("campaigns:action_confirm", args=[visibility.public_id, "complete"]),
        "application": reverse("campaigns:application_detail", args=[world["application"].public_id]),
        "workspace": reverse("campaigns:participation_detail", args=[project.public_id]),
        "funding": reverse("billing:fund", args=[world["awaiting"].public_id]),
        "top-up": reverse("billing:fund", args=[salesman.public_id]) + "?budget_dollars=50",
        "billing": reverse("billing:overview"),
        "statements": reverse("payouts:statement_list"),
        "results": reverse("tracking:advertiser_overview"),
        "results-salesman": reverse("tracking:advertiser_campaign", args=[salesman.public_id]),
        "results-visibility": reverse("tracking:advertiser_campaign", args=[visibility.public_id]),
        "sales-queue": reverse("tracking:sales_queue"),
        "api-keys": reverse("tracking:api_keys"),
        "inbox": reverse("accounts:notifications"),
        "profile": reverse("accounts:profile_edit"),
        "not-found": "/no-such-page/",
    }


def _promoter_pages(world):
    return {
        "dashboard": reverse("reporting:promoter_dashboard"),
        "marketplace": reverse("campaigns:marketplace"),
        "marketplace-filtered": reverse("campaigns:marketplace") + "?type=visibility&min_rate=-5",
        "campaign": reverse("campaigns:promoter_detail", args=[world["open_project"].public_id]),
        "my-campaigns": reverse("campaigns:my_campaigns"),
        "my-applications": reverse("campaigns:my_applications"),
        "application": reverse("campaigns:application_detail", args=[world["application"].public_id]),
        "workspace": reverse("campaigns:participation_detail", args=[world["project"].public_id]),
        "links": reverse("tracking:promoter_links"),
        "link-visibility": reverse("tracking:promoter_participation", args=[world["seen"].public_id]),
        "link-salesman": reverse("tracking:promoter_participation", args=[world["selling"].public_id]),
        "wallet": reverse("payouts:wallet"),
        "get-paid": reverse("payouts:get_paid"),
        "statements": reverse("payouts:statement_list"),
        "inbox": reverse("accounts:notifications"),
        "profile": reverse("accounts:profile_edit"),
        "forbidden": reverse("billing:overview"),
    }


def _staff_pages(world):
    return {"finance": "/admin/finance/", "admin": "/admin/", "campaigns": "/admin/campaigns/campaign/"}


def _public_pages(world):
    return {"landing": "/", "sign-in": reverse("accounts:sign_in")}


def _check_page(page, url, name):
    """Visit `url`; return the problems found (overflow, serious/critical axe violations)."""
    from axe_playwright_python.sync_playwright import Axe

    page.goto(url)
    page.wait_for_load_state("networkidle")
    problems = []
    viewport = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > viewport:
        wide = page.evaluate(
            """(limit) => [...document.querySelectorAll('body *')]
                 .filter(el => el.getBoundingClientRect().right > limit + 1)
                 .slice(0, 5).map(el => el.tagName.toLowerCase() + '.' + [...el.classList].join('.'))""",
            viewport,
        )
        problems.append(f"{name} {url}: page is {scroll_width}px wide at {viewport}px ({', '.join(wide)})")
    results = Axe().run(page)
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING_IMPACTS:
            targets = "; ".join(", ".join(node["target"]) for node in violation["nodes"][:3])
            problems.append(f"{name} {url}: axe {violation['id']} ({violation['impact']}): {targets}")
    save_screenshot(page, name)
    return problems


def _visit_all(page, pages, prefix):
    problems = []
    for name, url in pages.items():
        problems += _check_page(page, url, f"{prefix}-{name}")
    return problems


def _at_width(page, width):
    page.set_viewport_size(WIDTHS[width])
    return page


@pytest.mark.parametrize("width", WIDTHS)
def test_advertiser_pages_fit_and_pass_axe(browser_as, width):
    world = _world()
    page = _at_width(browser_as(world["advertiser"]), width)

    problems = _visit_all(page, _advertiser_pages(world), f"pages-advertiser-{width}")

    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_promoter_pages_fit_and_pass_axe(browser_as, width):
    world = _world()
    page = _at_width(browser_as(world["promoter"]), width)

    problems = _visit_all(page, _promoter_pages(world), f"pages-promoter-{width}")

    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_staff_and_public_pages_fit_and_pass_axe(browser_as, width):
    world = _world()
    staff = _at_width(browser_as(world["staff"]), width)
    anonymous = _at_width(browser_as(None), width)
    problems = _visit_all(staff, _staff_pages(world), f"pages-staff-{width}")
    problems += _visit_all(anonymous, _public_pages(world), f"pages-public-{width}")

    assert not problems, "\n".join(problems)


def test_phone_menu_opens_and_closes_with_the_keyboard(browser_as):
    world = _world()
    page = _at_width(browser_as(world["promoter"]), "phone")
    page.goto(reverse("reporting:promoter_dashboard"))
    toggle = page.locator(".menu-toggle")
    wallet = page.locator("#main-nav >> text=Wallet")

    assert toggle.is_visible() and not wallet.is_visible()
    toggle.focus()
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true" and wallet.is_visible()
    save_screenshot(page, "pages-promoter-phone-menu-open")
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false" and not wallet.is_visible()

    page.set_viewport_size(DESKTOP)
    assert not toggle.is_visible() and wallet.is_visible()


def test_rejecting_work_asks_in_a_dialog_that_escape_cancels(browser_as):
    from campaigns.models import CampaignWork

    world = _world()
    page = _at_width(browser_as(world["advertiser"]), "desktop")
    page.goto(reverse("campaigns:participation_detail", args=[world["project"].public_id]))
    page.get_by_label("Reason").select_option("brief")
    page.get_by_label("Note").fill("Not what we agreed")
    page.click("button:has-text('Reject')")

    dialog = page.locator("#confirm-dialog")
    assert dialog.is_visible()
    assert "$150.00 stays in the campaign budget" in dialog.inner_text()
    save_screenshot(page, "pages-advertiser-desktop-confirm-reject")
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert CampaignWork.objects.get().status == "submitted"

    page.click("button:has-text('Reject')")
    page.click("#confirm-yes")
    page.wait_for_selector("text=Work rejected.")
    work = CampaignWork.objects.get()
    assert (work.status, work.review_reason_code, work.review_comment) == ("rejected", "brief", "Not what we agreed")


def test_salesman_total_appears_while_typing_the_budget(browser_as):
    world = _world()
    page = _at_width(browser_as(world["advertiser"]), "phone")
    page.goto(reverse("billing:fund", args=[world["salesman"].public_id]))

    page.fill("input[name=budget_dollars]", "50")

    page.wait_for_selector("button:has-text('Pay $55.00')")
    assert "/fund/" in page.url and "budget_dollars" not in page.url  # no page load, no round trip
    save_screenshot(page, "pages-advertiser-phone-top-up-typed")


def test_create_form_previews_the_cost_as_the_advertiser_types(browser_as):
    world = _world()
    page = _at_width(browser_as(world["advertiser"]), "phone")
    page.goto(reverse("campaigns:create") + "?type=visibility")

    page.fill("input[name=cpv_dollars]", "3.00")
    page.fill("input[name=max_views]", "2000")

    # Billing works the figures out on the server (HTMX, after a short pause in typing).
    expected = "$60.00 for 2,000 views at $3.00 per 100, plus a $6.00 platform fee = $66.00"
    page.wait_for_function("(text) => document.querySelector('#cost-preview').innerText.includes(text)", arg=expected)
    assert "Suggested rate: $3.00 per 100 views" in page.locator("#rate-suggestion").inner_text()
    save_screenshot(page, "pages-advertiser-phone-new-campaign-preview")


def test_sign_in_page_switches_its_wording_for_sign_up(page, live_server):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("accounts:sign_in"))
    page.wait_for_selector("#auth-form[data-ready=true]")

    page.click("text=Create an account")

    assert page.inner_text("#auth-title") == "Create your account"
    assert page.locator("#intro-sign-up").is_visible() and not page.locator("#intro-sign-in").is_visible()
    assert not page.locator("#forgot-password").is_visible()
    page.click("#back-to-sign-in")
    page.click("#forgot-password")
    assert "Enter your email above" in page.inner_text("#auth-error")
    save_screenshot(page, "pages-public-phone-sign-in-forgot")


def test_rejecting_sales_from_the_htmx_queue_asks_first(browser_as):
    from tracking.models import SaleRecord

    world = _world()
    page = _at_width(browser_as(world["advertiser"]), "phone")
    page.goto(reverse("tracking:sales_queue"))
    page.check("input[aria-label='Select ORDER-0002']")
    page.get_by_label("Reason").select_option("order_cancelled")
    page.get_by_label("Note (optional)").fill("Cancelled by the customer")

    page.click("button:has-text('Reject selected')")
    assert page.locator("#confirm-dialog").is_visible()
    page.click("#confirm-dialog button:has-text('Go back')")
    assert SaleRecord.objects.get(order_id="ORDER-0002").status == "pending"

    page.click("button:has-text('Reject selected')")
    page.click("#confirm-yes")
    page.wait_for_selector("#queue-count:has-text('1')")
    rejected = SaleRecord.objects.get(order_id="ORDER-0002")
    assert (rejected.status, rejected.decision_reason_code) == ("rejected", "order_cancelled")
