"""Money in, and the ledger every movement of money goes through.

Amounts are integer cents (`BigIntegerField`) with a currency code.

One module per concern; this package re-exports their public functions so callers
import `billing.models` whatever module a function lives in.
"""

from billing.models.charges import (
    AdvertiserCharge,
    AdvertiserSpend,
    ChargeKind,
    ChargeStatus,
    PlatformFee,
    PlatformFeeKind,
    RefundFailure,
    StripeWebhookEvent,
    WebhookStatus,
    refund_failure_code,
)
from billing.models.disputes import (
    Dispute,
    DisputeHold,
    DisputeStatus,
)
from billing.models.fees import (
    CampaignFeeTerms,
    FeePlan,
)
from billing.models.ledger import (
    CAMPAIGN_KINDS,
    MAY_GO_NEGATIVE,
    PROMOTER_KINDS,
    AccountKind,
    ImmutableLedgerError,
    ImmutableQuerySet,
    LedgerAccount,
    Transaction,
    TransactionKind,
)
from billing.models.payments import (
    INTENT_TRANSITIONS,
    BillingCustomer,
    CampaignBudgetAllocation,
    IntentMethod,
    IntentPurpose,
    IntentStatus,
    PaymentFailure,
    PaymentMethod,
    PaymentMethodKind,
    StripePaymentIntent,
    payment_failure_code,
)
from billing.models.ratelimit import (
    RateBucket,
)

__all__ = [
    "CAMPAIGN_KINDS",
    "INTENT_TRANSITIONS",
    "MAY_GO_NEGATIVE",
    "PROMOTER_KINDS",
    "AccountKind",
    "AdvertiserCharge",
    "AdvertiserSpend",
    "BillingCustomer",
    "CampaignBudgetAllocation",
    "CampaignFeeTerms",
    "ChargeKind",
    "ChargeStatus",
    "Dispute",
    "DisputeHold",
    "DisputeStatus",
    "FeePlan",
    "ImmutableLedgerError",
    "ImmutableQuerySet",
    "IntentMethod",
    "IntentPurpose",
    "IntentStatus",
    "LedgerAccount",
    "PaymentFailure",
    "PaymentMethod",
    "PaymentMethodKind",
    "PlatformFee",
    "PlatformFeeKind",
    "RateBucket",
    "RefundFailure",
    "StripePaymentIntent",
    "StripeWebhookEvent",
    "Transaction",
    "TransactionKind",
    "WebhookStatus",
    "payment_failure_code",
    "refund_failure_code",
]
