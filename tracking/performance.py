"""What tracking tells accounts about a promoter's track record: sales verified or rejected
(as each sale is decided) and the share of link requests counted as real views (each hour)."""

from django.db.models import Sum

from accounts.performance import performance_record, performance_views_set
from campaigns.models import PromoterCampaign
from tracking.models import SaleStatus, ViewStat

SALE_COUNTERS = {SaleStatus.VERIFIED: "sales_verified", SaleStatus.REJECTED: "sales_rejected"}


def sale_decided(*, sale, to_status: str) -> None:
    """Count a sale entering verified or rejected; other moves leave the record alone. A sale
    enters each of those once (the transitions map), so it is counted once."""
    counter = SALE_COUNTERS.get(to_status)
    if counter is None:
        return
    promoter_id = PromoterCampaign.objects.values_list("promoter_id", flat=True).get(pk=sale.participation_id)
    performance_record(user_ids=[promoter_id], **{counter: 1})


def promoters_views_refresh() -> int:
    """Push each promoter's totals from view_stats (requests, unique views) into accounts."""
    totals = (
        ViewStat.objects.values("participation__promoter_id")
        .annotate(requests=Sum("requests"), views=Sum("unique_views"))
        .order_by()
        .values_list("participation__promoter_id", "requests", "views")
    )
    return performance_views_set(totals=list(totals))
