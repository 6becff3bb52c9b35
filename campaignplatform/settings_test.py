"""Test settings, applied through pytest's `--ds` (pytest.ini), never through `if TESTING`."""

import os

os.environ.setdefault("DEBUG", "true")

from campaignplatform.settings import *  # noqa: F403
from campaignplatform.settings import DATABASES, Q_CLUSTER

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Unit tests mint tokens locally; the emulator fixture sets the real host when it runs.
FIREBASE_PROJECT_ID = "demo-campaign"
FIREBASE_API_KEY = "demo-api-key"
STRIPE_SECRET_KEY = "sk_test_simulator"
# Nothing listens on port 1: a test that talks to Stripe aims at its own simulator on a free port
# (the `stripe_sim` fixtures), never at a development simulator on 12111.
STRIPE_API_BASE = "http://127.0.0.1:1"
STRIPE_WEBHOOK_SECRET = "whsec_test"
# Minted unit-test tokens have no emulator user behind them; emulator tests turn this on.
FIREBASE_CHECK_REVOKED = False
# A second alias on the same test database, so the replica router can be tried (tests turn
# READ_REPLICA_ENABLED on). A separate connection: it sees committed rows only.
DATABASES = {**DATABASES, "replica": {**DATABASES["default"], "TEST": {"MIRROR": "default"}}}
READ_REPLICA_ENABLED = False
