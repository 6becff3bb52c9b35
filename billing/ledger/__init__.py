"""The ledger's posting functions (one posting: `ledger_post`; many at once: `ledger_post_many`)
and the accounts they post to.

Rules: call inside `transaction.atomic()`; accounts are locked in primary-key order (so two
postings never deadlock); an account that must not go negative refuses to; posting the same
idempotency key twice posts once.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from billing.models import MAY_GO_NEGATIVE, AccountKind, LedgerAccount, Transaction


class InsufficientFunds(Exception):
    """A posting would overdraw an account that holds real money."""

    def __init__(self, account, needed, available):
        self.account, self.needed, self.available = account, needed, available
        super().__init__(f"{account} holds {available} cents; {needed} needed.")


@dataclass(frozen=True)
class Leg:
    source: LedgerAccount
    destination: LedgerAccount
    amount: int


# Functions called with the accounts whose balances a posting changed, inside the posting's
# transaction and locks. Apps that keep cached money figures (the payouts app's wallets)
# register here so those figures move in the same transaction as the ledger.
_balance_listeners = []


def on_balances_changed(listener):
    """Register `listener(accounts)`; it must only update its own projections."""
    if listener not in _balance_listeners:
        _balance_listeners.append(listener)
    return listener


def account(kind, *, campaign=None, user=None, currency="usd") -> LedgerAccount:
    """The ledger account for (kind, owner), created on first use."""
    lookup = {"kind": kind, "campaign": campaign, "user": user, "currency": currency}
    found = LedgerAccount.objects.filter(**lookup).first()
    if found:
        return found
    try:
        with transaction.atomic():
            return LedgerAccount.objects.create(**lookup)
    except IntegrityError:
        # Created concurrently by another posting: use that one.
        return LedgerAccount.objects.get(**lookup)


def external(currency="usd"):
    return account(AccountKind.EXTERNAL, currency=currency)


def platform_revenue(currency="usd"):
    return account(AccountKind.PLATFORM_REVENUE, currency=currency)


def stripe_fees(currency="usd"):
    return account(AccountKind.STRIPE_FEES, currency=currency)


def platform_losses(currency="usd"):
    return account(AccountKind.PLATFORM_LOSSES, currency=currency)


def campaign_budget(campaign):
    return account(AccountKind.CAMPAIGN_BUDGET, campaign=campaign, currency=campaign.currency)


def campaign_fee_held(campaign):
    return account(AccountKind.CAMPAIGN_FEE_HELD, campaign=campaign, currency=campaign.currency)


def legs_into_campaign(campaign, *, budget: int, fee: int) -> list[Leg]:
    """Money coming into a campaign from outside (a payment, a refund the bank refused, a won
    dispute): its budget part into the campaign's budget, its fee part into its held fee."""
    source = external(campaign.currency)
    return [Leg(source, campaign_budget(campaign), budget), Leg(source, campaign_fee_held(campaign), fee)]


def promoter_pending(user, currency="usd"):
    return account(AccountKind.PROMOTER_PENDING, user=user, currency=currency)


def promoter_available(user, currency="usd"):
    return account(AccountKind.PROMOTER_AVAILABLE, user=user, currency=currency)


def promoter_direct(user, currency="usd"):
    return account(AccountKind.PROMOTER_DIRECT, user=user, currency=currency)


def already_posted(idempotency_key: str) -> bool:
    return Transaction.objects.filter(idempotency_key=idempotency_key).exists()


def ledger_post(*, kind: str, legs: list[Leg], idempotency_key: str, memo: str = "") -> list[Transaction]:
    """Post `legs` as one all-or-nothing batch; return its rows (the existing ones on a replay).

    Zero-amount legs are dropped (a 0-cent fee share is not a movement). Raises
    InsufficientFunds, leaving nothing posted, when a non-negative account would be overdrawn.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("ledger_post must run inside transaction.atomic() with the service's other writes.")
    legs = _legs_checked(legs)
    existing = _rows_of(idempotency_key)
    if existing or not legs:
        return existing
    locked = _lock_accounts({leg.source.pk for leg in legs} | {leg.destination.pk for leg in legs})
    # Look again under the locks: a concurrent poster of the same key (who locks the same
    # accounts) has committed by now, and its rows are visible.
    existing = _rows_of(idempotency_key)
    if existing:
        return existing
    deltas = _leg_deltas_checked(legs, locked)
    try:
        with transaction.atomic():
            rows = _legs_insert(legs, kind=kind, idempotency_key=idempotency_key, memo=memo)
    except IntegrityError:
        # The same key was posted by a concurrent caller between our check and insert.
        return _rows_of(idempotency_key)
    changed = _leg_balances_apply(deltas, locked, legs)
    for listener in _balance_listeners:
        listener(changed)
    return rows


def _rows_of(idempotency_key: str) -> list[Transaction]:
    return list(Transaction.objects.filter(idempotency_key=idempotency_key).order_by("leg"))


def _legs_checked(legs: list[Leg]) -> list[Leg]:
    """The legs of something (a 0-cent fee share is not a movement), each valid (ValueError if not)."""
    legs = [leg for leg in legs if leg.amount != 0]
    for leg in legs:
        if leg.amount < 0 or not isinstance(leg.amount, int):
            raise ValueError(f"Ledger amounts are positive integer cents, not {leg.amount!r}.")
        if leg.source.currency != leg.destination.currency:
            raise ValueError("A ledger leg cannot change currency.")
    return legs


def _leg_deltas_checked(legs: list[Leg], locked: dict) -> dict:
    """{account pk: net change}; InsufficientFunds if a non-negative account would go below zero."""
    deltas = defaultdict(int)
    for leg in legs:
        deltas[leg.source.pk] -= leg.amount
        deltas[leg.destination.pk] += leg.amount
    for pk, delta in deltas.items():
        held = locked[pk]
        if held.kind not in MAY_GO_NEGATIVE and held.balance + delta < 0:
            raise InsufficientFunds(held, -delta, held.balance)
    return deltas


def _legs_insert(legs: list[Leg], *, kind: str, idempotency_key: str, memo: str) -> list[Transaction]:
    return Transaction.objects.bulk_create(
        [
            Transaction(
                idempotency_key=idempotency_key,
                leg=index,
                kind=kind,
                source=leg.source,
                destination=leg.destination,
                amount=leg.amount,
                currency=leg.source.currency,
                memo=memo[:300],
            )
            for index, leg in enumerate(legs)
        ]
    )


def _leg_balances_apply(deltas: dict, locked: dict, legs: list[Leg]) -> list[LedgerAccount]:
    """New balances on the locked accounts, and on the callers' copies of them (kept truthful)."""
    for pk, delta in deltas.items():
        if delta:
            locked[pk].balance += delta
            LedgerAccount.objects.filter(pk=pk).update(balance=locked[pk].balance)
    for leg in legs:
        leg.source.balance = locked[leg.source.pk].balance
        leg.destination.balance = locked[leg.destination.pk].balance
    return [locked[pk] for pk, delta in deltas.items() if delta]


def _lock_accounts(pks) -> dict:
    """Lock the accounts in primary-key order and return fresh copies of them."""
    rows = LedgerAccount.objects.select_for_update().filter(pk__in=sorted(pks)).order_by("pk")
    return {row.pk: row for row in rows}


def balance_from_transactions(account_pk: int) -> int:
    """What the ledger says an account holds, from its rows alone (for audits and tests)."""
    incoming = Transaction.objects.filter(destination_id=account_pk).aggregate(total=Sum("amount"))["total"] or 0
    outgoing = Transaction.objects.filter(source_id=account_pk).aggregate(total=Sum("amount"))["total"] or 0
    return incoming - outgoing


def accounts_lock(*accounts: LedgerAccount) -> dict:
    """Lock `accounts` (primary-key order) for the rest of the transaction and return fresh
    copies keyed by pk: read balances here when the amount to post depends on them."""
    if not connection.in_atomic_block:
        raise RuntimeError("accounts_lock must run inside transaction.atomic().")
    return _lock_accounts({account.pk for account in accounts})


# Batched posting (the monthly close and the payout run); imported last, it builds on the above.
from billing.ledger.batch import LockedAccount, Move, accounts_for_users, ledger_post_many  # noqa: E402

__all__ = [
    "InsufficientFunds",
    "Leg",
    "LockedAccount",
    "Move",
    "account",
    "accounts_for_users",
    "accounts_lock",
    "already_posted",
    "balance_from_transactions",
    "campaign_budget",
    "campaign_fee_held",
    "external",
    "ledger_post",
    "ledger_post_many",
    "on_balances_changed",
    "platform_revenue",
    "promoter_available",
    "promoter_direct",
    "promoter_pending",
    "stripe_fees",
]
