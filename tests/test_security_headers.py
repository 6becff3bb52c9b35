"""Content security policy and Permissions-Policy: scripts from this site only (or with the
request's nonce), never inline; the sign-in page alone reaches Firebase; no template carries an
inline script or an inline event handler the policy would block."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.tests.factories import AdvertiserFactory, PromoterFactory

pytestmark = pytest.mark.django_db
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split("; ") if part}


@pytest.mark.parametrize("who", ["anonymous", "advertiser", "promoter"])
def test_pages_send_a_policy_without_inline_scripts_and_a_permissions_policy(client, who):
    user = {"advertiser": AdvertiserFactory, "promoter": PromoterFactory}.get(who)
    if user:
        client.force_login(user())
    url = {"anonymous": reverse("landing"), "advertiser": reverse("reporting:advertiser_dashboard")}.get(
        who, reverse("reporting:promoter_dashboard")
    )
    response = client.get(url)

    policy = _policy(response)
    assert response.status_code == 200
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "googleapis" not in response["Content-Security-Policy"]  # only the sign-in page reaches Google
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]


def test_the_sign_in_page_may_reach_firebase_and_the_emulator(client, settings):
    settings.FIREBASE_AUTH_EMULATOR_HOST = "127.0.0.1:9099"
    policy = _policy(client.get(reverse("accounts:sign_in")))
    assert "https://identitytoolkit.googleapis.com" in policy["connect-src"]
    assert "http://127.0.0.1:9099" in policy["connect-src"] and "http://127.0.0.1:9099" in policy["frame-src"]
    assert "https://apis.google.com" in policy["script-src"]
    assert "'unsafe-inline'" not in policy["script-src"]


def test_a_nonce_is_in_the_policy_when_a_page_uses_it(rf):
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse

    def view(request):
        return HttpResponse(f'<script nonce="{request.csp_nonce}">1</script>')

    middleware = CSPMiddleware(view)
    request = rf.get("/")
    middleware.process_request(request)
    response = middleware.process_response(request, view(request))
    nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in _policy(response)["script-src"]


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)(?![^>]*nonce=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\s(on[a-z]+|hx-on[:\w-]*)\s*=", re.I)


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER):
            offenders += [
                f"{path.relative_to(TEMPLATES)}: {match.group(0).strip()}" for match in pattern.finditer(text)
            ]
    assert not offenders, "the content security policy blocks these:\n" + "\n".join(offenders)


def test_a_tracking_redirect_builds_no_document_policies_but_its_not_found_page_does(client):
    from tests.support.tracking import join, visibility_campaign

    participation = join(visibility_campaign())
    redirect = client.get(f"/v/{participation.tracking_code}", HTTP_USER_AGENT="Mozilla/5.0 Firefox/130.0")
    missing = client.get("/v/NOSUCHCODE")

    assert redirect.status_code == 302
    assert "Content-Security-Policy" not in redirect and "Permissions-Policy" not in redirect
    assert redirect["X-Frame-Options"] == "DENY" and redirect["X-Content-Type-Options"] == "nosniff"
    assert missing.status_code == 404
    assert _policy(missing)["default-src"] == ["'self'"] and "camera=()" in missing["Permissions-Policy"]


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:DB8::0:1", "2001:db8::1"),  # IPv6 in its canonical form
        ("010.1.2.3", "203.0.113.1"),  # leading zeros: not an address, so REMOTE_ADDR
        ("1.2.3.4\x00", "203.0.113.1"),
        ("256.1.2.3", "203.0.113.1"),
        ("é", "203.0.113.1"),
    ],
)
def test_the_client_address_is_the_proxys_entry_in_canonical_form(rf, settings, forwarded, expected):
    from campaignplatform.http import client_ip

    settings.TRACKING_TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="203.0.113.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
