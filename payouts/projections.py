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
from payouts.ledger_batch import bulk_set
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
    wallets = {wallet.user_id: wallet for wallet in Wallet.objects.filter(user_id__in=figures.keys())}
    missing = figures.keys() - wallets.keys()
    if missing:
        Wallet.objects.bulk_create(
            [
                Wallet(
                    user_id=user_id,
                    currency=currency_of[user_id],
                    minimum_threshold=settings.PAYOUT_THRESHOLD_CENTS,
                    **figures[user_id],
                )
                for user_id in missing
            ],
            ignore_conflicts=True,  # created meanwhile by a posting to another of their accounts
        )
        wallets.update({wallet.user_id: wallet for wallet in Wallet.objects.filter(user_id__in=missing)})
    by_field = defaultdict(dict)
    for user_id, changes in figures.items():
        if wallets[user_id].currency != currency_of[user_id]:
            continue  # one wallet currency per promoter; other currencies are not projected
        for field, balance in changes.items():
            by_field[field][user_id] = balance
    for field, balances in by_field.items():
        # One figure per statement: the wallets' other figures may be moving in other postings.
        bulk_set(Wallet, field, balances, key="user")
    Wallet.objects.filter(user_id__in=figures.keys()).update(updated_at=timezone.now())
    total = Wallet.objects.filter(user_id=OuterRef("pk")).values(
        total=F("pending_balance") + F("current_balance") + F("direct_balance")
    )
    User.objects.filter(pk__in=figures.keys()).update(wallet_balance=Subquery(total[:1]))
