"""Campaign services: the status lifecycle, joining and applying, negotiation, deliverables and work.

Billing and payouts plug in here:
- billing calls `campaign_activate(campaign=..., reason="funded")` when funding succeeds, and extends
  `campaign_complete` / `campaign_cancel` to refund unused budget;
- payouts extends `work_approve` to pay the deliverable's amount immediately.

Each event tells the other party (`campaigns.notifications`) inside the transaction that makes
it, so nothing is sent for a change that rolls back; campaign status changes do so in
`_campaign_move`, the one place a campaign's status changes.

Lock order, everywhere: campaign row, then application or promoter_campaign row, then the rest.
None of these services is `durable`: billing may call them inside its own transaction.
"""

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from campaignplatform.money import dollars
from campaigns import notifications
from campaigns.models import (
    OPEN_APPLICATION_STATUSES,
    ApplicationMessage,
    ApplicationStatus,
    Campaign,
    CampaignApplication,
    CampaignDeliverable,
    CampaignStatus,
    CampaignStatusChange,
    CampaignWork,
    DeliverableStatus,
    MessageKind,
    ParticipationStatus,
    Party,
    PromoterCampaign,
    WorkStatus,
)

ANOTHER_PROMOTER_SELECTED = "Another promoter was selected"
STAFF_SUSPENSION_REASON = "suspended by staff"


class CampaignError(Exception):
    """A domain error whose message the user can act on."""


class InvalidTransition(CampaignError):
    pass


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


# --- Campaign lifecycle ---------------------------------------------------------------------


def _campaign_move(*, campaign: Campaign, to_status: str, actor=None, reason: str = "") -> Campaign:
    """Move `campaign` along CAMPAIGN_TRANSITIONS and write the audit row.

    The UPDATE is conditional on the status we read, so of two concurrent moves from the same
    status only one changes a row; the other gets InvalidTransition.
    """
    to_status = CampaignStatus(to_status)
    from_status = CampaignStatus(campaign.status)
    if not campaign.can_move_to(to_status):
        raise InvalidTransition(
            f"A campaign that is {from_status.label.lower()} cannot become {to_status.label.lower()}."
        )
    now = timezone.now()
    fields = {"status": to_status, "updated_at": now}
    if to_status == CampaignStatus.AWAITING_FUNDING:
        fields["published_at"] = now
    if to_status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED):
        fields["ended_at"] = now
    with transaction.atomic():
        moved = Campaign.objects.filter(pk=campaign.pk, status=from_status).update(**fields)
        if not moved:
            current = Campaign.objects.filter(pk=campaign.pk).values_list("status", flat=True).first()
            raise InvalidTransition(
                f"The campaign changed meanwhile (it is now {CampaignStatus(current).label.lower()}). "
                "Reload the page and try again."
            )
        change = CampaignStatusChange.objects.create(
            campaign=campaign,
            actor=actor,
            created_at=now,
            from_status=from_status,
            to_status=to_status,
            reason=reason[:500],
        )
        # Every status change passes here, whichever view, task, webhook or admin action made it.
        notifications.campaign_status_changed(change=change)
    for name, value in fields.items():
        setattr(campaign, name, value)
    return campaign


@transaction.atomic
def campaign_create(*, advertiser, form) -> Campaign:
    """Save a valid campaign form (see `forms.campaign_form_class`) as a draft owned by `advertiser`."""
    campaign = form.save(commit=False)
    campaign.advertiser = advertiser
    campaign.status = CampaignStatus.DRAFT
    campaign.save()
    form.save_m2m()
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, form) -> Campaign:
    """Save edits; only drafts can change (published terms are what promoters signed up for)."""
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status != CampaignStatus.DRAFT:
        raise InvalidTransition("Only draft campaigns can be edited.")
    campaign = form.save()
    return campaign


def campaign_publish(*, campaign: Campaign, actor) -> Campaign:
    """Draft -> awaiting funding. Billing then funds it and calls `campaign_activate`."""
    if campaign.end_date < timezone.localdate():
        raise CampaignError("The end date has passed. Edit the dates before publishing.")
    return _campaign_move(campaign=campaign, to_status=CampaignStatus.AWAITING_FUNDING, actor=actor, reason="published")


def campaign_activate(*, campaign: Campaign, actor=None, reason: str = "funded") -> Campaign:
    """Awaiting funding -> active. Called by billing once the budget is paid (actor None = system)."""
    return _campaign_move(campaign=campaign, to_status=CampaignStatus.ACTIVE, actor=actor, reason=reason)


def campaign_pause(*, campaign: Campaign, actor=None, reason: str = "") -> Campaign:
    """Active -> paused: no new joins, views or submissions count. Billing/tracking also call this
    when a budget is used up (actor None, reason "budget used up")."""
    return _campaign_move(campaign=campaign, to_status=CampaignStatus.PAUSED, actor=actor, reason=reason)


def campaign_resume(*, campaign: Campaign, actor=None, reason: str = "") -> Campaign:
    return _campaign_move(campaign=campaign, to_status=CampaignStatus.ACTIVE, actor=actor, reason=reason)


def campaign_complete(*, campaign: Campaign, actor=None, reason: str = "") -> Campaign:
    """End the campaign. Participations are marked completed.

    Hook for billing: refund unused budget (and its unused fee) after this move commits.
    """
    with transaction.atomic():
        _campaign_move(campaign=campaign, to_status=CampaignStatus.COMPLETED, actor=actor, reason=reason)
        campaign.participants.filter(status=ParticipationStatus.ACTIVE).update(status=ParticipationStatus.COMPLETED)
        _applications_close(campaign=campaign, reason="The campaign has ended")
    return campaign


def campaign_cancel(*, campaign: Campaign, actor=None, reason: str) -> Campaign:
    """Cancel from draft, awaiting funding, active or paused; a reason is required.

    Hook for billing: refund unused budget (and its unused fee) after this move commits.
    """
    reason = (reason or "").strip()
    if not reason:
        raise CampaignError("Give a reason for cancelling: promoters taking part will see it.")
    with transaction.atomic():
        _campaign_move(campaign=campaign, to_status=CampaignStatus.CANCELLED, actor=actor, reason=reason)
        campaign.participants.filter(status=ParticipationStatus.ACTIVE).update(status=ParticipationStatus.CANCELLED)
        _applications_close(campaign=campaign, reason="The campaign was cancelled")
    return campaign


def _applications_close(*, campaign: Campaign, reason: str, exclude_pk=None):
    now = timezone.now()
    open_applications = campaign.applications.filter(status__in=OPEN_APPLICATION_STATUSES)
    if exclude_pk is not None:
        open_applications = open_applications.exclude(pk=exclude_pk)
    ids = list(open_applications.values_list("pk", flat=True))
    ApplicationMessage.objects.bulk_create(
        [ApplicationMessage(application_id=pk, kind=MessageKind.SYSTEM, body=reason, created_at=now) for pk in ids]
    )
    CampaignApplication.objects.filter(pk__in=ids).update(
        status=ApplicationStatus.CLOSED, decision_reason=reason, decided_at=now, updated_at=now
    )
    return len(ids)


# --- Joining (Visibility, Salesman) ---------------------------------------------------------


def campaign_join(*, campaign: Campaign, promoter) -> PromoterCampaign:
    """Join an active Visibility or Salesman campaign; the row carries the promoter's tracking code."""
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not locked.is_joinable_type:
            raise CampaignNotOpen("This campaign takes applications; apply with a proposal instead.")
        if locked.status != CampaignStatus.ACTIVE:
            raise CampaignNotOpen("This campaign is not open: only active campaigns can be joined.")
        if PromoterCampaign.objects.filter(campaign=locked, promoter=promoter).exists():
            raise AlreadyParticipating("You have already joined this campaign.")
        # A tracking-code collision (1 in 2^50) would be an IntegrityError; try a fresh code.
        for _attempt in range(3):
            try:
                with transaction.atomic():
                    return PromoterCampaign.objects.create(campaign=locked, promoter=promoter)
            except IntegrityError:
                if PromoterCampaign.objects.filter(campaign=locked, promoter=promoter).exists():
                    raise AlreadyParticipating("You have already joined this campaign.") from None
        raise CampaignError("Could not join right now. Please try again.")


# --- Applications and negotiation (Consultant, Seller) --------------------------------------


def _amount_within_budget(campaign: Campaign, amount_cents: int):
    if not (campaign.min_budget <= amount_cents <= campaign.max_budget):
        raise CampaignError(
            f"The amount must be between {dollars(campaign.min_budget)} and {dollars(campaign.max_budget)}."
        )


def application_create(*, campaign: Campaign, promoter, amount_cents: int, pitch: str) -> CampaignApplication:
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not locked.takes_applications:
            raise CampaignNotOpen("This campaign is joined directly, not applied to.")
        if not locked.is_open_for_applications:
            raise CampaignNotOpen("This campaign is not taking applications.")
        _amount_within_budget(locked, amount_cents)
        if CampaignApplication.objects.filter(campaign=locked, promoter=promoter).exists():
            raise AlreadyParticipating("You have already applied to this campaign.")
        try:
            with transaction.atomic():
                application = CampaignApplication.objects.create(
                    campaign=locked,
                    promoter=promoter,
                    pitch=pitch,
                    proposed_amount=amount_cents,
                    current_amount=amount_cents,
                )
        except IntegrityError:
            raise AlreadyParticipating("You have already applied to this campaign.") from None
        ApplicationMessage.objects.create(
            application=application, author=promoter, kind=MessageKind.OFFER, body=pitch, amount=amount_cents
        )
        notifications.application_received(application=application)
    return application


def _application_lock(application: CampaignApplication):
    """Lock the campaign, then the application (the fixed order), and return fresh copies."""
    campaign = Campaign.objects.select_for_update().get(pk=application.campaign_id)
    locked = CampaignApplication.objects.select_for_update().get(pk=application.pk)
    locked.campaign = campaign
    return campaign, locked


def _require_open(application: CampaignApplication):
    if not application.is_open:
        raise InvalidTransition(f"This application is already {application.get_status_display().lower()}.")


def _require_party(application: CampaignApplication, actor, party=None):
    actual = application.party_of(actor)
    if actual is None or (party is not None and actual != party):
        raise NotAllowed("You cannot do that with this application.")
    return actual


def application_accept(*, application: CampaignApplication, actor) -> PromoterCampaign:
    """Accept the offer on the table; only the party whose turn it is can (never one's own offer).

    Selects the promoter: creates their PromoterCampaign with `agreed_amount` and closes every
    other open application. Hook for billing: the advertiser now funds `agreed_amount`
    (plus fee) and billing calls `campaign_activate`.
    """
    with transaction.atomic():
        campaign, locked = _application_lock(application)
        party = _require_party(locked, actor)
        _require_open(locked)
        if locked.awaiting != party:
            raise NotYourTurn("You made the current offer; wait for the other side to accept or counter it.")
        if not campaign.is_open_for_applications:
            raise CampaignNotOpen("This campaign is no longer taking applications.")
        now = timezone.now()
        locked.status = ApplicationStatus.ACCEPTED
        locked.decided_at = now
        locked.save(update_fields=["status", "decided_at", "updated_at"])
        Campaign.objects.filter(pk=campaign.pk).update(has_selected_promoter=True, updated_at=now)
        ApplicationMessage.objects.create(
            application=locked,
            author=actor,
            kind=MessageKind.SYSTEM,
            body=f"Offer of {dollars(locked.current_amount)} accepted.",
            amount=locked.current_amount,
        )
        participation = PromoterCampaign.objects.create(
            campaign=campaign, promoter_id=locked.promoter_id, application=locked, agreed_amount=locked.current_amount
        )
        _applications_close(campaign=campaign, reason=ANOTHER_PROMOTER_SELECTED, exclude_pk=locked.pk)
        notifications.application_accepted(application=locked, participation=participation, by_party=party)
    application.status = locked.status
    return participation


def application_counter(
    *, application: CampaignApplication, actor, amount_cents: int, message: str = ""
) -> CampaignApplication:
    """Put a new amount on the table; the turn passes to the other side."""
    with transaction.atomic():
        campaign, locked = _application_lock(application)
        party = _require_party(locked, actor)
        _require_open(locked)
        if locked.awaiting != party:
            raise NotYourTurn("It is the other side's turn to answer your offer.")
        if not campaign.is_open_for_applications:
            raise CampaignNotOpen("This campaign is no longer taking applications.")
        _amount_within_budget(campaign, amount_cents)
        locked.current_amount = amount_cents
        locked.status = ApplicationStatus.COUNTERED if party == Party.ADVERTISER else ApplicationStatus.PENDING
        locked.save(update_fields=["current_amount", "status", "updated_at"])
        offer = ApplicationMessage.objects.create(
            application=locked, author=actor, kind=MessageKind.OFFER, body=message, amount=amount_cents
        )
        notifications.application_countered(application=locked, offer=offer, by_party=party)
    return locked


def application_reject(*, application: CampaignApplication, actor, reason: str) -> CampaignApplication:
    reason = (reason or "").strip()
    if not reason:
        raise CampaignError("Give the promoter a reason.")
    with transaction.atomic():
        _campaign, locked = _application_lock(application)
        _require_party(locked, actor, Party.ADVERTISER)
        _require_open(locked)
        locked.status = ApplicationStatus.REJECTED
        locked.decision_reason = reason[:500]
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decision_reason", "decided_at", "updated_at"])
        ApplicationMessage.objects.create(
            application=locked, author=actor, kind=MessageKind.SYSTEM, body=f"Rejected: {reason}"
        )
        notifications.application_rejected(application=locked)
    return locked


def application_withdraw(*, application: CampaignApplication, actor) -> CampaignApplication:
    with transaction.atomic():
        _campaign, locked = _application_lock(application)
        _require_party(locked, actor, Party.PROMOTER)
        _require_open(locked)
        locked.status = ApplicationStatus.WITHDRAWN
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decided_at", "updated_at"])
        ApplicationMessage.objects.create(
            application=locked, author=actor, kind=MessageKind.SYSTEM, body="The promoter withdrew the application."
        )
    return locked


def application_message_post(*, application: CampaignApplication, actor, body: str) -> ApplicationMessage:
    body = (body or "").strip()
    if not body:
        raise CampaignError("Write a message first.")
    _require_party(application, actor)
    if application.status in (ApplicationStatus.WITHDRAWN, ApplicationStatus.CLOSED, ApplicationStatus.REJECTED):
        raise InvalidTransition("This conversation is closed.")
    return ApplicationMessage.objects.create(application=application, author=actor, body=body)


# --- Deliverables and work ------------------------------------------------------------------


def deliverable_create(
    *, promoter_campaign: PromoterCampaign, actor, title: str, description: str, amount_cents: int, due_date=None
) -> CampaignDeliverable:
    """Add a milestone; the milestones' total (rejected ones aside) stays within the agreed amount.

    The sum is read under a lock on the PromoterCampaign row, so two concurrent additions cannot
    both fit into the same remaining amount.
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

    The payouts issue extends this to pay the deliverable's amount immediately (after commit,
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
        # Payouts hook: pay `work.deliverable.amount` to the promoter here.
        from payouts.services import work_payment_create  # local import: payouts imports campaigns

        work_payment_create(work=work)
        notifications.work_approved(work=work)
        _refund_if_ended(work)
    work.status, work.reviewed_at, work.reviewed_by, work.auto_approved = WorkStatus.APPROVED, now, actor, actor is None
    return True


def campaign_work_waiting_cents(*, campaign: Campaign) -> int:
    """The milestone amounts whose work is submitted and waits for review: what an ended
    campaign keeps back from its refund until that work is reviewed."""
    return (
        CampaignDeliverable.objects.filter(promoter_campaign__campaign=campaign, works__status=WorkStatus.SUBMITTED)
        .distinct()
        .aggregate(total=Sum("amount"))["total"]
        or 0
    )


ENDED_STATUSES = (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED)


def _refund_if_ended(work: CampaignWork) -> None:
    """Reviewing work an ended campaign kept money for settles that money: what the review did
    not pay goes back to the advertiser (billing's refund, a task after commit)."""
    campaign_id, status = CampaignDeliverable.objects.values_list(
        "promoter_campaign__campaign_id", "promoter_campaign__campaign__status"
    ).get(pk=work.deliverable_id)
    if status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED):
        from django_q.tasks import async_task

        transaction.on_commit(lambda: async_task("billing.tasks.campaign_refund_unused", campaign_id))


def _work_review(*, work: CampaignWork, actor, comment: str, work_status: str, deliverable_status: str):
    comment = (comment or "").strip()
    if not comment:
        raise CampaignError("Add a comment so the promoter knows what to change.")
    _require_reviewer(work, actor)
    now = timezone.now()
    with transaction.atomic():
        campaign = _campaign_of_work_lock(work)
        if work_status == WorkStatus.REVISION_REQUESTED and campaign.status in ENDED_STATUSES:
            raise InvalidTransition(
                "The campaign has ended, so no new version can be submitted: approve or reject this work."
            )
        claimed = CampaignWork.objects.filter(pk=work.pk, status=WorkStatus.SUBMITTED).update(
            status=work_status, reviewed_at=now, reviewed_by=actor, review_comment=comment[:5000]
        )
        if not claimed:
            raise InvalidTransition("This work was already reviewed.")
        CampaignDeliverable.objects.filter(pk=work.deliverable_id).update(status=deliverable_status)
        notifications.work_reviewed(work=work, revision=work_status == WorkStatus.REVISION_REQUESTED)
        _refund_if_ended(work)
    work.status, work.reviewed_at, work.review_comment = work_status, now, comment
    return work


def work_request_revision(*, work: CampaignWork, actor, comment: str) -> CampaignWork:
    return _work_review(
        work=work,
        actor=actor,
        comment=comment,
        work_status=WorkStatus.REVISION_REQUESTED,
        deliverable_status=DeliverableStatus.REVISION_REQUESTED,
    )


def work_reject(*, work: CampaignWork, actor, comment: str) -> CampaignWork:
    """Reject the work; the milestone is closed unpaid and its amount can be planned again."""
    return _work_review(
        work=work,
        actor=actor,
        comment=comment,
        work_status=WorkStatus.REJECTED,
        deliverable_status=DeliverableStatus.REJECTED,
    )


def works_auto_approve_overdue(*, now=None, limit: int = 500) -> int:
    """Approve submissions nobody reviewed before their `auto_approve_after`. Safe to run twice:
    each row is claimed by work_approve's conditional update."""
    now = now or timezone.now()
    due = list(
        CampaignWork.objects.filter(status=WorkStatus.SUBMITTED, auto_approve_after__lte=now).order_by(
            "auto_approve_after"
        )[:limit]
    )
    return sum(1 for work in due if work_approve(work=work, actor=None))
