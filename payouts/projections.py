"""The wallets projection: wallet figures and `users.wallet_balance` follow the ledger.

`wallets_sync` is registered with `billing.ledger.on_balances_changed` (payouts/apps.py), so it
runs inside every posting's transaction, while the posting holds the locks of the accounts it
changed. It writes only the figure of each changed account, so two postings that change different
accounts of one promoter never overwrite each other's figure.
"""

from collections import defaultdict

from django.conf import settings
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from accounts.models import User
from billing.models import AccountKind
from payouts.ledger_batch import bulk_insert, bulk_set
from payouts.models import Wallet

WALLET_FIELD = {
    AccountKind.PROMOTER_PENDING: "pending_balance",
    AccountKind.PROMOTER_AVAILABLE: "current_balance",
    AccountKind.PROMOTER_DIRECT: "direct_balance",
}


def wallets_sync(accounts) -> None:
    """Set each promoter account's wallet figure from its balance (a bounded number of queries)."""
    figures = defaultdict(dict)  # user_id -> {field: balance}
    currency_of = {}
    for account in accounts:
        field = WALLET_FIELD.get(account.kind)
        if field is None or account.user_id is None:
            continue
        figures[account.user_id][field] = account.balance
        currency_of[account.user_id] = account.currency
    if not figures:
        return
    current = dict(Wallet.objects.filter(user_id__in=figures.keys()).values_list("user_id", "currency"))
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
        current.update(Wallet.objects.filter(user_id__in=missing).values_list("user_id", "currency"))
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
    # A concurrent posting to another of the promoter's accounts may have changed another figure
    # since any read of ours, so the total is computed in the database from the wallet row as it
    # stands after our update (which holds its row lock until we commit).
    total = Wallet.objects.filter(user_id=OuterRef("pk")).values(
        total=F("pending_balance") + F("current_balance") + F("direct_balance")
    )
    User.objects.filter(pk__in=synced).update(wallet_balance=Subquery(total[:1]))
