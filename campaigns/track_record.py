"""What campaigns tells accounts about a promoter's track record (accounts.performance keeps
the figures). Each function runs inside the caller's transaction, beside the change it counts."""

from django.db import connection
from django.utils import timezone

from accounts.performance import performance_record
from campaigns.models import CampaignDeliverable, ParticipationStatus

ENDED_COUNTER = {
    ParticipationStatus.COMPLETED: "campaigns_completed",
    ParticipationStatus.CANCELLED: "campaigns_cancelled",
}


def participations_end(*, campaign, status: str) -> int:
    """Move the campaign's active participations to `status` and count the ending once for
    each promoter. One UPDATE ... RETURNING: a participation ended twice is counted once."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE promoter_campaigns SET status = %s WHERE campaign_id = %s AND status = %s RETURNING promoter_id",
            [status, campaign.pk, ParticipationStatus.ACTIVE],
        )
        promoter_ids = [row[0] for row in cursor.fetchall()]
    performance_record(user_ids=promoter_ids, **{ENDED_COUNTER[status]: 1})
    return len(promoter_ids)


def work_reviewed(*, work, approved: bool) -> None:
    """Count an approval (and whether it came in by the milestone's due date) or a rejection."""
    promoter_id, due_date = CampaignDeliverable.objects.values_list("promoter_campaign__promoter_id", "due_date").get(
        pk=work.deliverable_id
    )
    if not approved:
        performance_record(user_ids=[promoter_id], works_rejected=1)
        return
    on_time = due_date is None or timezone.localdate(work.submitted_at) <= due_date
    performance_record(user_ids=[promoter_id], works_approved=1, works_approved_on_time=int(on_time))
