"""Milestones and work: deliverables, submissions, reviews, and the auto-approval of overdue work."""

import logging

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from campaignplatform.money import dollars
from campaignplatform.reasons import ReasonInvalid, reason_checked
from campaigns import notifications, signals, track_record
from campaigns.models import (
    Campaign,
    CampaignDeliverable,
    CampaignStatus,
    CampaignWork,
    DeliverableStatus,
    PromoterCampaign,
    WorkReviewReason,
    WorkStatus,
)
from campaigns.services.base import (
    BudgetExceeded,
    CampaignError,
    CampaignNotOpen,
    InvalidTransition,
    NotAllowed,
    WorkNotPayable,
)

logger = logging.getLogger(__name__)


ENDED_STATUSES = (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED)


def deliverable_create(
    *, promoter_campaign: PromoterCampaign, actor, title: str, description: str, amount_cents: int, due_date=None
) -> CampaignDeliverable:
    """Add a milestone; the milestones' total (rejected ones aside) stays within the agreed amount,
    and, once the campaign is funded, billing checks the budget can pay it with its fixed fee per
    milestone payment (`milestone_planning`).

    The sum is read under a lock on the campaign and PromoterCampaign rows, so two concurrent
    additions cannot both fit into the same remaining amount.
    """
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=promoter_campaign.campaign_id)
        participation = PromoterCampaign.objects.select_for_update().get(pk=promoter_campaign.pk)
        if actor.pk != campaign.advertiser_id:
            raise NotAllowed("Only the campaign's advertiser can define milestones.")
        if participation.agreed_amount is None:
            raise CampaignError("Milestones are for Consultant and Seller campaigns.")
        if campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED):
            raise CampaignNotOpen("This campaign has ended.")
        planned = (
            participation.deliverables.exclude(status=DeliverableStatus.REJECTED).aggregate(total=Sum("amount"))[
                "total"
            ]
            or 0
        )
        remaining = participation.agreed_amount - planned
        if amount_cents > remaining:
            raise BudgetExceeded(
                f"Milestones would exceed the agreed amount of {dollars(participation.agreed_amount)}: "
                f"{dollars(remaining)} is left to plan."
            )
        signals.milestone_planning.send(
            sender=CampaignDeliverable, campaign=campaign, participation=participation, amount_cents=amount_cents
        )
        return CampaignDeliverable.objects.create(
            promoter_campaign=participation,
            title=title,
            description=description,
            amount=amount_cents,
            due_date=due_date,
        )


def work_submit(*, deliverable: CampaignDeliverable, actor, text: str = "", link: str = "", file=None) -> CampaignWork:
    """Submit work for a milestone. It is approved automatically after AUTO_APPROVE_DAYS if not reviewed."""
    if not (text or "").strip() and not link and not file:
        raise CampaignError("Add a description, a link or a file.")
    with transaction.atomic():
        participation = PromoterCampaign.objects.select_related("campaign").get(pk=deliverable.promoter_campaign_id)
        campaign = Campaign.objects.select_for_update().get(pk=participation.campaign_id)
        locked = CampaignDeliverable.objects.select_for_update().get(pk=deliverable.pk)
        if actor.pk != participation.promoter_id:
            raise NotAllowed("Only the selected promoter can submit work.")
        if campaign.status != CampaignStatus.ACTIVE:
            raise CampaignNotOpen("Work can be submitted while the campaign is active (funded and not paused).")
        if not locked.accepts_submissions:
            raise InvalidTransition(f"This milestone is {locked.get_status_display().lower()}.")
        now = timezone.now()
        # The file is written to storage by this save; if the transaction then rolls back, the
        # file is orphaned (harmless, never served: no row points at it).
        work = CampaignWork(
            deliverable=locked,
            submitted_by=actor,
            text=(text or "").strip(),
            link=link or "",
            submitted_at=now,
            auto_approve_after=CampaignWork.auto_approve_date_from(now),
        )
        if file:
            work.original_filename = file.name[-255:]
            work.file.save(file.name, file, save=False)
        work.save()
        locked.status = DeliverableStatus.SUBMITTED
        locked.save(update_fields=["status"])
        notifications.work_submitted(work=work, deliverable=locked, participation=participation)
    return work


def _require_reviewer(work: CampaignWork, actor):
    if actor is None or actor.is_staff:
        return
    advertiser_id = (
        CampaignDeliverable.objects.filter(pk=work.deliverable_id)
        .values_list("promoter_campaign__campaign__advertiser_id", flat=True)
        .first()
    )
    if actor.pk != advertiser_id:
        raise NotAllowed("Only the campaign's advertiser can review this work.")


def _campaign_of_work_lock(work: CampaignWork) -> Campaign:
    """Lock the campaign the work belongs to: the lock order's first row, so a review sees the
    status an end or cancel committed, and the cancel's refund sees the review."""
    campaign_id = CampaignDeliverable.objects.values_list("promoter_campaign__campaign_id", flat=True).get(
        pk=work.deliverable_id
    )
    return Campaign.objects.select_for_update().get(pk=campaign_id)


def work_approve(*, work: CampaignWork, actor) -> bool:
    """Approve submitted work (actor None = the system, e.g. auto-approval).

    Payouts pays the deliverable's amount through the `work_approved` signal (after commit,
    with an idempotency key derived from the work id).

    Idempotent: the UPDATE is conditional on status "submitted", so approving twice (double
    click, the auto-approve task racing the advertiser) approves once. Returns True when this
    call approved the work, False when it already was approved; raises InvalidTransition when
    it was reviewed otherwise (revision requested or rejected).
    """
    _require_reviewer(work, actor)
    now = timezone.now()
    with transaction.atomic():
        _campaign_of_work_lock(work)
        claimed = CampaignWork.objects.filter(pk=work.pk, status=WorkStatus.SUBMITTED).update(
            status=WorkStatus.APPROVED, reviewed_at=now, reviewed_by=actor, auto_approved=actor is None
        )
        if not claimed:
            current = CampaignWork.objects.values_list("status", flat=True).get(pk=work.pk)
            if current == WorkStatus.APPROVED:
                return False
            raise InvalidTransition(f"This work was already reviewed ({WorkStatus(current).label.lower()}).")
        CampaignDeliverable.objects.filter(pk=work.deliverable_id).update(status=DeliverableStatus.APPROVED)
        track_record.work_reviewed(work=work, approved=True)
        signals.work_approved.send(sender=CampaignWork, work=work)
        notifications.work_approved(work=work)
        _reviewed_after_end(work)
    work.status, work.reviewed_at, work.reviewed_by, work.auto_approved = WorkStatus.APPROVED, now, actor, actor is None
    return True


def campaign_work_waiting(*, campaign: Campaign) -> tuple[int, int]:
    """(cents, milestones) of the milestones whose work is submitted and waits for review: what
    an ended campaign keeps back from its refund until that work is reviewed (billing adds a
    fixed fee per milestone payment, when the campaign's fee terms have one)."""
    waiting = (
        CampaignDeliverable.objects.filter(promoter_campaign__campaign=campaign, works__status=WorkStatus.SUBMITTED)
        .distinct()
        .aggregate(total=Sum("amount"), milestones=Count("pk"))
    )
    return waiting["total"] or 0, waiting["milestones"]


def _reviewed_after_end(work: CampaignWork) -> None:
    """Reviewing work an ended campaign kept money for settles that money: billing refunds what
    the review did not pay (its receiver of `ended_campaign_work_reviewed`)."""
    campaign_id, status = CampaignDeliverable.objects.values_list(
        "promoter_campaign__campaign_id", "promoter_campaign__campaign__status"
    ).get(pk=work.deliverable_id)
    if status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED):
        signals.ended_campaign_work_reviewed.send(sender=CampaignWork, work=work, campaign_id=campaign_id)


def _review_reason_checked(*, code: str, note: str, work_status: str) -> tuple[str, str]:
    """The reviewer's reason (a WorkReviewReason) and note. A revision request needs the note
    too: whatever the reason, the promoter must know what to change."""
    try:
        code, note = reason_checked(code=code, note=note, allowed=WorkReviewReason.values, max_length=5000)
    except ReasonInvalid as invalid:
        raise CampaignError(invalid.message) from None
    if work_status == WorkStatus.REVISION_REQUESTED and not note:
        raise CampaignError("Add a note so the promoter knows what to change.")
    return code, note


# A review that sends work back leaves its milestone in the same state: open for a new version, or closed unpaid.
_DELIVERABLE_STATUS_AFTER = {
    WorkStatus.REVISION_REQUESTED: DeliverableStatus.REVISION_REQUESTED,
    WorkStatus.REJECTED: DeliverableStatus.REJECTED,
}


def _work_review(*, work: CampaignWork, actor, code: str, note: str, work_status: str):
    code, note = _review_reason_checked(code=code, note=note, work_status=work_status)
    _require_reviewer(work, actor)
    now = timezone.now()
    with transaction.atomic():
        campaign = _campaign_of_work_lock(work)
        if work_status == WorkStatus.REVISION_REQUESTED and campaign.status in ENDED_STATUSES:
            raise InvalidTransition(
                "The campaign has ended, so no new version can be submitted: approve or reject this work."
            )
        claimed = CampaignWork.objects.filter(pk=work.pk, status=WorkStatus.SUBMITTED).update(
            status=work_status, reviewed_at=now, reviewed_by=actor, review_reason_code=code, review_comment=note
        )
        if not claimed:
            raise InvalidTransition("This work was already reviewed.")
        CampaignDeliverable.objects.filter(pk=work.deliverable_id).update(status=_DELIVERABLE_STATUS_AFTER[work_status])
        if work_status == WorkStatus.REJECTED:
            track_record.work_reviewed(work=work, approved=False)
        notifications.work_reviewed(work=work, revision=work_status == WorkStatus.REVISION_REQUESTED)
        _reviewed_after_end(work)
    work.status, work.reviewed_at, work.review_reason_code, work.review_comment = work_status, now, code, note
    return work


def work_request_revision(*, work: CampaignWork, actor, code: str, note: str) -> CampaignWork:
    """Send the work back for a new version, for `code` (a WorkReviewReason) with a note
    saying what to change."""
    return _work_review(work=work, actor=actor, code=code, note=note, work_status=WorkStatus.REVISION_REQUESTED)


def work_reject(*, work: CampaignWork, actor, code: str, note: str = "") -> CampaignWork:
    """Reject the work for `code` (a WorkReviewReason; the note is optional except for OTHER);
    the milestone is closed unpaid and its amount can be planned again."""
    return _work_review(work=work, actor=actor, code=code, note=note, work_status=WorkStatus.REJECTED)


def works_auto_approve_overdue(*, now=None, limit: int = 500) -> int:
    """Approve submissions nobody reviewed before their `auto_approve_after`. Safe to run twice:
    each row is claimed by work_approve's conditional update."""
    now = now or timezone.now()
    due = list(
        CampaignWork.objects.filter(status=WorkStatus.SUBMITTED, auto_approve_after__lte=now).order_by(
            "auto_approve_after"
        )[:limit]
    )
    approved = 0
    for work in due:
        try:
            approved += work_approve(work=work, actor=None)
        except WorkNotPayable:
            # Left submitted for staff to settle; the works after it are still approved.
            logger.warning("overdue work %s not approved: its campaign cannot pay it", work.pk)
    return approved
