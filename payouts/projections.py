"""The wallets projection: wallet figures and `users.wallet_balance` follow the ledger.

`wallets_sync` is registered with `billing.ledger.on_balances_changed` (payouts/apps.py), so it
runs inside every posting's transaction, while the posting holds the locks of the accounts it
changed. It writes only the figure of each changed account, so two postings that change different
accounts of one promoter never overwrite each other's figure.
"""

from collections import defaultdict

from django.conf import settings
from django.db import connection
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from accounts.models import User
from billing.models import AccountKind
from payouts.ledger_batch import array_cursor, bulk_insert, bulk_set
from payouts.models import Wallet

WALLET_FIELD = {
    AccountKind.PROMOTER_PENDING: "pending_balance",
    AccountKind.PROMOTER_AVAILABLE: "current_balance",
    AccountKind.PROMOTER_DIRECT: "direct_balance",
}
# Running totals a posting may add to in the same write (ledger_batch's LockedAccount.extra).
ADDABLE = ("paid_out_total",)


def wallets_sync(accounts) -> None:
    """Set each promoter account's wallet figure from its balance (a bounded number of queries)."""
    figures = defaultdict(dict)  # user_id -> {field: balance}
    currency_of = {}
    moved = defaultdict(int)  # user_id -> what the posting changed their wallet's total by
    added = defaultdict(dict)  # user_id -> {running total field: cents to add} (LockedAccount.extra)
    for account in accounts:
        field = WALLET_FIELD.get(account.kind)
        if field is None or account.user_id is None:
            continue
        for total_field, cents in (getattr(account, "extra", None) or {}).items():
            if total_field not in ADDABLE:
                raise ValueError(f"{total_field} is not a wallet total the ledger may add to.")
            added[account.user_id][total_field] = added[account.user_id].get(total_field, 0) + cents
        figures[account.user_id][field] = account.balance
        currency_of[account.user_id] = account.currency
        # Accounts from billing.ledger carry no delta: their owner's total is always rewritten.
        delta = getattr(account, "delta", None)
        moved[account.user_id] += 1 if delta is None else delta
    if not figures:
        return
    if connection.vendor == "postgresql":
        synced = _wallets_set(figures, currency_of, moved, added)
        missing = figures.keys() - synced
        if not missing:
            return
        # First posting to this promoter (or a wallet in another currency, which is skipped).
        figures = {user_id: figures[user_id] for user_id in missing}
    current = dict(Wallet.objects.filter(user_id__any=figures.keys()).values_list("user_id", "currency"))
    missing = figures.keys() - current.keys()
    if missing:
        bulk_insert(
            Wallet,
            [
                {
                    "user_id": user_id,
                    "currency": currency_of[user_id],
                    "minimum_threshold": settings.PAYOUT_THRESHOLD_CENTS,
                    **dict.fromkeys(WALLET_FIELD.values(), 0),
                    **figures[user_id],
                }
                for user_id in missing
            ],
            ignore_conflicts=True,  # created meanwhile by a posting to another of their accounts
        )
        current.update(Wallet.objects.filter(user_id__any=missing).values_list("user_id", "currency"))
    now = timezone.now()
    by_field = defaultdict(dict)
    synced = set()
    for user_id, changes in figures.items():
        if current[user_id] != currency_of[user_id]:
            continue  # one wallet currency per promoter; other currencies are not projected
        for field, balance in changes.items():
            by_field[field][user_id] = balance
        synced.add(user_id)
    for field, balances in by_field.items():
        # One figure per statement: the wallets' other figures may be moving in other postings.
        bulk_set(Wallet, field, balances, key="user", also={"updated_at": now})
    for field in ADDABLE:
        increments = {user_id: extra[field] for user_id, extra in added.items() if field in extra and user_id in synced}
        bulk_set(Wallet, field, increments, key="user", add=True)
    # A concurrent posting to another of the promoter's accounts may have changed another figure
    # since any read of ours, so the total is computed in the database from the wallet row as it
    # stands after our update (which holds its row lock until we commit).
    total = Wallet.objects.filter(user_id=OuterRef("pk")).values(
        total=F("pending_balance") + F("current_balance") + F("direct_balance")
    )
    User.objects.filter(pk__any=synced).update(wallet_balance=Subquery(total[:1]))


def _wallets_set(figures: dict, currency_of: dict, moved: dict, added: dict) -> set:
    """PostgreSQL: write every changed figure of every wallet in one statement, and the owners'
    `wallet_balance` from the updated rows in the same statement. Returns the users whose wallet
    was written (those without one, or with another currency, are left to the caller).

    A figure this posting did not change is passed as NULL and kept (COALESCE reads the row as
    it stands under its lock), so a concurrent posting's figure is never overwritten. A user
    whose total did not move (a release: pending down, current up by as much) keeps their
    `wallet_balance`, which is already right."""
    fields = list(WALLET_FIELD.values())
    rows = {
        user_id: (
            *(changes.get(field) for field in fields),
            *(added.get(user_id, {}).get(field, 0) for field in ADDABLE),
            currency_of[user_id],
        )
        for user_id, changes in figures.items()
    }
    total_moved = [user_id for user_id, delta in moved.items() if delta]
    types = ["bigint"] * (1 + len(fields) + len(ADDABLE)) + ["varchar(3)"]
    values = ", ".join(f"%b::{db_type}[]" for db_type in types)
    names = ", ".join(["user_id", *fields, *(f"add_{field}" for field in ADDABLE), "currency"])
    sets = ", ".join(
        [f"{field} = COALESCE(v.{field}, w.{field})" for field in fields]
        + [f"{field} = w.{field} + v.add_{field}" for field in ADDABLE]
    )
    with array_cursor() as cursor:
        cursor.execute(
            f"""
            WITH v AS (SELECT * FROM unnest({values}) AS v({names})),
            w AS (
                UPDATE wallets AS w SET {sets}, updated_at = %s
                FROM v WHERE w.user_id = v.user_id AND w.currency = v.currency
                RETURNING w.user_id, w.pending_balance + w.current_balance + w.direct_balance AS total
            ),
            u AS (
                UPDATE users SET wallet_balance = w.total FROM w
                WHERE users.id = w.user_id AND w.user_id = ANY(%b::bigint[])
            )
            SELECT user_id FROM w
            """,  # noqa: S608 - names from WALLET_FIELD
            [
                list(rows),
                *([row[i] for row in rows.values()] for i in range(len(fields) + len(ADDABLE) + 1)),
                timezone.now(),
                total_moved,
            ],
        )
        return {user_id for (user_id,) in cursor.fetchall()}
