"""Proof that the ledger is sound and that every cached money figure agrees with it.

Each app that keeps a cached money figure (allocation spent amounts, wallets, the user's
`wallet_balance`) adds a check to PROJECTION_CHECKS: a function returning a list of
human-readable differences (empty when all agree).
"""

from dataclasses import dataclass, field

from django.db.models import Q, Sum

from billing.models import MAY_GO_NEGATIVE, LedgerAccount, Transaction

PROJECTION_CHECKS = []


def projection_check(function):
    """Register a cached-figure check to run in every audit."""
    PROJECTION_CHECKS.append(function)
    return function


@dataclass
class AuditReport:
    transactions: int = 0
    accounts: int = 0
    differences: list = field(default_factory=list)

    @property
    def clean(self):
        return not self.differences


def ledger_audit() -> AuditReport:
    report = AuditReport(transactions=Transaction.objects.count(), accounts=LedgerAccount.objects.count())
    report.differences += _accounts_match_transactions()
    report.differences += _books_balance()
    report.differences += _no_overdrawn_accounts()
    _load_app_checks()
    for check in PROJECTION_CHECKS:
        report.differences += check()
    return report


def _accounts_match_transactions():
    incoming = dict(Transaction.objects.values_list("destination").annotate(total=Sum("amount")).order_by())
    outgoing = dict(Transaction.objects.values_list("source").annotate(total=Sum("amount")).order_by())
    differences = []
    for account in LedgerAccount.objects.all().iterator():
        expected = incoming.get(account.pk, 0) - outgoing.get(account.pk, 0)
        if account.balance != expected:
            differences.append(f"{account}: cached balance {account.balance} != ledger {expected}")
    return differences


def _books_balance():
    """Money is only ever moved, never made: all balances of a currency sum to zero."""
    differences = []
    totals = LedgerAccount.objects.values("currency").annotate(total=Sum("balance")).order_by()
    for row in totals:
        if row["total"] != 0:
            differences.append(f"{row['currency']} accounts sum to {row['total']}, not 0")
    return differences


def _no_overdrawn_accounts():
    overdrawn = LedgerAccount.objects.filter(Q(balance__lt=0) & ~Q(kind__in=MAY_GO_NEGATIVE))
    return [f"{account}: overdrawn at {account.balance}" for account in overdrawn]


def _load_app_checks():
    """Import each app's `audit` module once so its checks register themselves."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    for app in apps.get_app_configs():
        module = f"{app.name}.audit"
        if app.name != "billing" and find_spec(module) is not None:
            import_module(module)
