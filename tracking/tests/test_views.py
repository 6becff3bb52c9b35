"""The Visibility redirect: counted once per visitor a day, and only for people."""

import pytest
from django.test import Client

from campaigns.models import Campaign, PromoterCampaign
from campaigns.services import campaign_pause
from tests.support.tracking import BROWSER_UA, join, visibility_campaign, visit
from tracking.models import RateLimitWindow, UniqueView, ViewStat

pytestmark = pytest.mark.django_db


@pytest.fixture
def participation():
    return join(visibility_campaign())


def stat(participation):
    return ViewStat.objects.get(participation=participation)


def paid_views(participation):
    return Campaign.objects.get(pk=participation.campaign_id).paid_views


def test_view_redirects_to_target_without_caching_and_counts_once(client, participation):
    response = visit(client, participation)

    assert response.status_code == 302
    assert response["Location"] == "https://example.com/product"
    assert response["Cache-Control"] == "private, no-store"
    row = stat(participation)
    assert (row.requests, row.unique_views, row.paid_views) == (1, 1, 1)
    assert paid_views(participation) == 1
    assert PromoterCampaign.objects.get(pk=participation.pk).views_generated == 1


def test_same_visitor_the_same_day_counts_once(client, participation):
    for _ in range(3):
        assert visit(client, participation).status_code == 302

    row = stat(participation)
    assert (row.requests, row.unique_views, row.paid_views, row.rejected_duplicate) == (3, 1, 1, 2)
    assert UniqueView.objects.count() == 1


def test_other_ip_or_user_agent_is_another_visitor(client, participation):
    visit(client, participation, ip="203.0.113.7")
    visit(client, participation, ip="203.0.113.8")
    visit(client, participation, ip="203.0.113.7", ua=BROWSER_UA + " Edg/131.0")

    assert stat(participation).paid_views == 3


def test_no_raw_ip_or_user_agent_is_stored(client, participation):
    visit(client, participation, ip="198.51.100.23")

    row = UniqueView.objects.get()
    assert "198.51.100.23" not in row.visitor_hash and len(row.visitor_hash) == 32
    assert not RateLimitWindow.objects.filter(ip_key__contains="198.51").exists()


def test_visitor_key_changes_with_the_day():
    from tracking.visitors import visitor_key

    one = visitor_key(day_iso="2026-01-01", ip="1.2.3.4", user_agent="ua")
    two = visitor_key(day_iso="2026-01-02", ip="1.2.3.4", user_agent="ua")
    assert one != two


@pytest.mark.parametrize(
    "ua",
    [
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Facebot",
        "Twitterbot/1.0",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Slack-ImgProxy (+https://api.slack.com/robots)",
        "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
        "WhatsApp/2.23.20.0 A",
        "TelegramBot (like TwitterBot)",
        "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13 Safari/605.1.15 (Applebot/0.1)",
        "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
        "curl/8.5.0",
        "Wget/1.21.4",
        "python-requests/2.32.3",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0 Safari/537.36",
        "",
        "Mozilla",
    ],
)
def test_bots_and_link_previews_redirect_but_do_not_count(client, participation, ua):
    response = visit(client, participation, ua=ua)

    assert response.status_code == 302
    row = stat(participation)
    assert (row.requests, row.paid_views, row.rejected_bot) == (1, 0, 1)
    assert paid_views(participation) == 0


@pytest.mark.parametrize(
    "ua",
    [
        BROWSER_UA,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 [FBAN/FBIOS;FBAV/440.0]",
        "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0 Mobile Safari/537.36",
    ],
)
def test_people_in_browsers_and_in_app_browsers_count(client, participation, ua):
    visit(client, participation, ua=ua)

    assert stat(participation).paid_views == 1


def test_head_request_redirects_but_does_not_count(client, participation):
    response = visit(client, participation, method="head")

    assert response.status_code == 302
    assert stat(participation).rejected_prefetch == 1
    assert paid_views(participation) == 0


@pytest.mark.parametrize(
    "header", [{"HTTP_PURPOSE": "prefetch"}, {"HTTP_SEC_PURPOSE": "prefetch;prerender"}, {"HTTP_X_MOZ": "prefetch"}]
)
def test_prefetch_redirects_but_does_not_count(client, participation, header):
    response = visit(client, participation, **header)

    assert response.status_code == 302
    assert stat(participation).rejected_prefetch == 1
    assert paid_views(participation) == 0


def test_promoters_own_click_does_not_count(client, participation):
    client.force_login(participation.promoter)

    response = visit(client, participation)

    assert response.status_code == 302
    assert stat(participation).rejected_self == 1
    assert paid_views(participation) == 0


def test_someone_else_signed_in_counts(client, participation, advertiser):
    client.force_login(advertiser)

    visit(client, participation)

    assert stat(participation).paid_views == 1


def test_paused_campaign_redirects_but_does_not_count(client, participation):
    campaign_pause(campaign=participation.campaign, reason="test")

    response = visit(client, participation)

    assert response.status_code == 302
    assert stat(participation).rejected_inactive == 1
    assert paid_views(participation) == 0


def test_unknown_code_is_404(client, db):
    assert client.get("/v/NOSUCHCODE", HTTP_USER_AGENT=BROWSER_UA).status_code == 404
    assert client.get("/v/" + "A" * 40, HTTP_USER_AGENT=BROWSER_UA).status_code == 404


def test_post_is_not_allowed(client, participation):
    assert client.post(f"/v/{participation.tracking_code}").status_code == 405
    assert not ViewStat.objects.exists()


def test_rate_limit_stops_a_flood_from_one_ip(client, participation, settings):
    settings.TRACKING_RATE_LIMIT_PER_MINUTE = 5
    for n in range(8):
        assert visit(client, participation, ua=f"{BROWSER_UA} v{n}").status_code == 302

    row = stat(participation)
    assert (row.requests, row.paid_views, row.rejected_rate_limit) == (8, 5, 3)
    # Another address is not affected.
    visit(client, participation, ip="203.0.113.99")
    assert stat(participation).paid_views == 6


def test_rate_limit_window_is_per_minute(participation, settings):
    from datetime import timedelta

    from django.utils import timezone

    from tracking.services import link_lookup, view_track

    settings.TRACKING_RATE_LIMIT_PER_MINUTE = 1
    link = link_lookup(participation.tracking_code)
    now = timezone.now().replace(second=1)
    kwargs = {"link": link, "ip": "203.0.113.1", "user_id": None, "prefetch": False}
    assert view_track(user_agent=BROWSER_UA, now=now, **kwargs) is None
    assert view_track(user_agent=BROWSER_UA + " 2", now=now, **kwargs) == "rate_limit"
    assert view_track(user_agent=BROWSER_UA + " 3", now=now + timedelta(minutes=1), **kwargs) is None


def test_forwarded_for_is_used_only_behind_trusted_proxies(client, participation, settings):
    # No trusted proxy: a client-written X-Forwarded-For is ignored (one visitor, deduped).
    for spoof in ("1.1.1.1", "2.2.2.2"):
        visit(client, participation, HTTP_X_FORWARDED_FOR=spoof)
    assert stat(participation).paid_views == 1

    # One trusted proxy: the entry it appended is the client; what the client wrote is ignored.
    settings.TRACKING_TRUSTED_PROXY_COUNT = 1
    visit(client, participation, HTTP_X_FORWARDED_FOR="9.9.9.9, 198.51.100.1")
    visit(client, participation, HTTP_X_FORWARDED_FOR="8.8.8.8, 198.51.100.1")
    visit(client, participation, HTTP_X_FORWARDED_FOR="198.51.100.2")
    visit(client, participation, HTTP_X_FORWARDED_FOR="not-an-ip")  # falls back to REMOTE_ADDR (deduped)
    assert stat(participation).paid_views == 3


@pytest.mark.parametrize(
    "suffix",
    [
        "?next=https://evil.example",
        "?url=//evil.example",
        "?target=https%3A%2F%2Fevil.example&ref=x",
        "/..%2F..%2Fevil.example",
        "?redirect=javascript:alert(1)",
    ],
)
def test_no_open_redirect_through_any_parameter(client, participation, suffix):
    response = client.get(f"/v/{participation.tracking_code}{suffix}", HTTP_USER_AGENT=BROWSER_UA)

    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert response["Location"] == "https://example.com/product"


def test_referral_link_adds_ref_and_keeps_the_targets_query(client, db):
    from tests.support.tracking import salesman_campaign

    campaign = salesman_campaign(target_url="https://shop.example/p?id=5&utm_source=x&ref=old#buy")
    participation = join(campaign)

    response = client.get(f"/r/{participation.tracking_code}?ref=EVIL&next=https://evil.example")

    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    assert response["Location"] == f"https://shop.example/p?id=5&utm_source=x&ref={participation.tracking_code}#buy"


def test_link_kinds_do_not_mix(client, participation):
    assert client.get(f"/r/{participation.tracking_code}").status_code == 404


def test_concurrent_stats_increments_are_not_lost_sequentially(participation):
    """Many requests on one row: every one is in the counters (the upsert increments)."""
    client = Client()
    for n in range(20):
        visit(client, participation, ip=f"203.0.113.{n % 4}")
    row = stat(participation)
    assert row.requests == 20
    assert row.paid_views + row.rejected_duplicate == 20


def test_link_lookup_cache_never_pays_a_view_of_a_paused_campaign(client, participation, settings):
    settings.TRACKING_LINK_CACHE_SECONDS = 60
    visit(client, participation, ip="203.0.113.1")  # cached as active
    campaign_pause(campaign=participation.campaign, reason="test")

    response = visit(client, participation, ip="203.0.113.2")

    assert response.status_code == 302
    assert paid_views(participation) == 1  # the database refused it
    row = stat(participation)
    assert (row.paid_views, row.rejected_cap) == (1, 1)


@pytest.mark.parametrize("path", ["/v/AB%00CD", "/r/AB%00CD", "/v/AB%20CD", "/r/%C3%A9t%C3%A9"])
def test_a_code_that_is_not_letters_and_digits_is_404_not_a_database_error(client, path):
    assert client.get(path, HTTP_USER_AGENT=BROWSER_UA).status_code == 404
    assert not ViewStat.objects.exists()
