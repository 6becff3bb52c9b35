"""Fixtures for tests that cross real boundaries: the Firebase Auth emulator and a real browser."""

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
EMULATOR_PROJECT = "demo-campaign"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _port_open(host, port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _missing(what, how):
    """A missing tool fails the run in CI (it must install it) and skips, with the reason, elsewhere."""
    message = f"{what} is not available: {how}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def firebase_emulator(tmp_path_factory):
    """The official Firebase Auth emulator, started once per test session (about 15 s) on free
    ports of its own, so a `make run` on the development ports (9099, 4400) is left alone."""
    host, port = "127.0.0.1", _free_port()
    firebase_cli = ROOT / "node_modules" / ".bin" / "firebase"
    if not firebase_cli.exists():
        _missing("firebase-tools", "run `npm ci` (make test does)")
    config = tmp_path_factory.mktemp("firebase") / "firebase.json"
    emulators = {name: {"host": host, "port": _free_port()} for name in ("hub", "logging")}
    emulators |= {"auth": {"host": host, "port": port}, "ui": {"enabled": False}, "singleProjectMode": True}
    config.write_text(json.dumps({"emulators": emulators}))
    process = subprocess.Popen(
        [str(firebase_cli), "emulators:start", "--only", "auth", "--project", EMULATOR_PROJECT, "--config", config],
        cwd=config.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not _port_open(host, port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("The Firebase Auth emulator did not start within 120 s.")
        time.sleep(0.5)
    yield Emulator(f"{host}:{port}")
    os.killpg(process.pid, 15)
    process.wait(timeout=30)


class Emulator:
    def __init__(self, host):
        self.host = host
        self.base = f"http://{host}"

    def _request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.base}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"{}")

    def wipe(self):
        self._request("DELETE", f"/emulator/v1/projects/{EMULATOR_PROJECT}/accounts")

    def sign_up(self, email, password):
        """A new emulator user; returns (uid, id_token) as the browser SDK would get them."""
        result = self._request(
            "POST",
            "/identitytoolkit.googleapis.com/v1/accounts:signUp?key=any",
            {"email": email, "password": password, "returnSecureToken": True},
        )
        return result["localId"], result["idToken"]

    def sign_in(self, email, password):
        result = self._request(
            "POST",
            "/identitytoolkit.googleapis.com/v1/accounts:signInWithPassword?key=any",
            {"email": email, "password": password, "returnSecureToken": True},
        )
        return result["idToken"]


@pytest.fixture
def emulator(firebase_emulator, settings, monkeypatch):
    """Django and firebase-admin pointed at the running emulator, with no users in it."""
    from accounts import firebase

    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", firebase_emulator.host)
    settings.FIREBASE_AUTH_EMULATOR_HOST = firebase_emulator.host
    settings.FIREBASE_CHECK_REVOKED = True
    firebase.reset_firebase_app()
    firebase_emulator.wipe()
    yield firebase_emulator
    firebase.reset_firebase_app()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        _missing("Debian's chromium", "apt-get install chromium (.ci/run does)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test
    # itself are still synchronous and safe.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


CSP_WATCH = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} on ${event.documentURI}`);
});
"""


def watch_csp(context, violations: list):
    """Record every Content-Security-Policy violation in `context`'s pages (all navigations)."""
    context.expose_binding("__cspViolation", lambda source, text: violations.append(text))
    context.add_init_script(CSP_WATCH)


def assert_no_csp_violations(violations):
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    violations = []
    watch_csp(context, violations)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert_no_csp_violations(violations)


@pytest.fixture
def screenshot(page):
    """Save a full-page screenshot under test-artifacts/ (kept by CI for people to look at)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name):
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def browser_as(browser, live_server):
    """A browser context signed in as `user` (session cookie; Firebase sign-in has its own test),
    or not signed in for None; every page it opens fails the test on a CSP violation."""
    from django.conf import settings as django_settings
    from django.test import Client

    contexts = []
    violations = []

    def open_as(user):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
        if user is not None:  # None: a visitor who is not signed in
            client = Client()
            client.force_login(user)
            context.add_cookies(
                [
                    {
                        "name": django_settings.SESSION_COOKIE_NAME,
                        "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                        "url": live_server.url,
                    }
                ]
            )
        contexts.append(context)
        watch_csp(context, violations)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_as
    for context in contexts:
        context.close()
    assert_no_csp_violations(violations)


@pytest.fixture
def stripe_live(settings, stripe_sim, live_server):
    """The site and the Stripe simulator talking to each other for real: the product calls the
    simulator through the `stripe` client, and the simulator sends signed webhooks back."""
    settings.STRIPE_API_BASE = stripe_sim.base_url
    settings.STRIPE_SECRET_KEY = stripe_sim.api_key
    settings.STRIPE_WEBHOOK_SECRET = stripe_sim.webhook_secret
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.SITE_URL = live_server.url
    stripe_sim.configure(webhook_url=f"{live_server.url}/billing/stripe/webhook/")
    return stripe_sim
