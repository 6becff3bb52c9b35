"""Reversed transfers and failed or paid bank payouts (Connect events)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Case, F, When
from django.urls import reverse
from django.utils import timezone

from accounts.models import NotificationKind
from billing import gateway, ledger
from billing.models import TransactionKind
from campaignplatform.money import dollars
from campaignplatform.reasons import reason_text
from payouts.models import (
    BankPayoutFailure,
    PayoutRecord,
    PayoutStatus,
    StripeConnectAccount,
    StripeTransfer,
    TransferFailure,
    TransferKind,
    TransferStatus,
    Wallet,
    bank_payout_failure_code,
)
from payouts.services.base import promoter_notify
from payouts.services.immediate import IMMEDIATE_SENDS_MAX, reversed_total


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
        amount = min(remote.amount_reversed, transfer.amount) - reversed_total(transfer)
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
        if remote.amount_reversed > transfer.amount_reversed:
            # What the resend of an immediate payment picks up (the reversed part, or all of it).
            StripeTransfer.objects.filter(pk=transfer.pk).update(
                amount_reversed=min(remote.amount_reversed, transfer.amount)
            )
        if remote.reversed:
            transfer.status = TransferStatus.REVERSED
            transfer.failure_reason_code = TransferFailure.TRANSFER_REVERSED
            transfer.failure_reason = "the amount is back in your wallet."
            transfer.save(update_fields=["status", "failure_reason_code", "failure_reason", "updated_at"])
            if transfer.payout_record_id:
                PayoutRecord.objects.filter(pk=transfer.payout_record_id).update(status=PayoutStatus.REVERSED)
        if amount > 0:
            promoter_notify(
                transfer.promoter,
                kind=NotificationKind.PAYOUT_FAILED,
                title="A payment to you was returned",
                body=f"A transfer of {dollars(amount)} was reversed by Stripe. The money is back in your wallet, "
                f"still owed to you, {_reversal_next_step(transfer)}",
                event_key=f"transfer-reversed-{transfer.pk}-{remote.amount_reversed}",
                url=reverse("payouts:wallet"),
            )
    return transfer


def _reversal_next_step(transfer: StripeTransfer) -> str:
    """What happens next to reversed money, as the promoter is told it (it must come true)."""
    if transfer.kind == TransferKind.PAYOUT:
        return "and is paid with your next monthly payout."
    if StripeTransfer.objects.filter(resend_of=transfer).exists():
        # The returned part was sent again already; a payment is sent again once.
        return "but an earlier returned part of it was already sent again: contact support to have this part sent."
    if transfer.sends() < IMMEDIATE_SENDS_MAX:
        return "and is sent to you again automatically within the hour."
    return (
        f"but Stripe returned it {transfer.sends()} times, so we stopped sending it automatically: check your "
        "payout account on the Get paid page and contact support to have it sent again."
    )


def payout_failed(
    *,
    stripe_account_id: str,
    failure_code: str,
    failure_message: str,
    payout_id: str = "",
    created: int | None = None,
) -> StripeConnectAccount | None:
    """The bank refused a payout from the promoter's Stripe account: the money is with Stripe
    (on their account), not with us. Record why (Stripe's `failure_code` as ours, and its
    message) on the account (its own fields: account.updated rewrites disabled_reason) and tell
    the promoter, once per Stripe payout."""
    account = StripeConnectAccount.objects.select_related("user").filter(stripe_account_id=stripe_account_id).first()
    if account is None:
        return None
    code = bank_payout_failure_code(failure_code)
    failed_at = datetime.datetime.fromtimestamp(created, tz=datetime.UTC) if created else timezone.now()
    StripeConnectAccount.objects.filter(pk=account.pk).update(
        payout_failure_code=code,
        payout_failure_message=(failure_message or "")[:300],
        payout_failure_id=payout_id[:64],
        payout_failed_at=failed_at,
        updated_at=timezone.now(),
    )
    why = reason_text(BankPayoutFailure, code, failure_message) or "no reason given"
    promoter_notify(
        account.user,
        kind=NotificationKind.PAYOUT_FAILED,
        title="Your bank refused a payout",
        body=f"Your bank refused a payout from your Stripe account: {why}. Update your bank details in "
        "Stripe from the Get paid page; the money stays in your Stripe account until then.",
        event_key=f"bank-payout-failed-{payout_id or failure_message or code}",
        url=reverse("payouts:get_paid"),
    )
    account.refresh_from_db()
    return account


def payout_paid(*, stripe_account_id: str, payout_id: str, created: int | None = None) -> int:
    """A bank payout from the promoter's Stripe account arrived: an earlier refused one is
    resolved (not an older payout's late event: events arrive out of order)."""
    resolved = StripeConnectAccount.objects.filter(stripe_account_id=stripe_account_id).exclude(payout_failure_code="")
    if created:
        resolved = resolved.filter(payout_failed_at__lte=datetime.datetime.fromtimestamp(created, tz=datetime.UTC))
    return resolved.exclude(payout_failure_id=payout_id).update(
        payout_failure_code="",
        payout_failure_message="",
        payout_failure_id="",
        payout_failed_at=None,
        updated_at=timezone.now(),
    )
