"""Stripe Connect onboarding of promoters."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import NotificationKind
from billing import gateway
from payouts.models import (
    StripeConnectAccount,
    StripeTransfer,
    TransferKind,
    TransferStatus,
)
from payouts.services.base import promoter_notify


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
        promoter_notify(
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
