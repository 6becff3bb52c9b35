"""Settings for `bench/tracking.py` only: the project's settings plus a bare redirect URL to compare
the tracking redirect against (same middleware, no tracking work). Never used in production."""

import os

os.environ.setdefault("DEBUG", "true")  # dev defaults for secrets; DEBUG itself is turned off below

from campaignplatform.settings import *  # noqa: F403
from campaignplatform.settings import DATABASES

DEBUG = False  # no query logging, production code paths
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.tracking_urls"
# The benchmark sends X-Forwarded-For as a load balancer would: one trusted proxy.
TRACKING_TRUSTED_PROXY_COUNT = 1
# Persistent connections, as production runs (a new PostgreSQL connection per request would
# measure connection set-up, not the redirect).
DATABASES["default"]["CONN_MAX_AGE"] = 600
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
Q_CLUSTER = {**Q_CLUSTER, "sync": False}  # noqa: F405  (cap completion is queued, not run inline)
