"""End to end in a real browser: sign up on the real sign-in page, onboard, see the dashboard."""

import pytest

from accounts.models import PromoterDetails, User

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.emulator,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


def test_new_promoter_signs_up_onboards_and_sees_dashboard(live_server, emulator, page, screenshot):
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.wait_for_selector("#auth-form[data-ready='true']")
    screenshot("sign-up-01-sign-in-page")

    page.click("a.mode-switch[data-mode='sign-up']")
    page.fill("#email", "e2e.promoter@example.test")
    page.fill("#password", "secret-pass-1")
    page.click("#auth-submit")

    page.wait_for_url("**/accounts/onboarding/")
    page.check("input[name=role][value=promoter]")
    screenshot("sign-up-02-role")
    page.click("main button:has-text('Continue')")

    page.wait_for_selector("text=Tell advertisers about you")
    page.fill("#id_display_name", "E2E Pat")
    page.select_option("#id_country", "DE")
    page.check("text=English")
    page.fill("#id_followers_youtube", "12000")
    page.fill("#id_handle_youtube", "@e2epat")
    screenshot("sign-up-03-profile")
    page.click("main button:has-text('Finish and go to my dashboard')")

    page.wait_for_url("**/accounts/promoter/")
    assert page.inner_text("h1") == "Hello, E2E Pat"
    screenshot("sign-up-04-dashboard")

    user = User.objects.get(email="e2e.promoter@example.test")
    assert user.role == "promoter"
    assert user.firebase_uid
    details = PromoterDetails.objects.get(user=user)
    assert details.country == "DE"
    assert list(details.follower_estimates.values_list("platform", "followers")) == [("youtube", 12000)]


def test_wrong_password_shows_a_clear_error_and_signs_nobody_in(live_server, emulator, page):
    emulator.sign_up("known@example.test", "right-pass-1")
    page.goto(f"{live_server.url}/accounts/sign-in/")
    page.wait_for_selector("#auth-form[data-ready='true']")

    page.fill("#email", "known@example.test")
    page.fill("#password", "wrong-pass-1")
    page.click("#auth-submit")

    error = page.wait_for_selector("#auth-error:not([hidden])")
    assert "Wrong email or password" in error.inner_text()
    assert not User.objects.exists()
