"""Money out: Connect onboarding, immediate payments, the monthly close and the payout run.

Stripe in three steps everywhere (ARCHITECTURE.md): write the pending row and commit; call Stripe
outside any transaction with an idempotency key derived from the row; record the result in a
second short transaction. Lock order: payout record / transfer rows, then ledger accounts (inside
the posting), then wallets (the projection, inside the posting).

One module per concern; this package re-exports their public functions so callers
import `payouts.services` whatever module a function lives in.
"""

from payouts.services.base import (
    BATCH_SIZE,
    CloseReport,
    PayoutError,
    RunReport,
)
from payouts.services.close import (
    pending_release,
    period_close,
)
from payouts.services.connect import (
    connect_account_apply,
    connect_account_get_or_create,
    connect_account_refresh,
    connect_onboarding_link,
    transfers_waiting_send,
)
from payouts.services.deductions import (
    deduction_apply,
    deductions_apply,
)
from payouts.services.immediate import (
    IMMEDIATE_SENDS_MAX,
    campaign_transfer_group,
    transfer_resend_create,
    transfer_send,
    transfers_resend_reversed,
    transfers_retry_failed,
    work_payment_create,
)
from payouts.services.periods import (
    next_payout_at,
    parse_period,
    period_bounds,
    period_next,
    period_of,
    period_previous,
)
from payouts.services.reversals import (
    payout_failed,
    payout_paid,
    transfer_reversed,
)
from payouts.services.run import (
    payout_record_retry,
    payout_records_create,
    payout_records_send,
    payout_run,
    payout_run_send,
    payout_runs_abandoned,
)
from payouts.services.staff import (
    wallet_hold_set,
)
from payouts.services.summaries import (
    period_summaries_write,
)

__all__ = [
    "BATCH_SIZE",
    "IMMEDIATE_SENDS_MAX",
    "CloseReport",
    "PayoutError",
    "RunReport",
    "campaign_transfer_group",
    "connect_account_apply",
    "connect_account_get_or_create",
    "connect_account_refresh",
    "connect_onboarding_link",
    "deduction_apply",
    "deductions_apply",
    "next_payout_at",
    "parse_period",
    "payout_failed",
    "payout_paid",
    "payout_record_retry",
    "payout_records_create",
    "payout_records_send",
    "payout_run",
    "payout_run_send",
    "payout_runs_abandoned",
    "pending_release",
    "period_bounds",
    "period_close",
    "period_next",
    "period_of",
    "period_previous",
    "period_summaries_write",
    "transfer_resend_create",
    "transfer_reversed",
    "transfer_send",
    "transfers_resend_reversed",
    "transfers_retry_failed",
    "transfers_waiting_send",
    "wallet_hold_set",
    "work_payment_create",
]
