"""The ledger: balanced, immutable, never overdrawn, idempotent."""

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from billing import ledger
from billing.audit import ledger_audit
from billing.models import ImmutableLedgerError, Transaction, TransactionKind
from campaigns.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def fund(campaign, cents, key="fund-1"):
    with transaction.atomic():
        return ledger.ledger_post(
            kind=TransactionKind.FUNDING,
            legs=[ledger.Leg(ledger.external(), ledger.campaign_budget(campaign), cents)],
            idempotency_key=key,
        )


def test_posting_moves_money_and_keeps_books_balanced():
    campaign = CampaignFactory()

    fund(campaign, 6000)

    assert ledger.campaign_budget(campaign).balance == 6000
    assert ledger.external().balance == -6000
    assert ledger_audit().clean


def test_same_idempotency_key_posts_once():
    campaign = CampaignFactory()

    first = fund(campaign, 6000, key="same")
    second = fund(campaign, 6000, key="same")

    assert [row.pk for row in first] == [row.pk for row in second]
    assert Transaction.objects.count() == 1
    assert ledger.campaign_budget(campaign).balance == 6000


def test_overdraw_is_refused_and_posts_nothing():
    campaign, promoter_campaign = CampaignFactory(), CampaignFactory()
    fund(campaign, 500)

    with pytest.raises(ledger.InsufficientFunds), transaction.atomic():
        ledger.ledger_post(
            kind=TransactionKind.SPEND,
            legs=[
                ledger.Leg(ledger.campaign_budget(campaign), ledger.campaign_budget(promoter_campaign), 400),
                ledger.Leg(ledger.campaign_budget(campaign), ledger.platform_revenue(), 200),
            ],
            idempotency_key="too-much",
        )

    assert ledger.campaign_budget(campaign).balance == 500
    assert Transaction.objects.count() == 1
    assert ledger_audit().clean


@pytest.mark.parametrize("amount", [-1, 1.5])
def test_amounts_are_positive_integer_cents(amount):
    campaign = CampaignFactory()
    with pytest.raises(ValueError), transaction.atomic():
        ledger.ledger_post(
            kind=TransactionKind.FUNDING,
            legs=[ledger.Leg(ledger.external(), ledger.campaign_budget(campaign), amount)],
            idempotency_key="bad",
        )


@pytest.mark.django_db(transaction=True)
def test_posting_outside_a_transaction_is_refused():
    campaign = CampaignFactory()
    with pytest.raises(RuntimeError):
        ledger.ledger_post(
            kind=TransactionKind.FUNDING,
            legs=[ledger.Leg(ledger.external(), ledger.campaign_budget(campaign), 1)],
            idempotency_key="no-atomic",
        )


def test_rows_cannot_be_changed_or_deleted_through_the_orm():
    row = fund(CampaignFactory(), 100)[0]

    with pytest.raises(ImmutableLedgerError):
        row.amount = 1
        row.save()
    with pytest.raises(ImmutableLedgerError):
        row.delete()
    with pytest.raises(ImmutableLedgerError):
        Transaction.objects.filter(pk=row.pk).update(amount=1)
    with pytest.raises(ImmutableLedgerError):
        Transaction.objects.all().delete()


def test_rows_cannot_be_changed_or_deleted_through_sql():
    row = fund(CampaignFactory(), 100)[0]

    for statement in ("UPDATE transactions SET amount = 1 WHERE id = %s", "DELETE FROM transactions WHERE id = %s"):
        with pytest.raises(Exception, match="immutable"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [row.pk])

    assert Transaction.objects.get(pk=row.pk).amount == 100


def test_audit_finds_a_tampered_cached_balance(capsys):
    campaign = CampaignFactory()
    fund(campaign, 6000)
    type(ledger.campaign_budget(campaign)).objects.filter(kind="campaign_budget").update(balance=5999)

    report = ledger_audit()

    assert not report.clean
    assert any("cached balance 5999 != ledger 6000" in line for line in report.differences)
    assert "usd accounts sum to -1, not 0" in report.differences
    with pytest.raises(CommandError, match="2 difference"):
        call_command("audit_ledger")


def test_audit_command_reports_clean_books(capsys):
    fund(CampaignFactory(), 6000)

    call_command("audit_ledger")

    assert "Ledger is clean" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_concurrent_spends_never_overdraw():
    """16 threads each try to move $10 out of a $100 budget: exactly 10 succeed."""
    campaign = CampaignFactory()
    fund(campaign, 10_000)
    budget_pk = ledger.campaign_budget(campaign).pk
    results = []

    def spend(n):
        try:
            with transaction.atomic():
                budget = type(ledger.campaign_budget(campaign)).objects.get(pk=budget_pk)
                ledger.ledger_post(
                    kind=TransactionKind.SPEND,
                    legs=[ledger.Leg(budget, ledger.platform_revenue(), 1000)],
                    idempotency_key=f"spend-{n}",
                )
            results.append("ok")
        except ledger.InsufficientFunds:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=spend, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results.count("ok") == 10
    assert ledger.campaign_budget(campaign).balance == 0
    assert ledger.platform_revenue().balance == 10_000
    assert ledger_audit().clean
