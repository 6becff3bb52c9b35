"""Money out: Connect onboarding, immediate payments, the monthly close and the payout run.

Stripe in three steps everywhere (ARCHITECTURE.md): write the pending row and commit; call Stripe
outside any transaction with an idempotency key derived from the row; record the result in a
second short transaction. Lock order: payout record / transfer rows, then ledger accounts (inside
the posting), then wallets (the projection, inside the posting).
"""

from __future__ import annotations

import datetime
import logging
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Q, Sum, Value, When
from django.urls import reverse
from django.utils import timezone

from accounts.models import NotificationKind
from accounts.notifications import notify, notify_many
from billing import gateway, ledger
from billing.ledger import Move, accounts_for_users, ledger_post_many
from billing.models import AccountKind, LedgerAccount, Transaction, TransactionKind
from campaignplatform.bulk import AnyOf, bulk_insert, bulk_set_columns
from campaignplatform.money import dollars
from campaigns.models import CampaignWork
from payouts.models import (
    BillingPeriodSummary,
    PayoutRecord,
    PayoutStatus,
    PeriodClose,
    PromoterBalance,
    StripeConnectAccount,
    StripeTransfer,
    SummaryRole,
    TransferKind,
    TransferStatus,
    Wallet,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 10_000


class PayoutError(Exception):
    """A domain error whose message the user can act on."""


# --- Periods -----------------------------------------------------------------------------------


def period_of(moment: datetime.datetime | datetime.date) -> datetime.date:
    return datetime.date(moment.year, moment.month, 1)


def period_previous(period: datetime.date) -> datetime.date:
    return period_of(period - datetime.timedelta(days=1))


def period_next(period: datetime.date) -> datetime.date:
    return period_of(period + datetime.timedelta(days=32))


def period_bounds(period: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) of the month in UTC."""
    start = datetime.datetime(period.year, period.month, 1, tzinfo=datetime.UTC)
    nxt = period_next(period)
    return start, datetime.datetime(nxt.year, nxt.month, 1, tzinfo=datetime.UTC)


def next_payout_at(now: datetime.datetime | None = None) -> datetime.datetime:
    """The next run: the 1st of next month, 06:00 UTC."""
    now = now or timezone.now()
    nxt = period_next(period_of(now))
    return datetime.datetime(nxt.year, nxt.month, 1, 6, 0, tzinfo=datetime.UTC)


def parse_period(text: str) -> datetime.date:
    try:
        year, month = (int(part) for part in text.strip().split("-"))
        return datetime.date(year, month, 1)
    except ValueError as error:
        raise PayoutError(f"A period is written YYYY-MM, not {text!r}.") from error


# --- Connect onboarding ------------------------------------------------------------------------


def connect_account_get_or_create(*, user) -> StripeConnectAccount:
    """The promoter's Express account, created at Stripe on first use (idempotent per user)."""
    existing = StripeConnectAccount.objects.filter(user=user).first()
    if existing:
        return existing
    remote = gateway.account_create_express(
        email=user.email,
        country=getattr(settings, "STRIPE_CONNECT_COUNTRY", "US"),
        metadata={"user_id": str(user.pk)},
        # Two clicks (or tabs) create one account: Stripe replays the first answer.
        idempotency_key=f"connect-account-user-{user.pk}",
    )
    try:
        with transaction.atomic():
            account = StripeConnectAccount.objects.create(user=user, stripe_account_id=remote.id)
    except IntegrityError:
        return StripeConnectAccount.objects.get(user=user)
    return connect_account_apply(account=account, remote=remote)


def connect_onboarding_link(*, account: StripeConnectAccount, return_url: str, refresh_url: str) -> str:
    return gateway.account_link_create(
        account_id=account.stripe_account_id, refresh_url=refresh_url, return_url=return_url
    )


def connect_account_apply(*, account: StripeConnectAccount, remote) -> StripeConnectAccount:
    """Copy Stripe's view of the account onto our row (a conditional save of a few fields)."""
    account.charges_enabled = remote.charges_enabled
    account.payouts_enabled = remote.payouts_enabled
    account.details_submitted = remote.details_submitted
    account.transfers_active = remote.transfers_capability == "active"
    account.requirements_currently_due = list(getattr(remote, "requirements_currently_due", None) or [])
    account.disabled_reason = (getattr(remote, "disabled_reason", None) or "")[:120]
    account.country = (getattr(remote, "country", None) or account.country or "")[:2]
    account.save(
        update_fields=[
            "charges_enabled",
            "payouts_enabled",
            "details_submitted",
            "transfers_active",
            "requirements_currently_due",
            "disabled_reason",
            "country",
            "updated_at",
        ]
    )
    return account


def connect_account_refresh(*, stripe_account_id: str) -> StripeConnectAccount | None:
    """Re-read the account from Stripe (events are only triggers); send what waited for it."""
    account = StripeConnectAccount.objects.filter(stripe_account_id=stripe_account_id).first()
    if account is None:
        return None
    was_ready = account.can_receive_money
    account = connect_account_apply(account=account, remote=gateway.account_retrieve(stripe_account_id))
    if account.can_receive_money and not was_ready:
        transfers_waiting_send(promoter_id=account.user_id)
    elif account.requirements_currently_due and (was_ready or account.details_submitted):
        # Not while the promoter is still in Stripe's form: once they submitted it (or the
        # account could receive money before), Stripe asking for more stops their payouts.
        due = ", ".join(account.missing_items())
        _notify(
            account.user,
            kind=NotificationKind.ONBOARDING_INCOMPLETE,
            title="Stripe needs more details before you can be paid",
            body=f"To keep receiving payouts, Stripe needs: {due}. Add them from the Get paid page.",
            # Once per set of missing details: the same list reported again is the same event.
            event_key=f"onboarding-due-{account.pk}-{'|'.join(sorted(account.requirements_currently_due))}"[:200],
            url=reverse("payouts:get_paid"),
        )
    return account


def transfers_waiting_send(*, promoter_id: int) -> int:
    """Queue the promoter's immediate payments that waited for a ready account."""
    from django_q.tasks import async_task

    waiting = list(
        StripeTransfer.objects.filter(
            promoter_id=promoter_id, kind=TransferKind.IMMEDIATE, status=TransferStatus.PENDING
        ).values_list("pk", flat=True)
    )
    for pk in waiting:
        transaction.on_commit(lambda pk=pk: async_task("payouts.tasks.transfer_send", pk))
    return len(waiting)


# --- Immediate payments (Consultant / Seller) ----------------------------------------------------


def _campaign_budget_spend(**kwargs):
    # Billing's service; a seam so payouts' tests can run while billing is being built.
    from billing.services import campaign_budget_spend

    return campaign_budget_spend(**kwargs)


def campaign_transfer_group(campaign) -> str:
    return f"campaign-{campaign.public_id}"


def work_payment_create(*, work) -> StripeTransfer:
    """Pay approved work's deliverable amount: spend the budget into the promoter's direct
    account and queue a transfer. Runs inside work_approve's transaction (not durable)."""
    from django_q.tasks import async_task

    work = CampaignWork.objects.select_related(
        "deliverable__promoter_campaign__campaign", "deliverable__promoter_campaign__promoter"
    ).get(pk=work.pk)
    deliverable = work.deliverable
    participation = deliverable.promoter_campaign
    campaign = participation.campaign
    promoter = participation.promoter
    _campaign_budget_spend(
        campaign=campaign,
        promoter=promoter,
        amount_cents=deliverable.amount,
        idempotency_key=f"work-{work.pk}",
        destination="direct",
        memo=f"Milestone {deliverable.title}"[:300],
    )
    transfer, _ = StripeTransfer.objects.get_or_create(
        work=work,
        defaults={
            "idempotency_key": f"transfer-work-{work.pk}",
            "promoter": promoter,
            "kind": TransferKind.IMMEDIATE,
            "amount": deliverable.amount,
            "currency": campaign.currency,
            "campaign": campaign,
            "transfer_group": campaign_transfer_group(campaign),
        },
    )
    transaction.on_commit(lambda: async_task("payouts.tasks.transfer_send", transfer.pk))
    return transfer


def _funding_charge_id(transfer: StripeTransfer) -> str:
    """A succeeded funding charge of the campaign with room for this transfer (Stripe limits a
    charge's transfers to its amount); "" when none (the platform balance pays)."""
    try:
        from billing.models import AdvertiserCharge
    except ImportError:
        return ""
    if transfer.source_transaction:
        return transfer.source_transaction
    charges = list(
        AdvertiserCharge.objects.filter(campaign_id=transfer.campaign_id, kind="charge", status="succeeded")
        .exclude(stripe_charge_id="")
        .order_by("created_at", "pk")
        .values_list("stripe_charge_id", "amount")
    )
    used = dict(
        StripeTransfer.objects.filter(source_transaction__in=[charge for charge, _ in charges])
        .exclude(pk=transfer.pk)
        .exclude(status__in=[TransferStatus.FAILED, TransferStatus.REVERSED])
        .values_list("source_transaction")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for charge_id, amount in charges:
        if amount - used.get(charge_id, 0) >= transfer.amount:
            return charge_id
    return ""


def transfer_send(*, transfer_id: int) -> StripeTransfer:
    """Send one immediate payment if the promoter can receive money; safe to run twice."""
    transfer = StripeTransfer.objects.select_related("promoter").get(pk=transfer_id)
    if transfer.kind != TransferKind.IMMEDIATE or transfer.status not in (
        TransferStatus.PENDING,
        TransferStatus.FAILED,
    ):
        return transfer
    account = StripeConnectAccount.objects.filter(user_id=transfer.promoter_id).first()
    if account is None or not account.can_receive_money:
        # Waits in the wallet; account.updated sends it.
        _notify(
            transfer.promoter,
            kind=NotificationKind.ONBOARDING_INCOMPLETE,
            title="A payment is waiting for your payout account",
            body=f"{dollars(transfer.amount)} for your approved work is waiting: finish setting up payouts on "
            "the Get paid page and it is sent to you automatically.",
            event_key=f"onboarding-incomplete-transfer-{transfer.pk}",
            url=reverse("payouts:get_paid"),
        )
        return transfer
    # A resend is paid from the platform balance: the reversal put the money back there, while
    # the funding charge's transferable amount stays used by the reversed transfer.
    source = "" if transfer.resend_of_id else _funding_charge_id(transfer)
    work_id = transfer.first_send().work_id
    StripeTransfer.objects.filter(pk=transfer.pk).update(
        attempts=F("attempts") + 1, destination=account.stripe_account_id, source_transaction=source
    )
    try:
        remote = gateway.transfer_create(
            amount=transfer.amount,
            currency=transfer.currency,
            destination=account.stripe_account_id,
            transfer_group=transfer.transfer_group,
            source_transaction=source or None,
            idempotency_key=transfer.idempotency_key,
            metadata={"stripe_transfer_row": str(transfer.pk), "work_id": str(work_id)},
        )
    except gateway.GatewayError as error:
        _transfer_failed(transfer, error)
        return StripeTransfer.objects.get(pk=transfer.pk)
    with transaction.atomic():
        locked = StripeTransfer.objects.select_for_update().get(pk=transfer.pk)
        if locked.status == TransferStatus.SUCCEEDED:
            return locked
        locked.status = TransferStatus.SUCCEEDED
        locked.stripe_transfer_id = remote.id
        locked.failure_reason = ""
        locked.save(update_fields=["status", "stripe_transfer_id", "failure_reason", "updated_at"])
        ledger.ledger_post(
            kind=TransactionKind.PAYOUT,
            legs=[
                ledger.Leg(
                    ledger.promoter_direct(transfer.promoter, transfer.currency),
                    ledger.external(transfer.currency),
                    transfer.amount,
                )
            ],
            idempotency_key=f"transfer-{transfer.pk}",
            memo=f"Stripe transfer {remote.id}",
        )
        Wallet.objects.filter(user_id=transfer.promoter_id).update(
            direct_paid_total=F("direct_paid_total") + transfer.amount
        )
        again = " again after Stripe returned it" if transfer.resend_of_id else ""
        _notify(
            transfer.promoter,
            kind=NotificationKind.PAYOUT_SENT,
            title="A payment is on its way",
            body=f"{dollars(transfer.amount)} for your approved work was sent{again} to your Stripe account; "
            "Stripe pays it into your bank.",
            event_key=f"transfer-sent-{transfer.pk}",
            url=reverse("payouts:wallet"),
        )
        if work_id:
            from campaigns.models import PromoterCampaign

            paid = PromoterCampaign.objects.filter(deliverables__works=work_id)
            if transfer.resend_of_id:
                # The first send counted this amount already (a reversal does not take it off).
                paid.update(stripe_transfer_id=remote.id)
            else:
                paid.update(
                    stripe_transfer_id=remote.id,
                    final_payout_amount=Case(
                        When(final_payout_amount__isnull=True, then=Value(transfer.amount)),
                        default=F("final_payout_amount") + transfer.amount,
                    ),
                )
    return locked


def _transfer_failed(transfer: StripeTransfer, error: gateway.GatewayError) -> None:
    update = {"status": TransferStatus.FAILED, "failure_reason": str(error.message)[:500]}
    if not isinstance(error, gateway.GatewayUnavailable):
        # Stripe refused for good and created nothing: the retry is a new request, and Stripe
        # would replay this refusal for the old key, so the retry gets a new key.
        update["idempotency_key"] = f"{transfer.idempotency_key.split('~')[0]}~{transfer.attempts + 1}"
    with transaction.atomic():
        # Never undo a success recorded meanwhile by a concurrent send.
        failed = StripeTransfer.objects.filter(pk=transfer.pk).exclude(status=TransferStatus.SUCCEEDED).update(**update)
        if failed:
            # Once per transfer: the retry schedule may fail it again every few minutes.
            _notify(
                transfer.promoter,
                kind=NotificationKind.PAYOUT_FAILED,
                title="A payment to you could not be sent",
                body=f"Stripe refused a payment of {dollars(transfer.amount)}: {update['failure_reason']}. It "
                "stays in your wallet and we retry automatically; check your payout account on the Get paid page.",
                event_key=f"transfer-failed-{transfer.pk}",
                url=reverse("payouts:get_paid"),
            )


def transfers_retry_failed(*, limit: int = 500) -> int:
    """The schedule's retry: failed immediate payments (and pending ones whose send was lost)."""
    stale = timezone.now() - datetime.timedelta(minutes=10)
    due = list(
        StripeTransfer.objects.filter(kind=TransferKind.IMMEDIATE)
        .filter(Q(status=TransferStatus.FAILED) | Q(status=TransferStatus.PENDING, updated_at__lt=stale))
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        transfer_send(transfer_id=pk)
    resent = transfers_resend_reversed(limit=limit)
    failed = list(
        PayoutRecord.objects.filter(status__in=[PayoutStatus.FAILED])
        .order_by("period", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if failed:
        payout_records_send(record_ids=failed)
    return len(due) + resent + len(failed)


# --- Reversed immediate payments, sent again ------------------------------------------------------

# Sends of one milestone payment, the first included: a payment Stripe keeps returning (an
# account closed or under review) waits for staff after this many, owed in the wallet.
IMMEDIATE_SENDS_MAX = 3


def transfers_resend_reversed(*, limit: int = 500) -> int:
    """Send again every fully reversed immediate payment not resent yet (under the cap).
    Returns how many were sent again; safe to run twice or at once."""
    reversed_ids = list(
        StripeTransfer.objects.filter(
            kind=TransferKind.IMMEDIATE, status=TransferStatus.REVERSED, resent_as__isnull=True
        )
        .order_by("updated_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    resent = 0
    for pk in reversed_ids:
        again = transfer_resend_create(reversed_id=pk)
        if again is not None:
            transfer_send(transfer_id=again.pk)
            resent += 1
    return resent


def _reversed_total(transfer: StripeTransfer) -> int:
    """Cents of `transfer` the ledger took back from Stripe (its reversal postings)."""
    return (
        Transaction.objects.filter(
            kind=TransactionKind.PAYOUT_REVERSAL, idempotency_key__startswith=f"reversal-{transfer.pk}-"
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )


def transfer_resend_create(*, reversed_id: int, ignore_cap: bool = False) -> StripeTransfer | None:
    """The pending row that sends a reversed immediate payment again (the existing one on a
    second call), or None when it is not to be sent again: not fully reversed, the cap reached
    (unless staff say `ignore_cap`), or the promoter's direct balance no longer holds it."""
    with transaction.atomic():
        reversed_row = StripeTransfer.objects.select_for_update().get(pk=reversed_id)
        existing = StripeTransfer.objects.filter(resend_of=reversed_row).first()
        if existing is not None:
            return existing
        if reversed_row.kind != TransferKind.IMMEDIATE or reversed_row.status != TransferStatus.REVERSED:
            return None
        if reversed_row.sends() >= IMMEDIATE_SENDS_MAX and not ignore_cap:
            return None
        amount = min(_reversed_total(reversed_row), reversed_row.amount)
        direct = ledger.accounts_lock(ledger.promoter_direct(reversed_row.promoter, reversed_row.currency))
        waiting = (
            StripeTransfer.objects.filter(
                promoter_id=reversed_row.promoter_id,
                kind=TransferKind.IMMEDIATE,
                status__in=[TransferStatus.PENDING, TransferStatus.FAILED],
                currency=reversed_row.currency,
            ).aggregate(total=Sum("amount"))["total"]
            or 0
        )
        if amount <= 0 or next(iter(direct.values())).balance - waiting < amount:
            return None
        again = StripeTransfer.objects.create(
            resend_of=reversed_row,
            promoter_id=reversed_row.promoter_id,
            kind=TransferKind.IMMEDIATE,
            amount=amount,
            currency=reversed_row.currency,
            campaign_id=reversed_row.campaign_id,
            transfer_group=reversed_row.transfer_group,
            # Replaced below by one derived from this row, once it has its id.
            idempotency_key=f"transfer-resend-of-{reversed_row.pk}",
        )
        again.idempotency_key = f"transfer-{again.pk}"
        again.save(update_fields=["idempotency_key"])
    return again


# --- The monthly close -------------------------------------------------------------------------


@dataclass
class CloseReport:
    period: datetime.date
    released_promoters: int = 0
    released_cents: int = 0
    deductions_applied: int = 0
    deductions_cents: int = 0
    summaries: int = 0
    run: RunReport | None = None


@dataclass
class RunReport:
    period: datetime.date
    records_created: int = 0
    paid: int = 0
    paid_cents: int = 0
    failed: int = 0
    skipped: dict = field(default_factory=lambda: defaultdict(int))


def period_close(*, period: datetime.date) -> CloseReport:
    """Close `period`: release eligible pending to current, create the payout records, write
    statements and balance snapshots, then send the payouts. Safe to run twice, or again after
    a crash: each step skips what is already done."""
    if period >= period_of(timezone.now()):
        raise PayoutError("Only a month that has ended can be closed.")
    close, _ = PeriodClose.objects.get_or_create(period=period)
    report = CloseReport(period=period)
    if close.released_at is None:
        # Deductions first: they come out of pending earnings, and what they still need is
        # kept back from the release.
        report.deductions_applied, report.deductions_cents = deductions_apply()
        report.released_promoters, report.released_cents = pending_release(period=period)
        PeriodClose.objects.filter(pk=close.pk, released_at__isnull=True).update(released_at=timezone.now())
    run = RunReport(period=period)
    payout_records_create(period=period, report=run)
    if close.summarised_at is None:
        report.summaries = period_summaries_write(period=period)
        PeriodClose.objects.filter(pk=close.pk, summarised_at__isnull=True).update(summarised_at=timezone.now())
    payout_run_send(period=period, report=run)
    transfers_resend_reversed()
    report.run = run
    return report


_PENDING_AS_OF = """
    WITH batch AS (
        SELECT id, user_id, currency, balance FROM ledger_accounts
        WHERE kind = %s AND balance > 0 AND id > %s ORDER BY id LIMIT %s
    ),
    since AS (
        SELECT t.destination_id AS id, t.amount AS signed FROM transactions t
        WHERE t.created_at >= %s AND t.destination_id IN (SELECT id FROM batch)
        UNION ALL
        SELECT t.source_id, -t.amount FROM transactions t
        WHERE t.created_at >= %s AND t.source_id IN (SELECT id FROM batch)
    )
    SELECT batch.id, batch.user_id, batch.currency, batch.balance,
           CAST(batch.balance - COALESCE(SUM(since.signed), 0) AS BIGINT)
    FROM batch LEFT JOIN since ON since.id = batch.id
    GROUP BY batch.id, batch.user_id, batch.currency, batch.balance
    ORDER BY batch.id
"""


def _pending_batch(*, after_pk: int, end: datetime.datetime) -> list[tuple[int, int, str, int, int]]:
    """The next batch of pending accounts holding money: (pk, user id, currency, balance now,
    balance at `end`). The balance at the end is the balance now less what moved since, read
    in the same statement (one snapshot), so only the rows since the end are summed, not the
    account's whole history."""
    end_param = connection.ops.adapt_datetimefield_value(end)
    with connection.cursor() as cursor:
        cursor.execute(_PENDING_AS_OF, [AccountKind.PROMOTER_PENDING, after_pk, BATCH_SIZE, end_param, end_param])
        return cursor.fetchall()


def pending_release(*, period: datetime.date) -> tuple[int, int]:
    """Move what each promoter had pending at the period's end (capped by what they hold now)
    to available, in batches. Returns (promoters, cents) released by this call.

    What an outstanding commission deduction needs stays pending (it is taken from pending
    earnings, see deductions_apply), so it is neither released nor paid out meanwhile."""
    _, end = period_bounds(period)
    withheld = _deductions_outstanding()
    promoters = released = 0
    last_pk = 0
    while True:
        batch = _pending_batch(after_pk=last_pk, end=end)
        if not batch:
            return promoters, released
        last_pk = batch[-1][0]
        by_currency = defaultdict(list)
        for pk, user_id, currency, balance, as_of in batch:
            eligible = min(as_of, balance - min(withheld.get((user_id, currency), 0), balance))
            if eligible > 0:
                by_currency[currency].append((pk, user_id, eligible))
        for currency, rows in by_currency.items():
            with transaction.atomic():
                available = dict(
                    LedgerAccount.objects.filter(
                        AnyOf("user_id", [u for _, u, _ in rows]),
                        kind=AccountKind.PROMOTER_AVAILABLE,
                        currency=currency,
                    ).values_list("user_id", "pk")
                )
                memo = f"Earnings of {period:%B %Y} released"
                moves = [
                    Move(
                        idempotency_key=f"release-{period:%Y-%m}-{user_id}",
                        source_id=pk,
                        # None: a promoter's first release creates their available account.
                        destination_id=available.get(user_id),
                        destination_user_id=user_id,
                        amount=amount,
                        memo=memo,
                    )
                    for pk, user_id, amount in rows
                ]
                # Capped under the locks by what each promoter holds now (a correction may have
                # lowered it since the batch was read).
                posted = ledger_post_many(
                    kind=TransactionKind.RELEASE,
                    moves=moves,
                    currency=currency,
                    cap_to_source=True,
                    new_destination_kind=AccountKind.PROMOTER_AVAILABLE,
                )
            promoters += len(posted)
            released += sum(move.amount for move in posted)


# --- Commission deductions ----------------------------------------------------------------------
# A sale refunded after its commission left the promoter's pending earnings leaves tracking's
# CommissionDeduction (applied_at null). The close takes it from the promoter's next earnings,
# their pending balance, through billing's spend reversal: the commission goes back to the
# campaign budget and its fee share back to the fee held, with billing's allocation, daily
# spend and participation figures, exactly as for a refund before payout. A deduction the
# pending balance cannot cover yet is carried: what pending holds stays there (kept out of the
# release, so it is not paid out meanwhile) until the next close can take it in full. A wallet
# never goes negative: the reversal refuses to overdraw the pending account.


def _deductions_outstanding() -> dict:
    """{(promoter id, currency): cents of refunded sales' commissions not taken back yet}."""
    from tracking.models import CommissionDeduction

    return {
        (promoter_id, currency): total
        for promoter_id, currency, total in CommissionDeduction.objects.filter(applied_at__isnull=True)
        .values_list("promoter_id", "currency")
        .annotate(total=Sum("amount_cents"))
        .order_by()
    }


def deductions_apply() -> tuple[int, int]:
    """Apply every outstanding deduction the promoter's pending earnings cover, oldest first.
    Returns (deductions, cents) applied by this call; safe to run twice or at once."""
    from tracking.models import CommissionDeduction

    applied = cents = 0
    for pk in (
        CommissionDeduction.objects.filter(applied_at__isnull=True)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
    ):
        amount = deduction_apply(deduction_id=pk)
        if amount:
            applied += 1
            cents += amount
    return applied, cents


def deduction_apply(*, deduction_id: int) -> int:
    """Take one deduction from the promoter's pending earnings if they cover it; returns the
    cents taken (0 when already applied or not covered yet)."""
    from billing.services import campaign_budget_spend_reverse
    from tracking.models import CommissionDeduction

    with transaction.atomic(durable=True):
        # The deduction row is the claim: a concurrent close waits here, then sees applied_at.
        deduction = (
            CommissionDeduction.objects.select_for_update(of=("self",))
            .select_related("promoter", "campaign", "sale")
            .get(pk=deduction_id)
        )
        if deduction.applied_at is not None:
            return 0
        try:
            with transaction.atomic():
                campaign_budget_spend_reverse(
                    campaign=deduction.campaign,
                    promoter=deduction.promoter,
                    spend_idempotency_key=f"sale-commission-{deduction.sale_id}",
                    idempotency_key=f"deduction-{deduction.pk}",
                    memo=f"Refunded order {deduction.sale.order_id}: commission taken from later earnings"[:300],
                )
        except ledger.InsufficientFunds:
            return 0  # carried: pending earnings do not cover it yet
        except ValueError:
            logger.exception("commission deduction %s has no commission posting to reverse", deduction.pk)
            return 0
        CommissionDeduction.objects.filter(pk=deduction.pk).update(applied_at=timezone.now())
        _notify(
            deduction.promoter,
            kind="commission_deduction",
            title="A refunded sale's commission was deducted",
            body=f"Order {deduction.sale.order_id} was refunded after its commission was paid, so "
            f"{dollars(deduction.amount_cents)} was taken from your new earnings.",
            event_key=f"deduction-applied-{deduction.pk}",
            url=reverse("payouts:wallet"),
        )
    return deduction.amount_cents


# --- The payout run ------------------------------------------------------------------------------


def payout_run(*, period: datetime.date) -> RunReport:
    """Pay every wallet at or above its threshold once for `period` (also: retry its failures)."""
    report = RunReport(period=period)
    payout_records_create(period=period, report=report)
    payout_run_send(period=period, report=report)
    return report


def payout_records_create(*, period: datetime.date, report: RunReport) -> int:
    """One PayoutRecord + pending StripeTransfer per payable wallet; a second or concurrent run
    creates nothing new (unique promoter+period, ignore_conflicts).

    Each batch reads wallets over their threshold by primary key, then looks up its promoters'
    records and accounts by index, and decides in Python: a NOT EXISTS over payout_records,
    which this very run fills, can get a per-wallet plan from stale statistics (quadratic)."""
    candidates = Wallet.objects.filter(current_balance__gte=F("minimum_threshold"), current_balance__gt=0)
    created = 0
    last_pk = 0
    while True:
        wallets = list(
            candidates.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "user_id", "current_balance", "currency", "payout_hold")[:BATCH_SIZE]
        )
        if not wallets:
            break
        last_pk = wallets[-1][0]
        user_ids = [wallet[1] for wallet in wallets]
        has_record = set(
            PayoutRecord.objects.filter(AnyOf("promoter_id", user_ids))
            # An older record not paid yet (failed, or left by a crash) is retried first; paying
            # a new one beside it would promise the same money twice.
            .filter(Q(period=period) | Q(AnyOf("status", [PayoutStatus.PENDING, PayoutStatus.FAILED])))
            .values_list("promoter_id", flat=True)
        )
        ready = set(
            StripeConnectAccount.objects.filter(
                AnyOf("user_id", user_ids), payouts_enabled=True, transfers_active=True
            ).values_list("user_id", flat=True)
        )
        batch, waiting = [], []
        for _, user_id, amount, currency, held in wallets:
            if user_id in has_record:
                continue
            if held:
                report.skipped["held"] += 1
            elif user_id not in ready:
                report.skipped["account not ready"] += 1
                waiting.append(user_id)
            else:
                batch.append((user_id, amount, currency))
        with transaction.atomic():
            body = (
                f"Your earnings of {period:%B %Y} are ready to be paid, but your Stripe account cannot receive "
                "payouts yet. Finish setting it up on the Get paid page; the money waits in your wallet."
            )
            notify_many(
                [(user_id, f"onboarding-incomplete-close-{period:%Y-%m}", body) for user_id in waiting],
                kind=NotificationKind.ONBOARDING_INCOMPLETE,
                title="Finish setting up payouts to be paid",
                url=reverse("payouts:get_paid"),
            )
            if not batch:
                continue
            records = bulk_insert(
                PayoutRecord,
                [
                    {"promoter_id": user_id, "period": period, "amount": amount, "currency": currency}
                    for user_id, amount, currency in batch
                ],
                ignore_conflicts=True,
                returning=["id", "promoter_id", "amount", "currency"],
            )
            # Only the records this insert created (RETURNING skips the conflicts): a concurrent
            # run creates the transfers of its own.
            bulk_insert(
                StripeTransfer,
                [
                    {
                        "promoter_id": promoter_id,
                        "kind": TransferKind.PAYOUT,
                        "amount": amount,
                        "currency": currency,
                        "payout_record_id": pk,
                        "idempotency_key": f"payout-{pk}",
                        "transfer_group": f"payout-{period:%Y-%m}",
                    }
                    for pk, promoter_id, amount, currency in records
                ],
                ignore_conflicts=True,
            )
        created += len(records)
    report.records_created += created
    return created


def payout_run_send(*, period: datetime.date, report: RunReport) -> None:
    """Send the records not paid yet of this period and earlier ones (pending, including those
    a crash left, and failed ones), in batches."""
    last_pk = 0
    while True:
        ids = list(
            PayoutRecord.objects.filter(
                AnyOf("status", [PayoutStatus.PENDING, PayoutStatus.FAILED]), period__lte=period, pk__gt=last_pk
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH_SIZE]
        )
        if not ids:
            return
        last_pk = ids[-1]
        paid, paid_cents, failed = payout_records_send(record_ids=ids)
        report.paid += paid
        report.paid_cents += paid_cents
        report.failed += failed


@dataclass(slots=True)
class _Payout:
    """A payout record's transfer as the run reads it (no model instance per row)."""

    pk: int
    promoter_id: int
    amount: int
    currency: str
    idempotency_key: str
    transfer_group: str
    payout_record_id: int
    attempts: int
    destination: str


def payout_records_send(*, record_ids: list[int]) -> tuple[int, int, int]:
    """Call Stripe for each record (no transaction open), then record the batch's results in one
    short transaction. Returns (paid, paid cents, failed).

    Records of held wallets or of accounts that cannot receive money stay as they are; they are
    sent once the hold is lifted or the account is ready."""
    rows = [
        _Payout(*row)
        for row in StripeTransfer.objects.filter(
            AnyOf("payout_record_id", record_ids),
            AnyOf("payout_record__status", [PayoutStatus.PENDING, PayoutStatus.FAILED]),
            promoter__connect_account__payouts_enabled=True,
            promoter__connect_account__transfers_active=True,
        )
        .exclude(promoter__wallet__payout_hold=True)
        .order_by("payout_record_id")
        .values_list(
            "pk",
            "promoter_id",
            "amount",
            "currency",
            "idempotency_key",
            "transfer_group",
            "payout_record_id",
            "attempts",
            "promoter__connect_account__stripe_account_id",
        )
    ]
    successes, failures = [], []
    # Waiting out 429s is bounded per call, well inside the worker's task timeout: what is still
    # refused after that stays pending for the next run.
    deadline = time.monotonic() + settings.STRIPE_RATE_LIMIT_MAX_WAIT_SECONDS
    for transfer in rows:
        try:
            remote = _transfer_send_paced(transfer, deadline=deadline)
        except gateway.GatewayRateLimited:
            # Still refused after backing off: left pending (not failed) for the next run.
            logger.warning(
                "payout record %s: Stripe kept rate-limiting; left for the next run", transfer.payout_record_id
            )
            continue
        except gateway.GatewayError as error:
            failures.append((transfer, error))
            continue
        successes.append((transfer, remote))
    paid_cents = _payouts_record_success(successes)
    _payouts_record_failure(failures)
    return len(successes), paid_cents, len(failures)


def _transfer_send_paced(transfer: _Payout, *, deadline: float):
    """One transfer; a 429 from Stripe backs off (exponentially, with jitter) and sends the same
    request again under the same idempotency key, up to STRIPE_RATE_LIMIT_RETRIES times and not
    past `deadline` (time.monotonic())."""
    delay = settings.STRIPE_RATE_LIMIT_BACKOFF_SECONDS
    for attempt in range(settings.STRIPE_RATE_LIMIT_RETRIES + 1):
        try:
            return gateway.transfer_create(
                amount=transfer.amount,
                currency=transfer.currency,
                destination=transfer.destination,
                transfer_group=transfer.transfer_group,
                source_transaction=None,
                idempotency_key=transfer.idempotency_key,
                metadata={"payout_record": str(transfer.payout_record_id)},
            )
        except gateway.GatewayRateLimited:
            pause = delay * (1 + random.random())  # jitter, so retries of several runs spread out
            if attempt == settings.STRIPE_RATE_LIMIT_RETRIES or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            delay = min(delay * 2, 8.0)
    raise AssertionError("unreachable")


def _payouts_record_success(successes) -> int:
    if not successes:
        return 0
    now = timezone.now()
    paid_cents = 0
    by_currency = defaultdict(list)
    for transfer, remote in successes:
        by_currency[transfer.currency].append((transfer, remote))
    for currency, items in by_currency.items():
        with transaction.atomic():
            record_ids = sorted(transfer.payout_record_id for transfer, _ in items)
            # Lock the records first (the fixed order), then only record those still unpaid:
            # a concurrent run that got the same transfer back from Stripe records it once.
            unpaid = set(
                PayoutRecord.objects.select_for_update()
                .filter(AnyOf("pk", record_ids), AnyOf("status", [PayoutStatus.PENDING, PayoutStatus.FAILED]))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            items = [(transfer, remote) for transfer, remote in items if transfer.payout_record_id in unpaid]
            if not items:
                continue
            available = accounts_for_users(
                AccountKind.PROMOTER_AVAILABLE, [transfer.promoter_id for transfer, _ in items], currency
            )
            external = ledger.external(currency)
            ledger_post_many(
                kind=TransactionKind.PAYOUT,
                moves=[
                    Move(
                        idempotency_key=f"payout-{transfer.payout_record_id}",
                        source_id=available[transfer.promoter_id],
                        destination_id=external.pk,
                        amount=transfer.amount,
                        memo=f"Stripe transfer {remote.id}",
                    )
                    for transfer, remote in items
                ],
                currency=currency,
                # The wallet's paid_out_total moves in the projection's own write of the wallet.
                extra_by_key={f"payout-{t.payout_record_id}": {"paid_out_total": t.amount} for t, _ in items},
            )
            PayoutRecord.objects.filter(AnyOf("pk", [t.payout_record_id for t, _ in items])).update(
                status=PayoutStatus.PAID, paid_at=now, failure_reason="", attempts=F("attempts") + 1
            )
            bulk_set_columns(
                StripeTransfer,
                ["stripe_transfer_id", "attempts"],
                {transfer.pk: (remote.id, 1) for transfer, remote in items},
                add=["attempts"],
                also={"status": TransferStatus.SUCCEEDED, "failure_reason": "", "updated_at": now},
            )
            notify_many(
                [
                    (
                        t.promoter_id,
                        f"payout-sent-{t.payout_record_id}",
                        f"Your payout of {dollars(t.amount)} was sent to your Stripe account; Stripe pays it "
                        "into your bank.",
                    )
                    for t, _ in items
                ],
                kind=NotificationKind.PAYOUT_SENT,
                title="Your payout is on its way",
                url=reverse("payouts:wallet"),
            )
            paid_cents += sum(transfer.amount for transfer, _ in items)
    return paid_cents


def _payouts_record_failure(failures) -> None:
    if not failures:
        return
    now = timezone.now()
    notices = []
    with transaction.atomic():
        for transfer, error in failures:
            reason = str(error.message)[:500]
            PayoutRecord.objects.filter(pk=transfer.payout_record_id).exclude(status=PayoutStatus.PAID).update(
                status=PayoutStatus.FAILED, failure_reason=reason, attempts=F("attempts") + 1
            )
            update = {"status": TransferStatus.FAILED, "failure_reason": reason, "updated_at": now}
            if not isinstance(error, gateway.GatewayUnavailable):
                # A definitive refusal created nothing at Stripe; the retry needs a fresh key.
                update["idempotency_key"] = f"payout-{transfer.payout_record_id}~{transfer.attempts + 1}"
            StripeTransfer.objects.filter(pk=transfer.pk).exclude(status=TransferStatus.SUCCEEDED).update(
                attempts=F("attempts") + 1, **update
            )
            # Once per record: the retry schedule may fail it again every few minutes.
            notices.append(
                (
                    transfer.promoter_id,
                    f"payout-failed-{transfer.payout_record_id}",
                    f"Stripe refused your payout of {dollars(transfer.amount)}: {reason}. The money stays in "
                    "your wallet and we retry automatically; check your payout account on the Get paid page.",
                )
            )
        notify_many(
            notices,
            kind=NotificationKind.PAYOUT_FAILED,
            title="Your payout could not be sent",
            url=reverse("payouts:get_paid"),
        )


def payout_record_retry(*, record: PayoutRecord) -> PayoutRecord:
    """Admin action: send a failed (or stuck pending) record again."""
    if record.status not in (PayoutStatus.FAILED, PayoutStatus.PENDING):
        raise PayoutError(f"This payout is {record.get_status_display().lower()}; only failed ones are retried.")
    payout_records_send(record_ids=[record.pk])
    return PayoutRecord.objects.get(pk=record.pk)


# --- Reversals and failed bank payouts (Connect events) ----------------------------------------------


def transfer_reversed(*, stripe_transfer_id: str) -> StripeTransfer | None:
    """Stripe took a transfer back: the money is owed to the promoter again (available for a
    payout, direct for an immediate payment)."""
    remote = gateway.transfer_retrieve(stripe_transfer_id)
    with transaction.atomic():
        transfer = StripeTransfer.objects.select_for_update().filter(stripe_transfer_id=stripe_transfer_id).first()
        if transfer is None or remote.amount_reversed <= 0:
            return transfer
        if transfer.kind == TransferKind.PAYOUT:
            owed_to = ledger.promoter_available(transfer.promoter, transfer.currency)
        else:
            owed_to = ledger.promoter_direct(transfer.promoter, transfer.currency)
        # The key carries the reversed total, so each further partial reversal posts its difference.
        already = (
            Transaction.objects.filter(
                kind=TransactionKind.PAYOUT_REVERSAL, idempotency_key__startswith=f"reversal-{transfer.pk}-"
            ).aggregate(total=Sum("amount"))["total"]
            or 0
        )
        amount = min(remote.amount_reversed, transfer.amount) - already
        if amount > 0:
            ledger.ledger_post(
                kind=TransactionKind.PAYOUT_REVERSAL,
                legs=[ledger.Leg(ledger.external(transfer.currency), owed_to, amount)],
                idempotency_key=f"reversal-{transfer.pk}-{remote.amount_reversed}",
                memo=f"Stripe transfer {stripe_transfer_id} reversed",
            )
            total_field = "paid_out_total" if transfer.kind == TransferKind.PAYOUT else "direct_paid_total"
            Wallet.objects.filter(user_id=transfer.promoter_id).update(
                **{total_field: Case(When(**{f"{total_field}__gte": amount}, then=F(total_field) - amount), default=0)}
            )
        if remote.reversed:
            transfer.status = TransferStatus.REVERSED
            transfer.failure_reason = "Reversed by Stripe; the amount is back in your wallet."
            transfer.save(update_fields=["status", "failure_reason", "updated_at"])
            if transfer.payout_record_id:
                PayoutRecord.objects.filter(pk=transfer.payout_record_id).update(status=PayoutStatus.REVERSED)
        if amount > 0:
            _notify(
                transfer.promoter,
                kind=NotificationKind.PAYOUT_FAILED,
                title="A payment to you was returned",
                body=f"A transfer of {dollars(amount)} was reversed by Stripe. The money is back in your wallet, "
                f"still owed to you, {_reversal_next_step(transfer, fully=remote.reversed)}",
                event_key=f"transfer-reversed-{transfer.pk}-{remote.amount_reversed}",
                url=reverse("payouts:wallet"),
            )
    return transfer


def _reversal_next_step(transfer: StripeTransfer, *, fully: bool) -> str:
    """What happens next to reversed money, as the promoter is told it (it must come true)."""
    if transfer.kind == TransferKind.PAYOUT:
        return "and is paid with your next monthly payout."
    if not fully:
        return "and part of the payment stays with you: contact support to have the returned part sent again."
    if transfer.sends() < IMMEDIATE_SENDS_MAX:
        return "and is sent to you again automatically within the hour."
    return (
        f"but Stripe returned it {transfer.sends()} times, so we stopped sending it automatically: check your "
        "payout account on the Get paid page and contact support to have it sent again."
    )


def payout_failed(
    *, stripe_account_id: str, failure_message: str, payout_id: str = "", created: int | None = None
) -> StripeConnectAccount | None:
    """The bank refused a payout from the promoter's Stripe account: the money is with Stripe
    (on their account), not with us. Record why on the account (its own fields: account.updated
    rewrites disabled_reason) and tell the promoter, once per Stripe payout."""
    account = StripeConnectAccount.objects.select_related("user").filter(stripe_account_id=stripe_account_id).first()
    if account is None:
        return None
    message = (failure_message or "no reason given")[:300]
    failed_at = datetime.datetime.fromtimestamp(created, tz=datetime.UTC) if created else timezone.now()
    StripeConnectAccount.objects.filter(pk=account.pk).update(
        payout_failure_message=message,
        payout_failure_id=payout_id[:64],
        payout_failed_at=failed_at,
        updated_at=timezone.now(),
    )
    _notify(
        account.user,
        kind=NotificationKind.PAYOUT_FAILED,
        title="Your bank refused a payout",
        body=f"Your bank refused a payout from your Stripe account: {message}. Update your bank details in "
        "Stripe from the Get paid page; the money stays in your Stripe account until then.",
        event_key=f"bank-payout-failed-{payout_id or message}",
        url=reverse("payouts:get_paid"),
    )
    account.refresh_from_db()
    return account


def payout_paid(*, stripe_account_id: str, payout_id: str, created: int | None = None) -> int:
    """A bank payout from the promoter's Stripe account arrived: an earlier refused one is
    resolved (not an older payout's late event: events arrive out of order)."""
    resolved = StripeConnectAccount.objects.filter(stripe_account_id=stripe_account_id).exclude(
        payout_failure_message=""
    )
    if created:
        resolved = resolved.filter(payout_failed_at__lte=datetime.datetime.fromtimestamp(created, tz=datetime.UTC))
    return resolved.exclude(payout_failure_id=payout_id).update(
        payout_failure_message="", payout_failure_id="", payout_failed_at=None, updated_at=timezone.now()
    )


def _notify(user, *, kind: str, title: str, body: str, event_key: str, url: str = "") -> None:
    """Tell a promoter (in the app, and by email after commit), once per event."""
    notify(user=user, kind=kind, title=title, body=body, event_key=event_key, url=url)


# --- Statements --------------------------------------------------------------------------------------


def period_summaries_write(*, period: datetime.date) -> int:
    """Advertiser and promoter statements and balance snapshots for `period` (insert-once)."""
    start, end = period_bounds(period)
    withheld = _deductions_outstanding()
    in_period = Transaction.objects.filter(created_at__gte=start, created_at__lt=end)
    written = 0

    # Advertisers: ledger rows of their campaigns.
    advertiser = defaultdict(lambda: defaultdict(int))
    campaign_rows = (
        in_period.filter(Q(source__campaign__isnull=False) | Q(destination__campaign__isnull=False))
        .annotate(
            advertiser_id=Case(
                When(source__campaign__isnull=False, then=F("source__campaign__advertiser_id")),
                default=F("destination__campaign__advertiser_id"),
            )
        )
        .values("advertiser_id", "kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in campaign_rows:
        advertiser[row["advertiser_id"]][row["kind"]] += row["total"]
    summaries = [
        BillingPeriodSummary(
            user_id=user_id,
            role=SummaryRole.ADVERTISER,
            period=period,
            funded=kinds[TransactionKind.FUNDING],
            spent=kinds[TransactionKind.SPEND],
            fees=kinds[TransactionKind.FEE_RECOGNISED],
            refunded=kinds[TransactionKind.REFUND],
        )
        for user_id, kinds in advertiser.items()
    ]
    written += len(BillingPeriodSummary.objects.bulk_create(summaries, ignore_conflicts=True, batch_size=BATCH_SIZE))

    # Promoters: per batch of wallets.
    last_pk = 0
    while True:
        wallets = list(
            Wallet.objects.filter(pk__gt=last_pk)
            .order_by("pk")
            .values(
                "pk",
                "user_id",
                "currency",
                "pending_balance",
                "current_balance",
                "direct_balance",
                "minimum_threshold",
                "payout_hold",
                "payout_hold_reason",
            )[:BATCH_SIZE]
        )
        if not wallets:
            return written
        last_pk = wallets[-1]["pk"]
        user_ids = [wallet["user_id"] for wallet in wallets]
        # By account id, so each batch reads its promoters' rows through the FK indexes.
        accounts = dict(
            LedgerAccount.objects.filter(
                AnyOf("user_id", user_ids), AnyOf("kind", [AccountKind.PROMOTER_PENDING, AccountKind.PROMOTER_DIRECT])
            ).values_list("pk", "kind")
        )
        earned = defaultdict(lambda: defaultdict(int))
        for row in (
            in_period.filter(AnyOf("destination_id", list(accounts)), kind=TransactionKind.SPEND)
            .values("destination__user_id", "source__campaign__campaign_type")
            .annotate(total=Sum("amount"))
            .order_by()
        ):
            earned[row["destination__user_id"]][row["source__campaign__campaign_type"]] += row["total"]
        direct_ids = [pk for pk, kind in accounts.items() if kind == AccountKind.PROMOTER_DIRECT]
        direct_paid = dict(
            in_period.filter(AnyOf("source_id", direct_ids), kind=TransactionKind.PAYOUT)
            .values_list("source__user_id")
            .annotate(total=Sum("amount"))
            .order_by()
        )
        payouts = dict(
            PayoutRecord.objects.filter(AnyOf("promoter_id", user_ids), period=period).values_list(
                "promoter_id", "amount"
            )
        )
        rows, snapshots = [], []
        for wallet in wallets:
            user_id = wallet["user_id"]
            types = earned.get(user_id, {})
            payout = payouts.get(user_id, 0)
            carried = max(0, wallet["current_balance"] - payout)
            rows.append(
                {
                    "user_id": user_id,
                    "role": SummaryRole.PROMOTER,
                    "period": period,
                    "currency": wallet["currency"],
                    "earned_visibility": types.get("visibility", 0),
                    "earned_consultant": types.get("consultant", 0),
                    "earned_seller": types.get("seller", 0),
                    "earned_salesman": types.get("salesman", 0),
                    "paid_out": payout + direct_paid.get(user_id, 0),
                    "carried_forward": carried,
                    "short_of_threshold": max(0, wallet["minimum_threshold"] - carried)
                    if carried and not payout
                    else 0,
                    "note": _carry_note(wallet, payout, carried, withheld.get((user_id, wallet["currency"]), 0)),
                }
            )
            snapshots.append(
                {
                    "promoter_id": user_id,
                    "period": period,
                    "pending_balance": wallet["pending_balance"],
                    "current_balance": wallet["current_balance"],
                    "direct_balance": wallet["direct_balance"],
                }
            )
        with transaction.atomic():
            bulk_insert(BillingPeriodSummary, rows, ignore_conflicts=True)
            bulk_insert(PromoterBalance, snapshots, ignore_conflicts=True)
        written += len(rows)


def _carry_note(wallet: dict, payout: int, carried: int, deduction: int = 0) -> str:
    if deduction:
        kept = min(deduction, wallet["pending_balance"])
        return (
            f"A refunded sale's commission of {dollars(deduction)} is still to be deducted: {dollars(kept)} of "
            f"your pending earnings is kept towards it and the rest, {dollars(deduction - kept)}, comes off your "
            "next earnings"
        )[:300]
    if payout or not carried:
        return ""
    if wallet["payout_hold"]:
        return f"Payouts on hold: {wallet['payout_hold_reason'] or 'under review'}"[:300]
    if carried < wallet["minimum_threshold"]:
        return f"Below the {dollars(wallet['minimum_threshold'])} payout threshold: carried forward"
    return "No payouts-enabled Stripe account yet: finish setting up payouts to be paid"


# --- Staff -------------------------------------------------------------------------------------------


def wallet_hold_set(*, wallet: Wallet, hold: bool, reason: str, actor) -> Wallet:
    """Hold (or release) a wallet's payouts. Writes only the hold fields, never money figures."""
    reason = (reason or "").strip()[:300]
    if hold and not reason:
        raise PayoutError("Say why the payouts are held; the promoter and the run's summary show it.")
    Wallet.objects.filter(pk=wallet.pk).update(payout_hold=hold, payout_hold_reason=reason if hold else "")
    logger.info("wallet %s payout_hold=%s by %s: %s", wallet.pk, hold, getattr(actor, "pk", None), reason)
    wallet.payout_hold, wallet.payout_hold_reason = hold, reason if hold else ""
    return wallet
