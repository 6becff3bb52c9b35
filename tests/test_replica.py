"""The read replica: report pages read from it, writes and money transactions stay on the primary,
and an unreachable replica sends the pages back to the primary."""

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from campaignplatform import replica

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def replica_on(settings):
    settings.READ_REPLICA_ENABLED = True
    replica._down_until = 0.0
    yield
    replica._down_until = 0.0
    connections["replica"].close()


def test_dashboards_and_statements_read_from_the_replica(replica_on, advertiser_client):
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        assert advertiser_client.get("/accounts/advertiser/").status_code == 200
        assert advertiser_client.get("/payouts/statements/").status_code == 200

    assert len(on_replica) > 5
    tables_on_primary = " ".join(query["sql"] for query in on_primary.captured_queries)
    # Only who is signed in is read from the primary.
    assert "django_session" in tables_on_primary
    assert '"campaigns"' not in tables_on_primary and '"ledger_accounts"' not in tables_on_primary
    # The dashboard's grouped figures are SQL of their own (reporting/queries.py): on the replica too.
    assert "campaign_budget_allocations" not in tables_on_primary
    assert "promoter_campaigns" not in tables_on_primary


def test_other_pages_and_every_write_use_the_primary(replica_on, advertiser_client):
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert advertiser_client.get("/billing/").status_code == 200
        with replica.report_reads():
            from accounts.models import Notification

            Notification.objects.create(user_id=advertiser_client.session["_auth_user_id"], kind="x", title="t")

    assert len(on_replica) == 0


def test_reads_inside_a_transaction_stay_on_the_primary(replica_on, advertiser):
    from billing.models import LedgerAccount

    with replica.report_reads():
        assert LedgerAccount.objects.db == "replica"
        with transaction.atomic():
            assert LedgerAccount.objects.all().db == "default"


def test_an_unreachable_replica_sends_reports_to_the_primary(replica_on, advertiser_client, caplog):
    replica_settings = connections["replica"].settings_dict
    saved = dict(replica_settings)
    connections["replica"].close()
    replica_settings.update(HOST="127.0.0.1", PORT=1, OPTIONS={**replica_settings["OPTIONS"], "host": "127.0.0.1"})
    try:
        with CaptureQueriesContext(connections["default"]) as on_primary:
            assert advertiser_client.get("/accounts/advertiser/").status_code == 200
            assert advertiser_client.get("/accounts/advertiser/").status_code == 200
    finally:
        replica_settings.clear()
        replica_settings.update(saved)

    assert '"campaigns"' in " ".join(query["sql"] for query in on_primary.captured_queries)
    # Tried once, then left alone for a while: one warning for both pages.
    assert caplog.text.count("read replica unreachable") == 1
