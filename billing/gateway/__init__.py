"""The one package that talks to Stripe: nothing else imports `stripe`.

Everything returned is a plain frozen dataclass, never a Stripe object, and every Stripe error
becomes one of `core`'s exceptions with a message a person can act on. Calls that move money take
an `idempotency_key` derived from the local row they serve. Never call these inside
`transaction.atomic()` or while holding row locks. One module per concern; this package
re-exports the calls, so callers use `gateway.<call>` whatever module it lives in.
"""

from billing.gateway.connect import (
    Dispute,
    account_create_express,
    account_link_create,
    account_retrieve,
    dispute_retrieve,
    transfer_create,
    transfer_retrieve,
)
from billing.gateway.core import (
    PAYMENT_METHOD_TYPES,
    GatewayError,
    GatewayRateLimited,
    GatewayUnavailable,
    PaymentDeclined,
    PaymentRequiresAction,
    _client,
    client,
)
from billing.gateway.payments import (
    charge_retrieve,
    checkout_payment_session_create,
    checkout_session_expire,
    checkout_session_retrieve,
    checkout_setup_session_create,
    customer_create,
    payment_intent_create,
    payment_intent_retrieve,
    payment_method_detach,
    payment_method_retrieve,
    refund_create,
    refund_retrieve,
    setup_intent_retrieve,
)
from billing.gateway.results import (
    Card,
    Charge,
    CheckoutSession,
    ConnectAccount,
    Customer,
    PaymentIntent,
    Refund,
    SetupIntent,
    Transfer,
)
from billing.gateway.webhooks import (
    EVENT_ID_MAX_LENGTH,
    WebhookEndpoint,
    WebhookPayloadInvalid,
    WebhookSignatureError,
    construct_webhook_event,
    webhook_endpoint_create,
    webhook_endpoint_update,
    webhook_endpoints_list,
)

__all__ = [
    "EVENT_ID_MAX_LENGTH",
    "PAYMENT_METHOD_TYPES",
    "Card",
    "Charge",
    "CheckoutSession",
    "ConnectAccount",
    "Customer",
    "Dispute",
    "GatewayError",
    "GatewayRateLimited",
    "GatewayUnavailable",
    "PaymentDeclined",
    "PaymentIntent",
    "PaymentRequiresAction",
    "Refund",
    "SetupIntent",
    "Transfer",
    "WebhookEndpoint",
    "WebhookPayloadInvalid",
    "WebhookSignatureError",
    "_client",
    "account_create_express",
    "account_link_create",
    "account_retrieve",
    "charge_retrieve",
    "checkout_payment_session_create",
    "checkout_session_expire",
    "checkout_session_retrieve",
    "checkout_setup_session_create",
    "client",
    "construct_webhook_event",
    "customer_create",
    "dispute_retrieve",
    "payment_intent_create",
    "payment_intent_retrieve",
    "payment_method_detach",
    "payment_method_retrieve",
    "refund_create",
    "refund_retrieve",
    "setup_intent_retrieve",
    "transfer_create",
    "transfer_retrieve",
    "webhook_endpoint_create",
    "webhook_endpoint_update",
    "webhook_endpoints_list",
]
