"""Audit checks: wallets and `users.wallet_balance` agree with the promoter ledger accounts."""

from collections import defaultdict

from accounts.models import User
from billing.audit import projection_check
from billing.models import PROMOTER_KINDS, LedgerAccount
from payouts.models import Wallet
from payouts.projections import WALLET_FIELD


def _ledger_figures():
    figures = defaultdict(lambda: dict.fromkeys(WALLET_FIELD.values(), 0))
    rows = LedgerAccount.objects.filter(kind__in=PROMOTER_KINDS).values_list("user_id", "kind", "currency", "balance")
    currencies = dict(Wallet.objects.values_list("user_id", "currency"))
    for user_id, kind, currency, balance in rows.iterator(chunk_size=5000):
        if currency == currencies.get(user_id, currency):
            figures[user_id][WALLET_FIELD[kind]] += balance
    return figures


@projection_check
def wallets_match_ledger():
    figures = _ledger_figures()
    differences = []
    seen = set()
    for wallet in Wallet.objects.values("user_id", *WALLET_FIELD.values()).iterator(chunk_size=5000):
        seen.add(wallet["user_id"])
        expected = figures.get(wallet["user_id"], dict.fromkeys(WALLET_FIELD.values(), 0))
        for field, value in expected.items():
            if wallet[field] != value:
                differences.append(f"wallet of user {wallet['user_id']}: {field} {wallet[field]} != ledger {value}")
    for user_id, expected in figures.items():
        if user_id not in seen and any(expected.values()):
            differences.append(f"user {user_id} holds {expected} in the ledger but has no wallet")
    return differences


@projection_check
def users_wallet_balance_matches_ledger():
    figures = _ledger_figures()
    differences = []
    for user_id, cached in User.objects.values_list("pk", "wallet_balance").iterator(chunk_size=5000):
        expected = sum(figures.get(user_id, {}).values())
        if cached != expected:
            differences.append(f"user {user_id}: wallet_balance {cached} != ledger {expected}")
    return differences
