"""Stripe's test cards and what each one does.

Behaviours:
  succeed            - charges succeed
  decline            - declined at attach/setup and at charge (`decline_code` below)
  decline_on_charge  - 4000000000000341: attaches fine, declines on charge
  auth_always        - 4000002760003184: every payment needs 3DS; off-session fails
  auth_on_setup      - 4000002500003155: needs 3DS on-session/setup, off-session
                       payments succeed once set up
  dispute            - 4000000000000259: the payment succeeds, then the charge is disputed
                       (fraudulent): `charge.dispute.created`, `charge.dispute.funds_withdrawn`
"""

from __future__ import annotations

import hashlib

# number -> (behaviour, decline_code)
NUMBERS: dict[str, tuple[str, str | None]] = {
    "4242424242424242": ("succeed", None),
    "4000056655665556": ("succeed", None),
    "5555555555554444": ("succeed", None),
    "2223003122003222": ("succeed", None),
    "5200828282828210": ("succeed", None),
    "378282246310005": ("succeed", None),
    "4000000000000077": ("succeed", None),
    "4000000000000002": ("decline", "generic_decline"),
    "4000000000009995": ("decline", "insufficient_funds"),
    "4000000000009987": ("decline", "lost_card"),
    "4000000000009979": ("decline", "stolen_card"),
    "4000000000000069": ("decline", "expired_card"),
    "4000000000000127": ("decline", "incorrect_cvc"),
    "4000000000000119": ("decline", "processing_error"),
    "4000000000000341": ("decline_on_charge", "generic_decline"),
    "4000002760003184": ("auth_always", None),
    "4000002500003155": ("auth_on_setup", None),
    "4000000000003220": ("auth_always", None),
    "4000000000000259": ("dispute", None),
}

# Test PaymentMethod ids -> card number.
TEST_PAYMENT_METHODS: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
    "pm_card_threeDSecure2Required": "4000000000003220",
    "pm_card_createDispute": "4000000000000259",
}

# Test card tokens (`card[token]=tok_visa`) -> card number.
TEST_TOKENS = {k.replace("pm_card_", "tok_"): v for k, v in TEST_PAYMENT_METHODS.items()}

DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "lost_card": "Your card was declined.",
    "stolen_card": "Your card was declined.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
    "authentication_required": "Your card was declined. This transaction requires authentication.",
}

# Codes Stripe reports in `error.code` for these declines.
DECLINE_ERROR_CODES = {
    "expired_card": "expired_card",
    "incorrect_cvc": "incorrect_cvc",
    "processing_error": "processing_error",
    "authentication_required": "authentication_required",
}


def brand_of(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in ("34", "37"):
        return "amex"
    if number[:1] == "5" or number[:2] == "22":
        return "mastercard"
    if number.startswith("6"):
        return "discover"
    return "unknown"


def behaviour_of(number: str) -> tuple[str, str | None]:
    return NUMBERS.get(number, ("succeed", None))


def fingerprint(number: str) -> str:
    return hashlib.sha256(number.encode()).hexdigest()[:16]


def luhn_ok(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0
