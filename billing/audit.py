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


def _net_by_campaign(out_of_campaign, back_into_campaign) -> dict:
    """{campaign_id: amount moved out of its accounts less amount moved back}."""
    net = dict(out_of_campaign.values_list("source__campaign_id").annotate(total=Sum("amount")).order_by())
    for campaign_id, total in (
        back_into_campaign.values_list("destination__campaign_id").annotate(total=Sum("amount")).order_by()
    ):
        net[campaign_id] = net.get(campaign_id, 0) - total
    return net


def _load_app_checks():
    """Import each app's `audit` module once so its checks register themselves."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    for app in apps.get_app_configs():
        module = f"{app.name}.audit"
        if app.name != "billing" and find_spec(module) is not None:
            import_module(module)


# --- Billing's own cached figures ---------------------------------------------------------------


@projection_check
def allocations_match_campaign_budgets():
    """Per funded campaign (one with allocations): sum(allocated - spent - fee taken - refunded)
    over its allocations == its campaign_budget balance, sum(spent) == the SPEND postings out of
    that account, and sum(fee taken) == the fixed fees it paid to revenue. (Campaigns without
    allocations are skipped: ledger-level tests post to them directly.)"""
    from billing.models import PROMOTER_KINDS, AccountKind, CampaignBudgetAllocation, TransactionKind
    from billing.selectors import allocation_sums_by_campaign

    differences = []
    allocations = allocation_sums_by_campaign(CampaignBudgetAllocation.objects.all())
    budgets = dict(LedgerAccount.objects.filter(kind=AccountKind.CAMPAIGN_BUDGET).values_list("campaign_id", "balance"))
    into_budget = Transaction.objects.filter(
        kind=TransactionKind.SPEND_REVERSAL, destination__kind=AccountKind.CAMPAIGN_BUDGET
    )
    spends = _net_by_campaign(
        Transaction.objects.filter(kind=TransactionKind.SPEND, source__kind=AccountKind.CAMPAIGN_BUDGET),
        into_budget.filter(source__kind__in=PROMOTER_KINDS),
    )
    fixed_fees = _net_by_campaign(
        Transaction.objects.filter(
            kind=TransactionKind.FEE_RECOGNISED,
            source__kind=AccountKind.CAMPAIGN_BUDGET,
            destination__kind=AccountKind.PLATFORM_REVENUE,
        ),
        into_budget.filter(source__kind=AccountKind.PLATFORM_REVENUE),
    )
    for campaign_id, row in allocations.items():
        remaining = row["allocated"] - row["spent"] - row["fixed_fees_taken"] - row["refunded"]
        if remaining != budgets.get(campaign_id, 0):
            differences.append(
                f"campaign {campaign_id}: allocations leave {remaining}, budget account holds "
                f"{budgets.get(campaign_id, 0)}"
            )
        if row["spent"] != spends.get(campaign_id, 0):
            differences.append(
                f"campaign {campaign_id}: allocations spent {row['spent']}, ledger spends {spends.get(campaign_id, 0)}"
            )
        if row["fixed_fees_taken"] != fixed_fees.get(campaign_id, 0):
            differences.append(
                f"campaign {campaign_id}: allocations took {row['fixed_fees_taken']} of fixed fees, ledger "
                f"{fixed_fees.get(campaign_id, 0)}"
            )
    return differences


@projection_check
def fees_match_ledger():
    """Recognised platform_fees rows == fee_held or budget (a fixed fee per sale or milestone)
    -> platform_revenue postings, per campaign; the Stripe fee on each charge row == its
    stripe_fees posting."""
    from billing.models import AccountKind, AdvertiserCharge, PlatformFee, PlatformFeeKind, TransactionKind

    differences = []

    def fees(kind):
        return dict(
            PlatformFee.objects.filter(kind=kind).values_list("campaign_id").annotate(total=Sum("amount")).order_by()
        )

    returned = fees(PlatformFeeKind.REVERSED)
    recognised = {
        campaign_id: total - returned.get(campaign_id, 0)
        for campaign_id, total in fees(PlatformFeeKind.RECOGNISED).items()
    }
    # The fee held, and the budget's fixed fees per sale or milestone, to revenue; and back.
    from_budget = Q(source__kind=AccountKind.CAMPAIGN_BUDGET, kind=TransactionKind.FEE_RECOGNISED)
    to_budget = Q(destination__kind=AccountKind.CAMPAIGN_BUDGET, kind=TransactionKind.SPEND_REVERSAL)
    posted = _net_by_campaign(
        Transaction.objects.filter(Q(source__kind=AccountKind.CAMPAIGN_FEE_HELD) | from_budget).filter(
            destination__kind=AccountKind.PLATFORM_REVENUE
        ),
        Transaction.objects.filter(Q(destination__kind=AccountKind.CAMPAIGN_FEE_HELD) | to_budget).filter(
            source__kind=AccountKind.PLATFORM_REVENUE
        ),
    )
    for campaign_id in set(recognised) | set(posted):
        if recognised.get(campaign_id, 0) != posted.get(campaign_id, 0):
            differences.append(
                f"campaign {campaign_id}: platform_fees {recognised.get(campaign_id, 0)} != ledger "
                f"{posted.get(campaign_id, 0)}"
            )
    stripe_fee_rows = PlatformFee.objects.filter(kind=PlatformFeeKind.STRIPE_PROCESSING).select_related("transaction")
    for fee in stripe_fee_rows:
        if fee.amount != fee.transaction.amount:
            differences.append(f"platform fee {fee.pk}: {fee.amount} != ledger {fee.transaction.amount}")
    charged = AdvertiserCharge.objects.filter(kind="charge", status="succeeded").aggregate(
        total=Sum("stripe_fee_amount")
    )
    recorded = stripe_fee_rows.aggregate(total=Sum("amount"))
    if (charged["total"] or 0) != (recorded["total"] or 0):
        differences.append(f"Stripe fees on charges {charged['total']} != platform_fees rows {recorded['total']}")
    return differences


@projection_check
def advertiser_spends_match_allocations():
    """Daily advertiser_spends, summed per campaign, == the campaign's spent budget."""
    from billing.models import AdvertiserSpend, CampaignBudgetAllocation

    spends = dict(AdvertiserSpend.objects.values_list("campaign_id").annotate(total=Sum("amount_spent")).order_by())
    spent = dict(
        CampaignBudgetAllocation.objects.values_list("campaign_id").annotate(total=Sum("spent_amount")).order_by()
    )
    return [
        f"campaign {campaign_id}: advertiser_spends {spends.get(campaign_id, 0)} != spent {spent.get(campaign_id, 0)}"
        for campaign_id in set(spends) | set(spent)
        if spends.get(campaign_id, 0) != spent.get(campaign_id, 0)
    ]


@projection_check
def participations_match_spends():
    """PromoterCampaign.spent_budget (filled by campaign_budget_spend) == the SPEND postings from
    the campaign's budget to that promoter, for funded campaigns."""
    from billing.models import PROMOTER_KINDS, AccountKind, CampaignBudgetAllocation, TransactionKind
    from campaigns.models import PromoterCampaign

    funded = CampaignBudgetAllocation.objects.values("campaign_id")
    posted = {
        (campaign_id, user_id): total
        for campaign_id, user_id, total in Transaction.objects.filter(
            kind=TransactionKind.SPEND, source__kind=AccountKind.CAMPAIGN_BUDGET, source__campaign_id__in=funded
        )
        .values_list("source__campaign_id", "destination__user_id")
        .annotate(total=Sum("amount"))
        .order_by()
    }
    for campaign_id, user_id, total in (
        Transaction.objects.filter(
            kind=TransactionKind.SPEND_REVERSAL,
            destination__kind=AccountKind.CAMPAIGN_BUDGET,
            destination__campaign_id__in=funded,
            source__kind__in=PROMOTER_KINDS,
        )
        .values_list("destination__campaign_id", "source__user_id")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        posted[(campaign_id, user_id)] = posted.get((campaign_id, user_id), 0) - total
    differences = []
    for participation in PromoterCampaign.objects.filter(campaign_id__in=funded).only(
        "campaign_id", "promoter_id", "spent_budget"
    ):
        expected = posted.get((participation.campaign_id, participation.promoter_id), 0)
        if participation.spent_budget != expected:
            differences.append(
                f"participation {participation.pk}: spent_budget {participation.spent_budget} != ledger {expected}"
            )
    return differences
