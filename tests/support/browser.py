"""The browser in end-to-end tests: screenshots to look at, and paying on the simulator's
Checkout page."""

from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def save_screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def pay_at_checkout(page, stripe_live, live_server_url, *, total: str):
    """From a campaign's Fund page: pay `total` (e.g. "$66.00") on the simulator's hosted Checkout
    page with a card that succeeds, and wait until the campaign is funded.

    Webhooks are held while the return page re-reads Stripe, then delivered: both paths fund once."""
    stripe_live.hold_events()
    page.click(f"button:has-text('Pay {total}')")
    page.wait_for_selector("#pay")
    page.fill("input[name=card_number]", "4242 4242 4242 4242")
    page.click("#pay")
    page.wait_for_url(lambda url: url.startswith(live_server_url))
    page.wait_for_load_state("networkidle")
    stripe_live.release_events()
    assert stripe_live.wait_for_webhooks(timeout=20)
