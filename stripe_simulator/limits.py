"""Stripe's amount limits and supported currencies, as its API enforces them.

Every endpoint that moves money checks its currency and amount here. The maximum is Stripe's
8-digit limit (99,999,999 in the currency's smallest unit, $999,999.99 for usd); the minimum
applies to what is charged to a card (PaymentIntents, Checkout), not to transfers, payouts or
refunds. Messages follow Stripe's: "Amount must be no more than $999,999.99",
"Amount must be at least $0.50 usd", "Invalid currency: xyz. Stripe currently supports ...".

An unknown currency carries no error code, on purpose: the API error codes Stripe documents
(the `code` enum of its OpenAPI spec, as typed in stripe-python 16) have none for it, so Stripe
answers an `invalid_request_error` on `param=currency` with that message. `currency_not_supported`
is a card *decline* code (the issuer refuses the currency), not an answer to a bad parameter.
"""

from __future__ import annotations

from .errors import StripeError

MAXIMUM_AMOUNT = 99_999_999
# Smallest chargeable amounts (Stripe's minimums for common currencies); others: 1 unit.
MINIMUM_AMOUNT = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50}
_CURRENCY_CODES = (
    "usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bif bmd bnd bob brl bsd bwp byn "
    "bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd "
    "gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jpy kes kgs khr kmf krw kyd kzt lak lbp lkr "
    "lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd pab pen "
    "pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd std szl thb tjs "
    "top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xof xpf yer zar zmw"
)
SUPPORTED_CURRENCIES = tuple(_CURRENCY_CODES.split())


def _units(amount: int) -> str:
    return f"${amount / 100:,.2f}"


def currency_checked(value, *, param: str = "currency") -> str:
    """The currency, lowercased, or Stripe's refusal of it."""
    currency = str(value or "").lower()
    if currency not in SUPPORTED_CURRENCIES:
        raise StripeError(
            f"Invalid currency: {currency}. Stripe currently supports these currencies: "
            f"{', '.join(SUPPORTED_CURRENCIES)}",
            param=param,
            cacheable=False,
        )
    return currency


def amount_checked(amount: int, currency: str, *, param: str = "amount", charged: bool = False) -> int:
    """`amount` if Stripe accepts it for `currency` (`charged`: a card payment, with a minimum)."""
    if amount > MAXIMUM_AMOUNT:
        raise StripeError(
            f"Amount must be no more than {_units(MAXIMUM_AMOUNT)}",
            code="amount_too_large",
            param=param,
            cacheable=False,
        )
    minimum = MINIMUM_AMOUNT.get(currency, 1) if charged else 1
    if amount < minimum:
        raise StripeError(
            f"Amount must be at least {_units(minimum)} {currency}",
            code="amount_too_small",
            param=param,
            cacheable=False,
        )
    return amount
