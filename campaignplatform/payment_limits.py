"""Stripe's limits on one payment, checked before Stripe is called.

Stripe refuses a charge above 99,999,999 in the currency's smallest unit ($999,999.99) or below
its minimum (50 cents for usd), and any transfer or refund above the same maximum. The product
charges usd only (campaigns' currency constraint). A budget whose payment (budget plus the
platform fee) would exceed the maximum is refused with a message saying how much can be funded
in one payment (README, "Money"): Salesman budgets and Visibility views can be topped up later.

A shared helper importing no app: campaign forms check a budget against it, billing every payment.
"""

from __future__ import annotations

from django.conf import settings

from campaignplatform.money import dollars

MAXIMUM_AMOUNT = 99_999_999
MINIMUM_CHARGE = {"usd": 50}
SUPPORTED_CURRENCIES = frozenset(MINIMUM_CHARGE)


class AmountRefused(ValueError):
    """Stripe would refuse this amount or currency; `code` is the error code it would send."""

    def __init__(self, message: str, *, code: str):
        self.message, self.code = message, code
        super().__init__(message)


def amount_check(amount: int, currency: str, *, charged: bool) -> None:
    """Raise AmountRefused unless Stripe accepts `amount` of `currency` (`charged`: a card
    payment, which also has a minimum)."""
    if currency not in SUPPORTED_CURRENCIES:
        raise AmountRefused(f"Payments in {currency.upper()} are not supported.", code="currency_not_supported")
    if amount > MAXIMUM_AMOUNT:
        raise AmountRefused(
            f"One payment can be at most {dollars(MAXIMUM_AMOUNT)}; this one is {dollars(amount)}.",
            code="amount_too_large",
        )
    minimum = MINIMUM_CHARGE[currency] if charged else 1
    if amount < minimum:
        raise AmountRefused(f"A payment must be at least {dollars(minimum)}.", code="amount_too_small")


def percent_fee_cents(budget_cents: int, percent_bp: int) -> int:
    """A percentage (in basis points: 1000 = 10%) of a budget, rounded half up to the cent,
    integers only: the one rounding rule every fee uses (billing.fees builds plans on it)."""
    return (budget_cents * percent_bp + 5_000) // 10_000


def fee_cents(budget_cents: int) -> int:
    """The default plan's fee on a budget: PLATFORM_FEE_PERCENT."""
    return percent_fee_cents(budget_cents, settings.PLATFORM_FEE_PERCENT * 100)


def largest_budget_in_one_payment() -> int:
    """The largest budget whose payment, with the platform fee on top, Stripe accepts."""
    budget = MAXIMUM_AMOUNT * 100 // (100 + settings.PLATFORM_FEE_PERCENT)
    while budget + 1 + fee_cents(budget + 1) <= MAXIMUM_AMOUNT:
        budget += 1
    while budget + fee_cents(budget) > MAXIMUM_AMOUNT:
        budget -= 1
    return budget


def too_large_for_one_payment_message() -> str:
    return (
        f"One card payment can be at most {dollars(MAXIMUM_AMOUNT)}, so with the "
        f"{settings.PLATFORM_FEE_PERCENT}% platform fee on top a budget can be at most "
        f"{dollars(largest_budget_in_one_payment())} per payment."
    )
