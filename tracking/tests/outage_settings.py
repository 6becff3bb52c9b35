"""Settings of `tracking/tests/outage_load.py`'s process: the test settings, on the throwaway
server the outage test stops and starts (DATABASE_URL), with the production redirect path."""

from campaignplatform.settings_test import *  # noqa: F403
from campaignplatform.settings_test import DATABASES, Q_CLUSTER

DATABASES = {"default": {**DATABASES["default"], "CONN_MAX_AGE": 600}}
READ_REPLICA_ENABLED = False
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
TRACKING_TRUSTED_PROXY_COUNT = 1
TRACKING_COUNT_AFTER_RESPONSE = True
# The cap's completion is queued (never run here: no worker), not run inside the writer.
Q_CLUSTER = {**Q_CLUSTER, "sync": False}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "CRITICAL"}}
