"""Fixtures shared by every app's tests."""

import pytest

pytest_plugins = ["stripe_simulator.pytest_plugin"]


@pytest.fixture
def advertiser(db):
    from accounts.tests.factories import AdvertiserFactory

    return AdvertiserFactory()


@pytest.fixture
def promoter(db):
    from accounts.tests.factories import PromoterFactory

    return PromoterFactory()


@pytest.fixture
def advertiser_client(client, advertiser):
    client.force_login(advertiser)
    return client


@pytest.fixture
def promoter_client(client, promoter):
    client.force_login(promoter)
    return client


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist, the browser and emulator tests share one worker, so Chromium and the
    Firebase Auth emulator start once per run."""
    for item in items:
        if item.get_closest_marker("e2e") or item.get_closest_marker("emulator"):
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture
def database_url_for_subprocess(db):
    """DATABASE_URL of the test database, for a process a test starts (a unix socket's folder as
    the host when the database is the embedded server)."""
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    credentials = f"{quote(db['USER'])}:{quote(db['PASSWORD'] or '')}"
    host = db["HOST"] or db["OPTIONS"].get("host") or "localhost"
    if host.startswith("/"):
        return f"postgres://{credentials}@/{quote(db['NAME'])}?host={host}"
    return f"postgres://{credentials}@{host}:{db['PORT'] or 5432}/{quote(db['NAME'])}"


@pytest.fixture
def reference_data(django_db_setup, django_db_blocker):
    """The migration-loaded lists (categories, languages, skills, platform rates), put back after a
    transactional test elsewhere has flushed every table."""
    from importlib import import_module

    from django.apps import apps

    with django_db_blocker.unblock():
        import_module("accounts.migrations.0002_reference_data").add_reference_data(apps, None)
        import_module("campaigns.migrations.0008_platform_reference_rates").seed(apps, None)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """pytest-django's test database, plus: before it is dropped, stop the background writers
    (tracking's click counter), whose threads hold their own connections to it."""
    yield
    from tracking.writer import writers_stop

    writers_stop()


@pytest.fixture
def stripe_settings(settings, stripe_sim):
    settings.STRIPE_API_BASE = stripe_sim.base_url
    settings.STRIPE_SECRET_KEY = stripe_sim.api_key
    settings.STRIPE_WEBHOOK_SECRET = stripe_sim.webhook_secret
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_TIMEOUT_SECONDS = 5
    settings.PLATFORM_FEE_PERCENT = 10
    return settings


@pytest.fixture
def card_for(stripe_settings, stripe_client):
    def make(user, card="pm_card_visa"):
        from tests.support.stripe import add_card

        return add_card(user, stripe_client, card)

    return make
