"""Read replicas: reports read from a replica, everything else from the primary.

With DATABASE_REPLICA_URL set, the pages in REPORT_VIEWS (dashboards, statements, results: reads
of history that may lag the primary by a moment) run their queries on the `replica` alias. Every
write goes to the primary, and so does every read inside a transaction (a money service reads
what it is about to change on the primary, under its locks). A replica that does not answer is
left alone for REPLICA_RETRY_SECONDS and the pages read from the primary meanwhile.

    DATABASE_ROUTERS = ["campaignplatform.replica.ReplicaRouter"]
    MIDDLEWARE = [..., "campaignplatform.replica.ReportReadsMiddleware"]
"""

import contextlib
import contextvars
import logging
import time

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.urls import Resolver404, resolve

logger = logging.getLogger(__name__)

REPLICA = "replica"
# GET pages that read history only: their queries may go to the replica.
REPORT_VIEWS = frozenset(
    {
        "reporting:advertiser_dashboard",
        "reporting:promoter_dashboard",
        "payouts:statement_list",
        "payouts:statement_detail",
        "payouts:statement_csv",
        "tracking:advertiser_overview",
        "tracking:advertiser_campaign",
        "tracking:promoter_links",
        "tracking:promoter_participation",
        "finance_overview",
    }
)
REPLICA_RETRY_SECONDS = 30

_reading_reports = contextvars.ContextVar("reading_reports", default=False)
_down_until = 0.0


def replica_enabled() -> bool:
    return settings.READ_REPLICA_ENABLED and REPLICA in settings.DATABASES


def replica_available() -> bool:
    """Whether the replica answers; after a failure, not tried again for REPLICA_RETRY_SECONDS."""
    global _down_until
    if time.monotonic() < _down_until:
        return False
    try:
        connections[REPLICA].ensure_connection()
    except DatabaseError:
        logger.warning("read replica unreachable: reading from the primary for %s s", REPLICA_RETRY_SECONDS)
        _down_until = time.monotonic() + REPLICA_RETRY_SECONDS
        return False
    return True


@contextlib.contextmanager
def report_reads():
    """Inside: reads outside transactions go to the replica, if there is one and it answers."""
    token = _reading_reports.set(replica_enabled() and replica_available())
    try:
        yield
    finally:
        _reading_reports.reset(token)


# Who is signed in is read from the primary: a session written a moment ago may not have reached
# the replica yet.
_PRIMARY_ONLY_APPS = frozenset({"sessions", "auth", "contenttypes"})


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if (
            _reading_reports.get()
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
            and model._meta.app_label not in _PRIMARY_ONLY_APPS
            and model is not apps.get_model(settings.AUTH_USER_MODEL)
        ):
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class ReportReadsMiddleware:
    """GET and HEAD requests to a REPORT_VIEWS page read through `report_reads()`, rendering
    included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD") and replica_enabled() and _is_report(request.path_info):
            with report_reads():
                return self.get_response(request)
        return self.get_response(request)


def _is_report(path: str) -> bool:
    try:
        return resolve(path).view_name in REPORT_VIEWS
    except Resolver404:
        return False
