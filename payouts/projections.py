"""The wallets projection: wallet figures and `users.wallet_balance` follow the ledger.

`wallets_sync` is registered with `billing.ledger.on_balances_changed` (payouts/apps.py), so it
runs inside every posting's transaction, while the posting holds the locks of the accounts it
changed. It writes only the figure of each changed account, so two postings that change different
accounts of one promoter never overwrite each other's figure.
"""

from collections import defaultdict

from django.conf import settings
from django.utils import timezone

from accounts.services import wallet_balances_set
from billing.models import AccountKind
from campaignplatform.bulk import array_cursor, bulk_insert
from payouts.models import Wallet

WALLET_FIELD = {
    AccountKind.PROMOTER_PENDING: "pending_balance",
    AccountKind.PROMOTER_AVAILABLE: "current_balance",
    AccountKind.PROMOTER_DIRECT: "direct_balance",
}
# Running totals a posting may add to in the same write (billing.ledger's LockedAccount.extra).
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
    totals = _wallets_set(figures, currency_of, added)
    missing = {user_id: figures[user_id] for user_id in figures.keys() - totals.keys()}
    if missing:
        # First posting to these promoters: insert their wallets with the figures. A wallet
        # another posting created meanwhile (the insert skips it) is set like the others; one in
        # another currency is left alone (one wallet currency per promoter).
        totals.update(_wallets_create(missing, currency_of, added))
        raced = {user_id: figures[user_id] for user_id in missing.keys() - totals.keys()}
        totals.update(_wallets_set(raced, currency_of, added))
    # A user whose total did not move (a release: pending down, current up by as much) keeps their
    # `wallet_balance`, which is already right.
    wallet_balances_set({user_id: total for user_id, total in totals.items() if moved[user_id]})


def _wallets_create(figures: dict, currency_of: dict, added: dict) -> dict:
    """Insert the wallets of `figures`' promoters, each with its figures (one write, not an
    insert and an update); {user_id: wallet total} of those inserted."""
    rows = [
        {
            "user_id": user_id,
            "currency": currency_of[user_id],
            "minimum_threshold": settings.PAYOUT_THRESHOLD_CENTS,
            **dict.fromkeys(WALLET_FIELD.values(), 0),
            **changes,
            **{field: added.get(user_id, {}).get(field, 0) for field in ADDABLE},
        }
        for user_id, changes in figures.items()
    ]
    inserted = {user_id for (user_id,) in bulk_insert(Wallet, rows, ignore_conflicts=True, returning=["user_id"])}
    return {user_id: sum(figures[user_id].values()) for user_id in inserted}


def _wallets_set(figures: dict, currency_of: dict, added: dict) -> dict:
    """Write every changed figure of every wallet in one statement; return {user_id: wallet
    total} of the wallets written (those without one, or in another currency, are left out).

    A figure this posting did not change is passed as NULL and kept (COALESCE reads the row as
    it stands under its lock), so a concurrent posting's figure is never overwritten. The totals
    come from the updated rows, which stay locked until commit: no other posting can change them
    before the owners' `wallet_balance` is written from them."""
    fields = list(WALLET_FIELD.values())
    rows = {
        user_id: (
            *(changes.get(field) for field in fields),
            *(added.get(user_id, {}).get(field, 0) for field in ADDABLE),
            currency_of[user_id],
        )
        for user_id, changes in figures.items()
    }
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
            UPDATE wallets AS w SET {sets}, updated_at = %s
            FROM unnest({values}) AS v({names})
            WHERE w.user_id = v.user_id AND w.currency = v.currency
            RETURNING w.user_id, w.pending_balance + w.current_balance + w.direct_balance
            """,  # noqa: S608 - names from WALLET_FIELD
            [
                timezone.now(),
                list(rows),
                *([row[i] for row in rows.values()] for i in range(len(fields) + len(ADDABLE) + 1)),
            ],
        )
        return dict(cursor.fetchall())
