"""Audit checks: tracking's cached money figures agree with the ledger (run by `audit_ledger`)."""

from collections import defaultdict

from django.db.models import Q, Sum

from billing.audit import projection_check
from billing.models import AccountKind, Transaction
from tracking.models import SaleRecord, ViewAccrual, ViewStat

# billing.services.campaign_budget_spend posts the promoter leg under "spend:<our key>".
SPEND_PREFIX = "spend:"


def _promoter_postings(prefix: str) -> dict[int, int]:
    """Net cents moved to promoters under keys `spend:<prefix><pk>-...` (or `spend:<prefix><pk>`), by pk."""
    totals = defaultdict(int)
    rows = Transaction.objects.filter(
        Q(idempotency_key__startswith=f"{SPEND_PREFIX}{prefix}"),
        destination__kind=AccountKind.PROMOTER_PENDING,
    ).values_list("idempotency_key", "amount")
    for key, amount in rows.iterator(chunk_size=5000):
        pk = key[len(SPEND_PREFIX) + len(prefix) :].split("-", 1)[0]
        totals[int(pk)] += amount
    return totals


@projection_check
def view_accruals_match_ledger():
    """accrued_cents per participation == its view-accrual postings; accrued views never exceed
    the paid views counted in view_stats."""
    differences = []
    posted = _promoter_postings("view-accrual-")
    accruals = dict(ViewAccrual.objects.values_list("participation_id", "accrued_cents"))
    for pk in set(posted) | {pk for pk, cents in accruals.items() if cents}:
        if accruals.get(pk, 0) != posted.get(pk, 0):
            differences.append(
                f"participation {pk}: view accrual {accruals.get(pk, 0)} cents != ledger {posted.get(pk, 0)}"
            )
    paid = dict(ViewStat.objects.values_list("participation_id").annotate(total=Sum("paid_views")).order_by())
    for pk, views in ViewAccrual.objects.values_list("participation_id", "accrued_views"):
        if views > paid.get(pk, 0):
            differences.append(f"participation {pk}: accrued {views} views > {paid.get(pk, 0)} paid in view_stats")
    return differences


@projection_check
def sale_commissions_match_ledger():
    """A sale whose commission is in the ledger has exactly its commission posted; others none
    (a reversal, `sale-reversal-<pk>`, brings a refunded one back to zero)."""
    credited = _promoter_postings("sale-commission-")
    reversed_ = defaultdict(int)
    rows = Transaction.objects.filter(
        idempotency_key__contains="sale-reversal-", source__kind=AccountKind.PROMOTER_PENDING
    ).values_list("idempotency_key", "amount")
    for key, amount in rows:
        reversed_[int(key.rsplit("sale-reversal-", 1)[1].split("-", 1)[0])] += amount
    expected = dict(SaleRecord.objects.filter(commission_posted=True).values_list("pk", "commission_cents"))
    differences = []
    for pk in set(credited) | set(reversed_) | set(expected):
        net = credited.get(pk, 0) - reversed_.get(pk, 0)
        if net != expected.get(pk, 0):
            differences.append(f"sale {pk}: commission {expected.get(pk, 0)} cents != ledger {net}")
    return differences
