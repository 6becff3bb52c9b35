"""Campaigns (four types), applications and negotiation, participation, deliverables and work.

Money is integer cents in `currency` ("usd"). Funding and paying belong to billing and payouts;
they plug in through the services in `campaigns.services` (`campaign_activate`, `work_approve`, ...).

One module per concern; this package re-exports their public functions so callers
import `campaigns.models` whatever module a function lives in.
"""

from campaigns.models.applications import (
    APPLICATION_REJECTION_REASONS,
    OPEN_APPLICATION_STATUSES,
    ApplicationDecisionReason,
    ApplicationMessage,
    ApplicationStatus,
    CampaignApplication,
    MessageKind,
    Party,
)
from campaigns.models.campaign import (
    APPLICATION_TYPES,
    CAMPAIGN_TERMS,
    CAMPAIGN_TRANSITIONS,
    JOINABLE_TYPES,
    MAX_BUDGET_CENTS,
    MAX_COMMISSION_PERCENT,
    MAX_CPV_CENTS,
    MAX_VIEWS,
    PLATFORM_BITS,
    TRACKING_CODE_LENGTH,
    TYPE_DESCRIPTIONS,
    Campaign,
    CampaignQuerySet,
    CampaignStatus,
    CampaignStatusChange,
    CampaignType,
    StatusReason,
    TrackingMethod,
    http_url_validator,
)
from campaigns.models.matching import (
    CampaignInvitation,
    InvitationStatus,
    PlatformReferenceRate,
)
from campaigns.models.participation import (
    CampaignDeliverable,
    CampaignWork,
    DeliverableStatus,
    ParticipationStatus,
    PromoterCampaign,
    WorkReviewReason,
    WorkStatus,
    new_tracking_code,
    work_upload_to,
)

__all__ = [
    "APPLICATION_REJECTION_REASONS",
    "APPLICATION_TYPES",
    "CAMPAIGN_TERMS",
    "CAMPAIGN_TRANSITIONS",
    "JOINABLE_TYPES",
    "MAX_BUDGET_CENTS",
    "MAX_COMMISSION_PERCENT",
    "MAX_CPV_CENTS",
    "MAX_VIEWS",
    "OPEN_APPLICATION_STATUSES",
    "PLATFORM_BITS",
    "TRACKING_CODE_LENGTH",
    "TYPE_DESCRIPTIONS",
    "ApplicationDecisionReason",
    "ApplicationMessage",
    "ApplicationStatus",
    "Campaign",
    "CampaignApplication",
    "CampaignDeliverable",
    "CampaignInvitation",
    "CampaignQuerySet",
    "CampaignStatus",
    "CampaignStatusChange",
    "CampaignType",
    "CampaignWork",
    "DeliverableStatus",
    "InvitationStatus",
    "MessageKind",
    "ParticipationStatus",
    "Party",
    "PlatformReferenceRate",
    "PromoterCampaign",
    "StatusReason",
    "TrackingMethod",
    "WorkReviewReason",
    "WorkStatus",
    "http_url_validator",
    "new_tracking_code",
    "work_upload_to",
]
