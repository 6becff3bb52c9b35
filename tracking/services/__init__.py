"""Tracking services: counting views, accruing their earnings, recording and paying sales.

Money goes through billing's services only: `campaign_budget_spend` for view earnings and
commissions, `campaign_budget_spend_reverse` for a refunded sale's commission (see `sale_refund`).
Lock order everywhere: campaign row, then the sale / accrual row, then the
ledger accounts (which `billing.ledger` locks in primary-key order).

One module per concern; this package re-exports their public functions so callers
import `tracking.services` whatever module a function lives in.
"""

from tracking.services.accrual import (
    participation_accrue,
    participation_paid_views,
    rate_limits_prune,
    view_earnings_cents,
    views_accrue,
)
from tracking.services.api_keys import (
    api_key_authenticate,
    api_key_create,
    api_key_revoke,
    api_key_touch,
)
from tracking.services.base import (
    BUDGET_USED_UP_REASON,
    COUPON_ALPHABET,
    COUPON_LENGTH,
    SaleConflict,
    SaleInvalid,
    SaleNotFound,
    TrackingError,
)
from tracking.services.counting import (
    view_batches_prune,
    view_track,
    view_track_after_response,
    views_flush,
)
from tracking.services.ending import (
    campaign_cap_reached,
    campaigns_complete_capped,
    campaigns_end_expired,
    views_accrue_hourly,
    views_settle_before_refund,
)
from tracking.services.links import (
    Link,
    coupon_ensure,
    link_lookup,
    referral_target,
)
from tracking.services.sale_review import (
    sale_refund,
    sale_reject,
    sale_verify,
    sales_auto_verify_due,
    sales_pay_awaiting,
    sales_pay_awaiting_after_top_up,
    sales_verify,
)
from tracking.services.sales import (
    ImportResult,
    commission_cents,
    sale_attribute,
    sale_move,
    sale_record,
    sales_import,
)

__all__ = [
    "BUDGET_USED_UP_REASON",
    "COUPON_ALPHABET",
    "COUPON_LENGTH",
    "ImportResult",
    "Link",
    "SaleConflict",
    "SaleInvalid",
    "SaleNotFound",
    "TrackingError",
    "api_key_authenticate",
    "api_key_create",
    "api_key_revoke",
    "api_key_touch",
    "campaign_cap_reached",
    "campaigns_complete_capped",
    "campaigns_end_expired",
    "commission_cents",
    "coupon_ensure",
    "link_lookup",
    "participation_accrue",
    "participation_paid_views",
    "rate_limits_prune",
    "referral_target",
    "sale_attribute",
    "sale_move",
    "sale_record",
    "sale_refund",
    "sale_reject",
    "sale_verify",
    "sales_auto_verify_due",
    "sales_import",
    "sales_pay_awaiting",
    "sales_pay_awaiting_after_top_up",
    "sales_verify",
    "view_batches_prune",
    "view_earnings_cents",
    "view_track",
    "view_track_after_response",
    "views_accrue",
    "views_accrue_hourly",
    "views_flush",
    "views_settle_before_refund",
]
