"""Every statement of either role adds up line by line: opening balance + each movement of the
month = closing balance, and the closing balance is the next month's opening balance."""

import datetime

import pytest
import time_machine
from django.db import transaction
from django.db.models import Q

from billing import services as billing_services
from billing.models import (
    AdvertiserCharge,
    ChargeKind,
    ChargeStatus,
    LedgerAccount,
    Transaction,
    TransactionKind,
)
from campaigns import services as campaign_services
from campaigns.tests.factories import CampaignFactory
from payouts import services, statements
from payouts.models import (
    BillingPeriodSummary,
    PayoutRecord,
    PayoutStatus,
    PromoterBalance,
    StripeTransfer,
    SummaryRole,
    TransferKind,
)
from payouts.reconciliation import statements_reconcile
from tests.support.books import assert_books_clean
from tests.support.funding import fund_with_charge as fund
from tests.support.payouts import earn
from tests.support.statements import JAN, close_a_month_of_activity

pytestmark = pytest.mark.django_db

FEB = datetime.date(2026, 2, 1)
MAR = datetime.date(2026, 3, 1)
MID_FEB = datetime.datetime(2026, 2, 12, 10, tzinfo=datetime.UTC)
MID_MAR = datetime.datetime(2026, 3, 12, 10, tzinfo=datetime.UTC)


def _itemised(*, user, role, period) -> dict[str, int]:
    """{kind: signed total} of the ledger rows of the user's accounts that belong to the month,
    read one by one (not through the statement's grouped sums). A monthly payout belongs to the
    month its payout record closes, wherever its row's date falls."""
    start, end = services.period_bounds(period)
    if role == SummaryRole.PROMOTER:
        accounts = set(LedgerAccount.objects.filter(user=user).values_list("pk", flat=True))
    else:
        accounts = set(LedgerAccount.objects.filter(campaign__advertiser=user).values_list("pk", flat=True))
    record_period = dict(PayoutRecord.objects.filter(promoter=user).values_list("pk", "period"))
    totals: dict[str, int] = {}
    for row in Transaction.objects.filter(Q(source_id__in=accounts) | Q(destination_id__in=accounts)):
        into, out = row.destination_id in accounts, row.source_id in accounts
        if into == out:
            continue  # between two of the user's accounts
        monthly = row.kind == TransactionKind.PAYOUT and row.idempotency_key.startswith("payout-")
        if monthly:
            belongs = record_period[int(row.idempotency_key.removeprefix("payout-"))] == period
        else:
            belongs = start <= row.created_at < end
        if belongs:
            totals[row.kind] = totals.get(row.kind, 0) + (row.amount if into else -row.amount)
    return {kind: total for kind, total in totals.items() if total}


def _in_month(rows, period, field="created_at"):
    start, end = services.period_bounds(period)
    return rows.filter(**{f"{field}__gte": start, f"{field}__lt": end})


def _monthly_payout(user, period) -> int:
    record = PayoutRecord.objects.filter(promoter=user, period=period, status=PayoutStatus.PAID).first()
    return record.amount if record else 0


def _promoter_sources_agree(statement, balance):
    """Paid out as the transfer rows say; opening and closing as the wallet snapshots taken at
    each close say (less that close's monthly payout, which the statement counts as paid)."""
    user, period = statement.summary.user, statement.period
    direct = _in_month(StripeTransfer.objects.filter(promoter=user, kind=TransferKind.IMMEDIATE), period)
    sent = sum(t.amount for t in direct if t.stripe_transfer_id) + _monthly_payout(user, period)
    assert -balance.total_of(TransactionKind.PAYOUT) == sent
    snapshots = dict(PromoterBalance.objects.filter(promoter=user).values_list("period", "pk"))
    if period in snapshots:
        closing = PromoterBalance.objects.get(pk=snapshots[period])
        assert balance.closing == closing.total - _monthly_payout(user, period)
    previous = services.period_previous(period)
    if previous in snapshots:
        opening = PromoterBalance.objects.get(pk=snapshots[previous])
        assert balance.opening == opening.total - _monthly_payout(user, previous)
    elif not PromoterBalance.objects.filter(promoter=user, period__lt=period).exists():
        assert balance.opening == 0


def _advertiser_sources_agree(statement, balance, stripe_client):
    """Funded and refunded as the charge and refund rows (and Stripe's charges) say."""
    user, period = statement.summary.user, statement.period
    charges = AdvertiserCharge.objects.filter(advertiser=user, kind=ChargeKind.CHARGE, status=ChargeStatus.SUCCEEDED)
    assert balance.total_of(TransactionKind.FUNDING) == sum(c.amount for c in _in_month(charges, period))
    refunds = _in_month(AdvertiserCharge.objects.filter(advertiser=user, kind=ChargeKind.REFUND), period)
    assert -balance.total_of(TransactionKind.REFUND) == sum(r.amount for r in refunds)
    for charge in charges:
        succeeded = AdvertiserCharge.objects.filter(
            kind=ChargeKind.REFUND, status=ChargeStatus.SUCCEEDED, stripe_charge_id=charge.stripe_charge_id
        )
        at_stripe = stripe_client.v1.charges.retrieve(charge.stripe_charge_id).amount_refunded
        assert at_stripe == sum(r.amount for r in succeeded)


def assert_every_statement_adds_up(stripe_client):
    """Each statement's balance section adds up and agrees with its summary; months chain; and
    its lines agree with sources the statement does not read: the ledger rows one by one, the
    transfer, charge and refund rows, Stripe's charges and the wallet snapshots."""
    checked, problems = statements_reconcile()
    assert not problems, problems
    for summary in BillingPeriodSummary.objects.select_related("user"):
        statement = statements.statement_get(user=summary.user, period=summary.period)
        balance = statement.reconciliation
        lines = {kind: balance.total_of(kind) for kind in {line.kind for line in balance.lines}}
        assert {k: v for k, v in lines.items() if v} == _itemised(
            user=summary.user, role=summary.role, period=summary.period
        ), summary
        if summary.role == SummaryRole.PROMOTER:
            assert -balance.total_of(TransactionKind.PAYOUT) == statement.paid_out_total
            assert balance.closing >= 0
            _promoter_sources_agree(statement, balance)
        else:
            _advertiser_sources_agree(statement, balance, stripe_client)
    return checked


def test_statements_of_three_months_add_up(stripe_sim, stripe_client, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    users = close_a_month_of_activity(stripe_sim, capture_on_commit=capture)
    advertiser, promoter = users["advertiser"], users["promoter"]
    sales = advertiser.campaigns.get(campaign_type="salesman")

    with time_machine.travel(MID_FEB, tick=False):
        views = CampaignFactory(advertiser=advertiser, awaiting_funding=True, title="Spring views")
        fund(views, 4_000)
        earn(views, promoter, 3_000, "views-feb")
        with capture(execute=True), transaction.atomic():
            # A January sale refunded after its campaign ended: taken from February's earnings,
            # and refunded to the advertiser.
            billing_services.campaign_budget_spend_reverse(
                campaign=sales, promoter=promoter, spend_idempotency_key="sale-1", idempotency_key="ded-1"
            )
        milestone = StripeTransfer.objects.get(promoter=promoter, kind="immediate")
        stripe_client.v1.transfers.reversals.create(milestone.stripe_transfer_id)
        with capture(execute=True):
            services.transfer_reversed(stripe_transfer_id=milestone.stripe_transfer_id)
    with time_machine.travel(datetime.datetime(2026, 3, 1, 6, tzinfo=datetime.UTC), tick=False):
        services.period_close(period=FEB)
    with time_machine.travel(MID_MAR, tick=False):
        with capture(execute=True):
            services.transfers_retry_failed()
        campaign_services.campaign_complete(campaign=views, actor=advertiser)
    with time_machine.travel(datetime.datetime(2026, 4, 1, 6, tzinfo=datetime.UTC), tick=False):
        services.period_close(period=MAR)
        assert_books_clean()
        assert BillingPeriodSummary.objects.filter(period=JAN).exists()
        assert assert_every_statement_adds_up(stripe_client) >= 7

        feb = statements.statement_get(user=promoter, period=FEB).reconciliation
        assert feb.total_of(TransactionKind.SPEND_REVERSAL) == -2_500
        assert feb.total_of(TransactionKind.PAYOUT_REVERSAL) == 10_000
        mar = statements.statement_get(user=promoter, period=MAR).reconciliation
        assert (mar.opening, mar.closing) == (10_500, 500)  # 500 below the payout threshold
