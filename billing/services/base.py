"""Rules and errors every billing service shares."""

from __future__ import annotations

from billing import fees
from campaignplatform import payment_limits as limits
from campaigns.models import (
    CampaignStatus,
    CampaignType,
)

SALESMAN_MIN_BUDGET_CENTS = 2000
STRIPE_MINIMUM_CENTS = limits.MINIMUM_CHARGE["usd"]
ENDED = (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED)
# Spending a Salesman or Visibility campaign's last cent pauses it; Consultant/Seller budgets are
# the agreed amount and end with the work.
SELF_PAUSING_TYPES = (CampaignType.SALESMAN, CampaignType.VISIBILITY)


class BillingError(Exception):
    """A domain error whose message the user can act on."""


class FundingNotAllowed(BillingError):
    pass


class BudgetExhausted(Exception):
    """The campaign's budget cannot cover a spend (with its fixed fee per sale or milestone
    payment, `fixed_fee_cents`, when the campaign's fee terms have one). Nothing was spent."""

    def __init__(self, remaining_cents: int, *, fixed_fee_cents: int = 0):
        self.remaining_cents, self.fixed_fee_cents = remaining_cents, fixed_fee_cents
        super().__init__(f"The campaign budget has {remaining_cents} cents left.")


def platform_fee_cents(budget_cents: int) -> int:
    """The default plan's fee on a budget (PLATFORM_FEE_PERCENT); billing.fees has the rule."""
    return fees.platform_fee_cents(budget_cents)
