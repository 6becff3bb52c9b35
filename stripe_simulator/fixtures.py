"""Response skeletons from Stripe's official example objects.

`data/fixtures3.json` is Stripe's `openapi/fixtures3.json` (MIT, see
`data/SOURCE.md`). Every object the simulator returns starts as a deep copy of
the matching example so it has every field real responses have; the fields
the example fills with placeholder data are then reset to what a fresh object
has (`RESETS`), and the resource modules overwrite ids, amounts and statuses.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path

from .state import now

_PATH = Path(__file__).parent / "data" / "fixtures3.json"

_NULL_ADDRESS = {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None, "state": None}

# Placeholder values in the examples that a freshly created object would not have.
RESETS: dict[str, dict] = {
    "payment_intent": {
        "last_payment_error": None,
        "next_action": None,
        "canceled_at": None,
        "transfer_data": None,
        "processing": None,
        "shipping": None,
        "payment_method_configuration_details": None,
        "automatic_payment_methods": None,
        "managed_payments": None,
        "amount_details": {"tip": {}},
    },
    "setup_intent": {
        "last_setup_error": None,
        "next_action": None,
        "payment_method_configuration_details": None,
        "automatic_payment_methods": None,
    },
    "charge": {
        "transfer_data": None,
        "source": None,
        "shipping": None,
        "description": None,
        "outcome": {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "risk_score": 32,
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "receipt_url": None,
        "refunds": None,
    },
    "customer": {"discount": None, "shipping": None, "currency": None},
    "payment_method": {
        "metadata": {},
        "billing_details": {
            "address": dict(_NULL_ADDRESS),
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
    },
    "checkout.session": {
        "shipping_address_collection": None,
        "shipping_cost": None,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer_details": None,
        "payment_intent": None,
        "payment_method_configuration_details": None,
        "after_expiration": None,
        "invoice_creation": None,
        "adaptive_pricing": None,
        "collected_information": None,
        "currency_conversion": None,
        "managed_payments": None,
    },
    "transfer": {"destination_payment": None},
    "payout": {"trace_id": None},
    "event": {"data": {"object": {}}},
    "account": {"type": "express", "email": None},
}


@functools.lru_cache(maxsize=1)
def _examples() -> dict:
    with open(_PATH, encoding="utf-8") as fh:
        return json.load(fh)["resources"]


def build(kind: str, **fields) -> dict:
    """A new object of `kind`: the example, reset, then `fields` applied."""
    obj = copy.deepcopy(_examples()[kind])
    obj.update(copy.deepcopy(RESETS.get(kind, {})))
    if "created" in obj:
        obj["created"] = now()
    if "livemode" in obj:
        obj["livemode"] = False
    if "metadata" in obj and kind not in ("item",):
        obj["metadata"] = {}
    obj.update(fields)
    return obj
