"""Campaign pages. Views read input, check access through the scoped getters (`access.py`), call one
service and render; domain errors (`services.CampaignError`) become messages.

One module per concern; this package re-exports their public functions so callers
import `campaigns.views` whatever module a function lives in.
"""

from campaigns.views.access import (
    ADVERTISER_TABS,
    APPLICATION_ONLY_TABS,
    LIST_PAGE_SIZE,
    MARKETPLACE_PAGE_SIZE,
    MAX_FORM_OVERHEAD_BYTES,
    get_application_for_user,
    get_campaign_for_advertiser,
    get_campaign_for_promoter,
    get_participation_for_user,
    get_work_for_user,
)
from campaigns.views.advertiser import (
    CAMPAIGN_ACTIONS,
    CONFIRMED_ACTIONS,
    advertiser_detail,
    advertiser_list,
    campaign_action,
    campaign_action_confirm,
    campaign_create,
    campaign_edit,
)
from campaigns.views.applications import (
    application_action,
    application_detail,
)
from campaigns.views.matching import campaign_invite, promoter_profile, suggested_promoters
from campaigns.views.promoter import (
    campaign_apply,
    campaign_join,
    marketplace,
    my_applications,
    my_campaigns,
    promoter_detail,
)
from campaigns.views.work import (
    deliverable_create,
    participation_detail,
    work_file,
    work_review,
    work_submit,
)

__all__ = [
    "ADVERTISER_TABS",
    "APPLICATION_ONLY_TABS",
    "CAMPAIGN_ACTIONS",
    "CONFIRMED_ACTIONS",
    "LIST_PAGE_SIZE",
    "MARKETPLACE_PAGE_SIZE",
    "MAX_FORM_OVERHEAD_BYTES",
    "advertiser_detail",
    "advertiser_list",
    "application_action",
    "application_detail",
    "campaign_action",
    "campaign_action_confirm",
    "campaign_apply",
    "campaign_create",
    "campaign_edit",
    "campaign_invite",
    "campaign_join",
    "deliverable_create",
    "get_application_for_user",
    "get_campaign_for_advertiser",
    "get_campaign_for_promoter",
    "get_participation_for_user",
    "get_work_for_user",
    "marketplace",
    "my_applications",
    "my_campaigns",
    "participation_detail",
    "promoter_detail",
    "promoter_profile",
    "suggested_promoters",
    "work_file",
    "work_review",
    "work_submit",
]
