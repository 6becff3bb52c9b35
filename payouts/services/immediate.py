"""Immediate payments for approved Consultant/Seller work: sending, retrying, and sending again after a reversal."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Case, F, Q, Sum, Value, When
from django.urls import reverse
from django.utils import timezone

from accounts.models import NotificationKind
from billing import gateway, ledger
from billing.models import Transaction, TransactionKind
from billing.services import BudgetExhausted, campaign_budget_spend
from campaignplatform.money import dollars
from campaignplatform.reasons import reason_text
from campaigns.models import CampaignWork
from campaigns.services import WorkNotPayable
from payouts.models import (
    PayoutRecord,
    PayoutStatus,
    StripeConnectAccount,
    StripeTransfer,
    TransferFailure,
    TransferKind,
    TransferStatus,
    Wallet,
)
from payouts.services.base import promoter_notify, transfer_failure
from payouts.services.run import payout_records_send


def campaign_transfer_group(campaign) -> str:
    return f"campaign-{campaign.public_id}"


def work_approved_pay(sender, *, work, **kwargs) -> None:
    """campaigns' `work_approved` signal: pay the milestone, or refuse the approval when the
    campaign's budget went back to the advertiser (cancelled or ended) and cannot pay it."""
    try:
        work_payment_create(work=work)
    except BudgetExhausted as refused:
        if refused.fixed_fee_cents and refused.remaining_cents >= work.deliverable.amount:
            raise WorkNotPayable(
                f"The campaign's budget holds {dollars(refused.remaining_cents)}: not enough for this "
                f"{dollars(work.deliverable.amount)} milestone and its {dollars(refused.fixed_fee_cents)} platform "
                "fee, which the budget pays with each milestone payment. It was not approved. Contact support to "
                "settle it."
            ) from refused
        raise WorkNotPayable(
            "The campaign's budget cannot pay for this work any more, so it was not approved. "
            "Contact support to settle it."
        ) from refused


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
    campaign_budget_spend(
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
    # Long on purpose: Stripe's three steps (claim the row, call outside any lock, record) read best
    # in one place.
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
        promoter_notify(
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
        locked.failure_reason_code = locked.failure_reason = ""
        locked.save(
            update_fields=["status", "stripe_transfer_id", "failure_reason_code", "failure_reason", "updated_at"]
        )
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
        promoter_notify(
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
    update = {"status": TransferStatus.FAILED, **transfer_failure(error)}
    if not isinstance(error, gateway.GatewayUnavailable):
        # Stripe refused for good and created nothing: the retry is a new request, and Stripe
        # would replay this refusal for the old key, so the retry gets a new key.
        update["idempotency_key"] = f"{transfer.idempotency_key.split('~')[0]}~{transfer.attempts + 1}"
    with transaction.atomic():
        # Never undo a success recorded meanwhile by a concurrent send.
        failed = StripeTransfer.objects.filter(pk=transfer.pk).exclude(status=TransferStatus.SUCCEEDED).update(**update)
        if failed:
            why = reason_text(TransferFailure, update["failure_reason_code"], update["failure_reason"])
            # Once per transfer: the retry schedule may fail it again every few minutes.
            promoter_notify(
                transfer.promoter,
                kind=NotificationKind.PAYOUT_FAILED,
                title="A payment to you could not be sent",
                body=f"Stripe refused a payment of {dollars(transfer.amount)}: {why or 'no reason given'}. It "
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


# Sends of one milestone payment, the first included: a payment Stripe keeps returning (an
# account closed or under review) waits for staff after this many, owed in the wallet.
IMMEDIATE_SENDS_MAX = 3


def transfers_resend_reversed(*, limit: int = 500) -> int:
    """Send again the reversed part of every immediate payment Stripe took back, in full or in
    part, not resent yet (under the cap). Returns how many were sent again; safe to run twice
    or at once."""
    reversed_ids = list(
        StripeTransfer.objects.filter(
            kind=TransferKind.IMMEDIATE,
            status__in=[TransferStatus.REVERSED, TransferStatus.SUCCEEDED],
            amount_reversed__gt=0,
            resent_as__isnull=True,
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


def reversed_total(transfer: StripeTransfer) -> int:
    """Cents of `transfer` the ledger took back from Stripe (its reversal postings)."""
    return (
        Transaction.objects.filter(
            kind=TransactionKind.PAYOUT_REVERSAL, idempotency_key__startswith=f"reversal-{transfer.pk}-"
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )


def _resend_not_covered(reversed_row: StripeTransfer, amount: int, covered: int) -> None:
    """The wallet no longer holds the returned money (a staff correction took some): nothing is
    sent, the row says why for staff, and the promoter, told at the reversal that it would be
    sent again, is told it is not (once)."""
    StripeTransfer.objects.filter(pk=reversed_row.pk).update(
        failure_reason_code=TransferFailure.NOT_SENT_AGAIN,
        failure_reason=f"the direct balance covers {dollars(covered)} of it.",
        updated_at=timezone.now(),
    )
    promoter_notify(
        reversed_row.promoter,
        kind=NotificationKind.PAYOUT_FAILED,
        title="A returned payment was not sent again",
        body=f"The {dollars(amount)} Stripe returned was not sent again: your wallet now holds "
        f"{dollars(covered)} of it after a correction. Please contact support, who will settle it with you.",
        event_key=f"transfer-resend-not-covered-{reversed_row.pk}",
        url=reverse("payouts:wallet"),
    )


def transfer_resend_create(*, reversed_id: int, ignore_cap: bool = False) -> StripeTransfer | None:
    """The pending row that sends the reversed part of an immediate payment again (the existing
    one on a second call), or None when it is not to be sent again: nothing reversed, the cap reached
    (unless staff say `ignore_cap`), or the promoter's direct balance no longer holds it."""
    with transaction.atomic():
        reversed_row = StripeTransfer.objects.select_for_update().get(pk=reversed_id)
        existing = StripeTransfer.objects.filter(resend_of=reversed_row).first()
        if existing is not None:
            return existing
        partly = reversed_row.status == TransferStatus.SUCCEEDED and reversed_row.amount_reversed > 0
        if reversed_row.kind != TransferKind.IMMEDIATE or not (
            reversed_row.status == TransferStatus.REVERSED or partly
        ):
            return None
        if reversed_row.sends() >= IMMEDIATE_SENDS_MAX and not ignore_cap:
            return None
        amount = min(reversed_total(reversed_row), reversed_row.amount)
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
        if amount <= 0:
            return None
        covered = next(iter(direct.values())).balance - waiting
        if covered < amount:
            _resend_not_covered(reversed_row, amount, max(0, covered))
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
