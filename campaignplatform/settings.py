"""Settings for Campaign Platform, read from the environment (and a local `.env`) through
django-environ. Production values that are missing fail loudly at start-up, naming the variable.
"""

import hashlib
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local `.env` is for development only; real deployments set the environment itself.
# ENV_FILE names another file (or none: ENV_FILE=/dev/null).
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

DEBUG = env.bool("DEBUG", default=False)


def _secret(name, *, dev_default):
    """A secret that production must set. `NAME_FILE` may point at a file holding it."""
    file_path = env.str(f"{name}_FILE", default="")
    if file_path:
        return Path(file_path).read_text().strip()
    if DEBUG:
        return env.str(name, default=dev_default)
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"Set the {name} environment variable (required when DEBUG is off).")
    return value


SECRET_KEY = _secret("SECRET_KEY", dev_default="dev-insecure-3b9f0c1e7d2a4f6b8c0e2d4f6a8b0c2e4d6f8a0b2c4e6d8f")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "csp",  # its system checks catch django-csp 3.x settings left behind
    "template_partials",
    "django_q",
    "campaignplatform",
    "accounts",
    "campaigns",
    "billing",
    "payouts",
    "tracking",
    "reporting",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "campaignplatform.http.ContentLengthMiddleware",
    "campaignplatform.http.ContentSecurityPolicyMiddleware",  # django-csp's
    "campaignplatform.http.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "campaignplatform.replica.ReportReadsMiddleware",
]

ROOT_URLCONF = "campaignplatform.urls"
WSGI_APPLICATION = "campaignplatform.wsgi.application"
ASGI_APPLICATION = "campaignplatform.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.notifications",
                "csp.context_processors.nonce",
            ],
        },
    },
]


def _database_url() -> str:
    """DATABASE_URL, or with DEBUG on, the embedded PostgreSQL server of local runs
    (campaignplatform/embedded_postgres.py)."""
    url = env.str("DATABASE_URL", default="")
    if url:
        return url
    if not DEBUG:
        raise ImproperlyConfigured("Set the DATABASE_URL environment variable (required when DEBUG is off).")
    from campaignplatform.embedded_postgres import database_url

    return database_url()


DATABASES = {"default": env.db_url_config(_database_url())}
# Connections are kept between requests (each web thread holds one): opening one costs a page
# several milliseconds of the server forking a backend. Checked before reuse, so one the server
# or a failover closed is replaced instead of failing the request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Money services open their own `transaction.atomic(durable=True)`; per-request transactions
# would hide those boundaries and hold row locks across Stripe calls.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A read replica for reports (campaignplatform/replica.py): dashboards, statements, results.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
READ_REPLICA_ENABLED = bool(DATABASE_REPLICA_URL)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # An unreachable replica must cost a page little before it falls back to the primary.
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
DATABASE_ROUTERS = ["campaignplatform.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:sign_in"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "landing"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded work files are private: never under STATIC/MEDIA URLs, served only through views
# that check who is asking.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private_media")))

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Campaign Platform <noreply@campaignplatform.local>")

# --- Firebase Auth -------------------------------------------------------------------------
# With FIREBASE_AUTH_EMULATOR_HOST set, firebase-admin talks to the local emulator; the
# browser SDK is pointed at the same host.
FIREBASE_PROJECT_ID = env.str("FIREBASE_PROJECT_ID", default="demo-campaign" if DEBUG else "")
FIREBASE_API_KEY = env.str("FIREBASE_API_KEY", default="demo-api-key" if DEBUG else "")
FIREBASE_AUTH_DOMAIN = env.str("FIREBASE_AUTH_DOMAIN", default=f"{FIREBASE_PROJECT_ID}.firebaseapp.com")
FIREBASE_AUTH_EMULATOR_HOST = env.str("FIREBASE_AUTH_EMULATOR_HOST", default="")
# Path to a service-account JSON; optional (verifying ID tokens needs only the project id).
FIREBASE_CREDENTIALS_FILE = env.str("FIREBASE_CREDENTIALS_FILE", default="")
# Revocation and disabled-user checks cost a call to Firebase per sign-in; worth it.
FIREBASE_CHECK_REVOKED = env.bool("FIREBASE_CHECK_REVOKED", default=True)
if not DEBUG:
    for _name in ("FIREBASE_PROJECT_ID", "FIREBASE_API_KEY"):
        if not vars()[_name]:
            raise ImproperlyConfigured(f"Set the {_name} environment variable (required when DEBUG is off).")
    if FIREBASE_CHECK_REVOKED and not (FIREBASE_CREDENTIALS_FILE or FIREBASE_AUTH_EMULATOR_HOST):
        raise ImproperlyConfigured(
            "Set the FIREBASE_CREDENTIALS_FILE environment variable (a service account is needed to refuse "
            "revoked or disabled users), or set FIREBASE_CHECK_REVOKED=false."
        )

# --- Stripe --------------------------------------------------------------------------------
STRIPE_SECRET_KEY = _secret("STRIPE_SECRET_KEY", dev_default="sk_test_simulator")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="pk_test_simulator")
STRIPE_WEBHOOK_SECRET = _secret("STRIPE_WEBHOOK_SECRET", dev_default="whsec_simulator")
# The Connect endpoint's own signing secret (connected accounts' events), if it has one.
STRIPE_CONNECT_WEBHOOK_SECRET = env.str("STRIPE_CONNECT_WEBHOOK_SECRET", default="")
# Empty means the real Stripe API. The local simulator (stripe_simulator/) is used only when set.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="http://127.0.0.1:12111" if DEBUG else "")
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
STRIPE_TIMEOUT_SECONDS = env.int("STRIPE_TIMEOUT_SECONDS", default=20)
# A 429 from Stripe (rate limit): the payout run backs off from this many seconds, doubling with
# jitter, and sends the same request again up to this many times before leaving it for later.
STRIPE_RATE_LIMIT_BACKOFF_SECONDS = env.float("STRIPE_RATE_LIMIT_BACKOFF_SECONDS", default=0.5)
STRIPE_RATE_LIMIT_RETRIES = env.int("STRIPE_RATE_LIMIT_RETRIES", default=6)
# ...and waits at most this long in all per batch of payouts (the worker's task timeout is 120 s).
STRIPE_RATE_LIMIT_MAX_WAIT_SECONDS = env.float("STRIPE_RATE_LIMIT_MAX_WAIT_SECONDS", default=30)
# Stripe's request budget, shared by every process through billing.ratelimit: requests a second
# over the whole account (Stripe: 100 live, 25 test) and on each money-moving endpoint (Stripe: 25
# on POST /v1/transfers, POST /v1/refunds); 0 turns a limit off. The platform aims at HEADROOM of
# them, and the payout run leaves BULK_RESERVE of each bucket to payments and refunds.
STRIPE_RATE_LIMIT_PER_SECOND = env.float("STRIPE_RATE_LIMIT_PER_SECOND", default=100)
STRIPE_ENDPOINT_RATE_LIMIT_PER_SECOND = env.float("STRIPE_ENDPOINT_RATE_LIMIT_PER_SECOND", default=25)
STRIPE_RATE_LIMIT_HEADROOM = env.float("STRIPE_RATE_LIMIT_HEADROOM", default=0.95)
STRIPE_RATE_LIMIT_BULK_RESERVE = env.float("STRIPE_RATE_LIMIT_BULK_RESERVE", default=0.2)
# The payout run: transfers in flight at once (Stripe answers in ~0.3 s: 25/s needs about 8), and
# the seconds one task sends before it queues its continuation (the worker's timeout is 120 s).
PAYOUT_RUN_CONCURRENCY = env.int("PAYOUT_RUN_CONCURRENCY", default=12)
PAYOUT_RUN_SLICE_SECONDS = env.float("PAYOUT_RUN_SLICE_SECONDS", default=80)

# --- Money rules ---------------------------------------------------------------------------
CURRENCY = "usd"
PLATFORM_FEE_PERCENT = env.int("PLATFORM_FEE_PERCENT", default=10)
PAYOUT_THRESHOLD_CENTS = env.int("PAYOUT_THRESHOLD_CENTS", default=2000)
AUTO_APPROVE_DAYS = env.int("AUTO_APPROVE_DAYS", default=14)
SALE_AUTO_VERIFY_DAYS = env.int("SALE_AUTO_VERIFY_DAYS", default=30)

# --- Background jobs (django-q2, ORM broker) -----------------------------------------------
Q_CLUSTER = {
    "name": "campaignplatform",
    "orm": "default",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 120,
    "retry": 180,
    "max_attempts": 3,
    "catch_up": False,
    "sync": env.bool("Q_SYNC", default=False),
    "label": "Background jobs",
}

# Seconds after which the worker's last heartbeat (every minute) counts as stale in /healthz.
HEALTH_WORKER_STALE_SECONDS = env.int("HEALTH_WORKER_STALE_SECONDS", default=300)

# --- Security ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin-allow-popups"  # Google sign-in popup
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe over plain HTTP inside the network: answer them, not a redirect.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Tracking ------------------------------------------------------------------------------
# Proxies of ours in front of the app (load balancer, CDN) that append to X-Forwarded-For.
# 0 = use REMOTE_ADDR. Too high a number lets clients pick their own IP (and dodge dedupe).
TRACKING_TRUSTED_PROXY_COUNT = env.int("TRACKING_TRUSTED_PROXY_COUNT", default=0)
# Requests per client IP per minute to tracking links before they stop counting (they still redirect).
TRACKING_RATE_LIMIT_PER_MINUTE = env.int("TRACKING_RATE_LIMIT_PER_MINUTE", default=120)
# Keys the daily visitor salt (HMAC of IP + user agent). Derived from SECRET_KEY unless set, so
# rotating SECRET_KEY also rotates it (today's dedupe restarts, nothing else is lost).
TRACKING_HASH_SECRET = (
    env.str("TRACKING_HASH_SECRET", default="") or hashlib.sha256(f"tracking-hash:{SECRET_KEY}".encode()).hexdigest()
)
# Seconds a web process may reuse a tracking link's lookup (0 = always read it). The cap itself is
# always checked in the database.
TRACKING_LINK_CACHE_SECONDS = env.int("TRACKING_LINK_CACHE_SECONDS", default=5)
# PostgreSQL: count tracking-link clicks in a background thread of each web process, in batches,
# after the redirect has answered (tracking/writer.py says what that trades: clicks of a killed
# process or of a batch lost with its connection go uncounted, one more connection per process).
# Off: each click is counted before its redirect answers (~0.4x the throughput).
TRACKING_COUNT_AFTER_RESPONSE = env.bool("TRACKING_COUNT_AFTER_RESPONSE", default=True)
# Days of unique_views (the per-day visitor de-duplication) kept; older day partitions are
# dropped (view_stats keeps the daily totals for ever). And how many days ahead partitions exist.
TRACKING_UNIQUE_VIEWS_KEEP_DAYS = env.int("TRACKING_UNIQUE_VIEWS_KEEP_DAYS", default=35)
TRACKING_PARTITION_DAYS_AHEAD = env.int("TRACKING_PARTITION_DAYS_AHEAD", default=2)
# Where a web process keeps the clicks it cannot write while the database does not answer
# (tracking/writer.py); a local disk of the machine, replayed once the database answers.
TRACKING_SPILL_DIR = Path(env.str("TRACKING_SPILL_DIR", default=str(BASE_DIR / "var" / "tracking-spill")))
# Clicks a web process holds in memory while the database does not answer; beyond, they spill.
TRACKING_WRITER_MAX_QUEUED = env.int("TRACKING_WRITER_MAX_QUEUED", default=100_000)
# Largest conversion-API body accepted (bytes).
TRACKING_API_MAX_BODY_BYTES = env.int("TRACKING_API_MAX_BODY_BYTES", default=16_384)

# --- Abuse limits (accounts/limits.py; 0 turns one off) ------------------------------------------
ABUSE_SIGN_IN_PER_IP = env.int("ABUSE_SIGN_IN_PER_IP", default=30)  # per 15 minutes
ABUSE_SIGN_IN_PER_ACCOUNT = env.int("ABUSE_SIGN_IN_PER_ACCOUNT", default=10)  # per 15 minutes
ABUSE_API_PER_KEY_PER_MINUTE = env.int("ABUSE_API_PER_KEY_PER_MINUTE", default=600)
ABUSE_WORK_UPLOADS_PER_HOUR = env.int("ABUSE_WORK_UPLOADS_PER_HOUR", default=30)

# --- Content security policy (django-csp 4) and Permissions-Policy ------------------------------
# Scripts come from this site only (htmx, the vendored Firebase SDK, static/js/), or carry the
# request's nonce (`nonce="{{ CSP_NONCE }}"`); never inline. The sign-in page adds what Firebase
# Auth reaches (accounts.views.firebase_csp_sources). Styles may be inline (style attributes,
# htmx's indicator style); they cannot run code.
from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "connect-src": [SELF],
        "img-src": [SELF, "data:"],
        "style-src": [SELF, "'unsafe-inline'"],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Browser features no page of the site uses, switched off for it and anything it embeds.
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), usb=(), xr-spatial-tracking=()"
)
