"""End to end in a real browser: matching and pricing.

A promoter sees the campaign that fits them first in the marketplace, with the reasons, and
applies at the suggested amount; the advertiser opens the promoter's profile from the
application, invites a suggested promoter from the campaign page, and that promoter, told by a
notification, applies too. New pages are checked at phone and desktop width (overflow, axe).
"""

import pytest
from django.urls import reverse

from accounts.models import FollowerEstimate, Language, Notification, PromoterLanguage, PromoterSkill, Skill, User
from accounts.tests.factories import AdvertiserFactory, PromoterFactory
from campaigns.models import CampaignApplication, CampaignInvitation
from campaigns.tests.factories import CampaignFactory
from tests.support.browser import save_screenshot
from tests.test_e2e_pages import DESKTOP, PHONE, _check_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def _promoter(name, *, followers, completed=0):
    promoter = PromoterFactory(details__display_name=name)
    details = promoter.promoter_details
    PromoterLanguage.objects.create(promoter=details, language=Language.objects.get(code="es"))
    PromoterSkill.objects.create(promoter=details, skill=Skill.objects.get(slug="video-production"))
    FollowerEstimate.objects.create(promoter=details, platform="youtube", followers=followers)
    User.objects.filter(pk=promoter.pk).update(campaigns_completed=completed, campaigns_cancelled=1 if completed else 0)
    return promoter


def _world():
    advertiser = AdvertiserFactory(details__company_name="Acme Outdoor Gear")
    fit = CampaignFactory(
        advertiser=advertiser,
        consultant=True,
        awaiting_funding=True,
        title="Spanish trail videos",
        platforms=["youtube"],
        min_budget=10_000,
        max_budget=50_000,
    )
    fit.languages.set([Language.objects.get(code="es")])
    fit.skills.set([Skill.objects.get(slug="video-production")])
    for index in range(3):  # newer, but asking for what the promoter does not have
        other = CampaignFactory(active=True, title=f"Japanese podcast {index}", platforms=["tiktok"])
        other.languages.set([Language.objects.get(code="ja")])
        other.skills.set([Skill.objects.get(slug="podcasting")])
    pat = _promoter("Pat on the Trail", followers=12_000, completed=9)
    riley = _promoter("Riley Runs", followers=31_000)
    PromoterFactory(details__display_name="Unrelated Promoter")
    return advertiser, fit, pat, riley


def test_best_match_first_apply_at_suggestion_profile_invite_and_apply(browser_as):
    advertiser, campaign, pat, riley = _world()
    pro = browser_as(pat)

    # The promoter's marketplace opens on "Best match": the fitting campaign first, with reasons.
    pro.set_viewport_size(PHONE)
    pro.goto(reverse("campaigns:marketplace"))
    first = pro.locator("article.campaign-card").first
    assert "Spanish trail videos" in first.inner_text()
    reasons = first.locator("[data-testid=match]").inner_text()
    assert (
        "speaks Spanish" in reasons
        and "12k followers on YouTube" in reasons
        and "9 of 10 campaigns completed" in reasons
    )
    assert "Left to earn" in first.inner_text()
    save_screenshot(pro, "matching-phone-marketplace-best-match")
    pro.set_viewport_size(DESKTOP)
    save_screenshot(pro, "matching-desktop-marketplace-best-match")

    # It applies at the suggested amount, which the form starts with (12,000 x $20 / 1,000 = $240).
    first.locator("h2 a").click()
    pro.click("a:has-text('Apply')")
    suggestion = pro.locator("[data-testid=rate-suggestion]").inner_text()
    assert "Suggested: $192.00 to $288.00" in suggestion
    assert pro.input_value("input[name=amount]") == "240.00"
    save_screenshot(pro, "matching-desktop-apply-suggestion")
    pro.fill("textarea[name=pitch]", "I film trail videos in Spanish every week.")
    pro.click("button:has-text('Send application')")
    pro.wait_for_selector("text=Application sent")
    assert CampaignApplication.objects.get(campaign=campaign, promoter=pat).proposed_amount == 24_000

    # The advertiser opens the promoter's profile from the application.
    ad = browser_as(advertiser)
    ad.goto(reverse("campaigns:advertiser_detail", args=[campaign.public_id]) + "?tab=applications")
    ad.click("#tab-panel a[href*='/campaigns/promoters/']")
    ad.wait_for_selector("h1:has-text('Pat on the Trail')")
    profile = ad.content()
    assert "12,000" in profile and "Video production" in profile and "9 of 10 campaigns completed" in profile
    save_screenshot(ad, "matching-desktop-promoter-profile")

    # On the campaign page, suggestions load (HTMX); Pat applied already, Riley is suggested.
    ad.goto(reverse("campaigns:advertiser_detail", args=[campaign.public_id]))
    suggestion = ad.locator("[data-testid=suggestion]").first
    suggestion.wait_for()
    assert "Riley Runs" in suggestion.inner_text() and "speaks Spanish" in suggestion.inner_text()
    assert "Pat on the Trail" not in ad.locator("#suggested-promoters").inner_text()
    ad.set_viewport_size(PHONE)
    save_screenshot(ad, "matching-phone-suggested-promoters")
    ad.set_viewport_size(DESKTOP)
    suggestion.locator("button:has-text('Invite to apply')").click()
    ad.wait_for_selector("text=Invitation sent to Riley Runs.")
    assert CampaignInvitation.objects.filter(campaign=campaign, promoter=riley, status="sent").exists()
    ad.locator("[data-testid=suggestion]").first.wait_for()
    assert "Invited" in ad.locator("#suggested-promoters").inner_text()
    save_screenshot(ad, "matching-desktop-invited")

    # Riley follows the notification to the campaign, sees the invitation and applies.
    notification = Notification.objects.get(user=riley, kind="campaign_invitation")
    rio = browser_as(riley)
    rio.set_viewport_size(PHONE)
    rio.goto(notification.url)
    assert "Acme Outdoor Gear invited you to apply" in rio.locator("[data-testid=invitation]").inner_text()
    save_screenshot(rio, "matching-phone-invitation")
    rio.click("a:has-text('Apply')")
    rio.fill("textarea[name=pitch]", "Happy to, thanks for the invitation.")
    rio.click("button:has-text('Send application')")
    rio.wait_for_selector("text=Application sent")
    assert CampaignInvitation.objects.get(campaign=campaign, promoter=riley).status == "applied"


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_matching_pages_fit_and_pass_axe(browser_as, width):
    advertiser, campaign, pat, _riley = _world()
    viewport = PHONE if width == "phone" else DESKTOP
    ad, pro = browser_as(advertiser), browser_as(pat)
    ad.set_viewport_size(viewport)
    pro.set_viewport_size(viewport)

    problems = _check_page(pro, reverse("campaigns:marketplace"), f"matching-{width}-axe-marketplace")
    problems += _check_page(pro, reverse("campaigns:apply", args=[campaign.public_id]), f"matching-{width}-axe-apply")
    for name, url in {
        "campaign": reverse("campaigns:advertiser_detail", args=[campaign.public_id]),
        "suggested": reverse("campaigns:suggested_promoters", args=[campaign.public_id]),
        "profile": reverse("campaigns:promoter_profile", args=[pat.public_id]),
        "create": reverse("campaigns:create") + "?type=visibility",
    }.items():
        problems += _check_page(ad, url, f"matching-{width}-axe-{name}")

    assert not problems, "\n".join(problems)
