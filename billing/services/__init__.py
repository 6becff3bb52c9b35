"""Money in: Stripe customers and cards, campaign funding, budget spending, fees and refunds.

Lock order, everywhere (same as campaigns.services): campaign row, then the campaign's budget
allocations (pk order), then ledger accounts (pk order, inside `ledger`). No Stripe call is made
inside a transaction: write a pending row and commit, call Stripe with a key derived from that
row, record the answer in a second short transaction.

One module per concern; this package re-exports their public functions so callers
import `billing.services` whatever module a function lives in.
"""

from billing.services.base import (
    ENDED,
    SALESMAN_MIN_BUDGET_CENTS,
    SELF_PAUSING_TYPES,
    STRIPE_MINIMUM_CENTS,
    BillingError,
    BudgetExhausted,
    FundingNotAllowed,
    platform_fee_cents,
)
from billing.services.budget import (
    SpendResult,
    bank_payment_processing,
    campaign_budget_remaining,
    campaign_budget_returned,
    campaign_budget_spend,
    campaign_budget_spend_reverse,
    paused_for,
)
from billing.services.cards import (
    billing_customer_ensure,
    default_payment_method,
    payment_method_remove,
    payment_method_set_default,
    payment_method_setup_complete,
    payment_method_setup_start,
    payment_method_store,
)
from billing.services.funding import (
    funding_apply,
    funding_card_send,
    funding_checkout_start,
    funding_for_return,
    funding_pay_with_card,
    funding_record_success,
    funding_sync,
)
from billing.services.quotes import FundingQuote, campaign_fee_terms_fix, funding_purpose, funding_quote
from billing.services.reconcile import payment_intents_reconcile
from billing.services.refunds import (
    campaign_closed_refund,
    campaign_refund_unused,
    ended_campaign_work_reviewed_refund,
    ended_campaigns_refund_leftovers,
    refund_record,
    refund_send,
    refund_sync,
    refund_unused_safely,
    refunds_retry_pending,
)
from billing.services.reserve import milestone_fee_reserve_cents, milestone_planning_check

__all__ = [
    "ENDED",
    "SALESMAN_MIN_BUDGET_CENTS",
    "SELF_PAUSING_TYPES",
    "STRIPE_MINIMUM_CENTS",
    "BillingError",
    "BudgetExhausted",
    "FundingNotAllowed",
    "FundingQuote",
    "SpendResult",
    "bank_payment_processing",
    "billing_customer_ensure",
    "campaign_budget_remaining",
    "campaign_budget_returned",
    "campaign_budget_spend",
    "campaign_budget_spend_reverse",
    "campaign_closed_refund",
    "campaign_fee_terms_fix",
    "campaign_refund_unused",
    "default_payment_method",
    "ended_campaign_work_reviewed_refund",
    "ended_campaigns_refund_leftovers",
    "funding_apply",
    "funding_card_send",
    "funding_checkout_start",
    "funding_for_return",
    "funding_pay_with_card",
    "funding_purpose",
    "funding_quote",
    "funding_record_success",
    "funding_sync",
    "milestone_fee_reserve_cents",
    "milestone_planning_check",
    "paused_for",
    "payment_intents_reconcile",
    "payment_method_remove",
    "payment_method_set_default",
    "payment_method_setup_complete",
    "payment_method_setup_start",
    "payment_method_store",
    "platform_fee_cents",
    "refund_record",
    "refund_send",
    "refund_sync",
    "refund_unused_safely",
    "refunds_retry_pending",
]
