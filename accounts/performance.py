"""Promoters' track record (the seed's "campaign completion statistics and performance metrics").

The figures live on `users` and only this module writes them. The services that end campaigns,
review work, verify sales and count views call it in their own transaction, so the figures are
current when a page reads them and no page recomputes them. Increments are `F()` updates: two
services counting for one promoter at once never lose a count.
"""

from collections.abc import Iterable

from django.db.models import F

from accounts.models import User

COUNTERS = (
    "campaigns_completed",
    "campaigns_cancelled",
    "works_approved",
    "works_approved_on_time",
    "works_rejected",
    "sales_verified",
    "sales_rejected",
)
# Set from tracking's totals rather than counted up (`performance_views_set`).
LINK_FIGURES = ("link_requests", "link_real_views")


def performance_record(*, user_ids: Iterable[int], **increments: int) -> int:
    """Add `increments` (counter name -> amount) to each user's figures. Returns rows updated."""
    unknown = set(increments) - set(COUNTERS)
    if unknown:
        raise ValueError(f"Unknown performance counters: {sorted(unknown)}")
    changes = {name: F(name) + amount for name, amount in increments.items() if amount}
    ids = list(user_ids)
    if not changes or not ids:
        return 0
    return User.objects.filter(pk__in=ids).update(**changes)


def performance_views_set(*, totals: Iterable[tuple[int, int, int]]) -> int:
    """Set each promoter's link figures to the totals tracking counted: (user id, requests,
    real views). Totals, not increments: tracking sums its own per-day rows, so a rerun after a
    crash writes the same numbers again."""
    rows = [User(pk=user_id, link_requests=requests, link_real_views=views) for user_id, requests, views in totals]
    User.objects.bulk_update(rows, LINK_FIGURES, batch_size=1000)
    return len(rows)
