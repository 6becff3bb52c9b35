"""Errors every campaigns service raises, and the reasons it writes."""

import logging

STAFF_SUSPENSION_REASON = "suspended by staff"

logger = logging.getLogger(__name__)


class CampaignError(Exception):
    """A domain error whose message the user can act on."""


class InvalidTransition(CampaignError):
    pass


class WorkNotPayable(CampaignError):
    """The campaign cannot pay approved work (its budget went back to the advertiser)."""


class NotAllowed(CampaignError):
    pass


class NotYourTurn(CampaignError):
    pass


class CampaignNotOpen(CampaignError):
    pass


class AlreadyParticipating(CampaignError):
    pass


class BudgetExceeded(CampaignError):
    pass
