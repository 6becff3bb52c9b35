"""Campaign services: the status lifecycle, joining and applying, negotiation, deliverables and work.

Billing and payouts plug in here:
- billing calls `campaign_activate(campaign=...)` when funding succeeds, and
  refunds unused budget when `campaign_complete` / `campaign_cancel` send `campaign_closed`;
- payouts pays approved work's amount through the `work_approved` signal (campaigns.signals),
  inside `work_approve`'s transaction.

Each event tells the other party (`campaigns.notifications`) inside the transaction that makes
it, so nothing is sent for a change that rolls back; campaign status changes do so in
`lifecycle._campaign_move`, the one place a campaign's status changes.

Lock order, everywhere: campaign row, then application or promoter_campaign row, then the rest.
None of these services is `durable`: billing may call them inside its own transaction.

One module per concern; this package re-exports their public functions so callers
import `campaigns.services` whatever module a function lives in.
"""

from campaigns.services.base import (
    STAFF_SUSPENSION_REASON,
    AlreadyParticipating,
    BudgetExceeded,
    CampaignError,
    CampaignNotOpen,
    InvalidTransition,
    NotAllowed,
    NotYourTurn,
    WorkNotPayable,
)
from campaigns.services.lifecycle import (
    campaign_activate,
    campaign_cancel,
    campaign_complete,
    campaign_create,
    campaign_pause,
    campaign_publish,
    campaign_resume,
    campaign_update,
)
from campaigns.services.participation import (
    application_accept,
    application_counter,
    application_create,
    application_message_post,
    application_reject,
    application_withdraw,
    campaign_join,
)
from campaigns.services.work import (
    campaign_work_waiting,
    deliverable_create,
    work_approve,
    work_reject,
    work_request_revision,
    work_submit,
    works_auto_approve_overdue,
)

__all__ = [
    "STAFF_SUSPENSION_REASON",
    "AlreadyParticipating",
    "BudgetExceeded",
    "CampaignError",
    "CampaignNotOpen",
    "InvalidTransition",
    "NotAllowed",
    "NotYourTurn",
    "WorkNotPayable",
    "application_accept",
    "application_counter",
    "application_create",
    "application_message_post",
    "application_reject",
    "application_withdraw",
    "campaign_activate",
    "campaign_cancel",
    "campaign_complete",
    "campaign_create",
    "campaign_join",
    "campaign_pause",
    "campaign_publish",
    "campaign_resume",
    "campaign_update",
    "campaign_work_waiting",
    "deliverable_create",
    "work_approve",
    "work_reject",
    "work_request_revision",
    "work_submit",
    "works_auto_approve_overdue",
]
