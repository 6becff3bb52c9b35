"""A campaign's status lifecycle: create, edit, publish, activate, pause, resume, complete, cancel."""

from django.db import transaction
from django.utils import timezone

from campaigns import notifications, signals, track_record
from campaigns.models import (
    CAMPAIGN_TERMS,
    OPEN_APPLICATION_STATUSES,
    ApplicationDecisionReason,
    ApplicationMessage,
    ApplicationStatus,
    Campaign,
    CampaignApplication,
    CampaignStatus,
    CampaignStatusChange,
    MessageKind,
    ParticipationStatus,
    StatusReason,
)
from campaigns.services.base import CampaignError, InvalidTransition


def _campaign_move(
    *, campaign: Campaign, to_status: str, actor=None, reason: str = "", code: str = StatusReason.PERSON
) -> Campaign:
    """Move `campaign` along CAMPAIGN_TRANSITIONS and write the audit row: `code` says why (rules
    read it), `reason` is what people read (the code's label unless a person wrote their own).

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
            reason_code=code,
            reason=(reason or ("" if code == StatusReason.PERSON else StatusReason(code).label))[:500],
        )
        # Every status change passes here, whichever view, task, webhook or admin action made it.
        notifications.campaign_status_changed(change=change)
    for name, value in fields.items():
        setattr(campaign, name, value)
    return campaign


def _terms_check(terms: dict) -> None:
    unknown = set(terms) - set(CAMPAIGN_TERMS)
    if unknown:
        raise TypeError(f"Not campaign terms: {sorted(unknown)}")


@transaction.atomic
def campaign_create(*, advertiser, campaign_type: str, languages=(), skills=(), **terms) -> Campaign:
    """A draft owned by `advertiser`, from terms named in CAMPAIGN_TERMS (validated by the
    caller: `forms.campaign_form_class(type)` for pages), the languages and skills wanted."""
    _terms_check(terms)
    campaign = Campaign.objects.create(
        advertiser=advertiser, campaign_type=campaign_type, status=CampaignStatus.DRAFT, **terms
    )
    campaign.languages.set(languages)
    campaign.skills.set(skills)
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, languages=None, skills=None, **terms) -> Campaign:
    """Save edits to terms; only drafts can change (published terms are what promoters signed up for)."""
    _terms_check(terms)
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status != CampaignStatus.DRAFT:
        raise InvalidTransition("Only draft campaigns can be edited.")
    for name, value in terms.items():
        setattr(locked, name, value)
    locked.save(update_fields=[*terms, "updated_at"])
    if languages is not None:
        locked.languages.set(languages)
    if skills is not None:
        locked.skills.set(skills)
    return locked


def campaign_publish(*, campaign: Campaign, actor) -> Campaign:
    """Draft -> awaiting funding. Billing then funds it and calls `campaign_activate`."""
    if campaign.end_date < timezone.localdate():
        raise CampaignError("The end date has passed. Edit the dates before publishing.")
    return _campaign_move(
        campaign=campaign, to_status=CampaignStatus.AWAITING_FUNDING, actor=actor, code=StatusReason.PUBLISHED
    )


def campaign_activate(*, campaign: Campaign, actor=None, reason: str = "", code: str = StatusReason.FUNDED) -> Campaign:
    """Awaiting funding -> active. Called by billing once the budget is paid (actor None = system)."""
    return _campaign_move(campaign=campaign, to_status=CampaignStatus.ACTIVE, actor=actor, reason=reason, code=code)


def campaign_pause(*, campaign: Campaign, actor=None, reason: str = "", code: str = StatusReason.PERSON) -> Campaign:
    """Active -> paused: no new joins, views or submissions count. Billing/tracking also call this
    when a budget is used up (actor None, reason "budget used up")."""
    return _campaign_move(campaign=campaign, to_status=CampaignStatus.PAUSED, actor=actor, reason=reason, code=code)


def campaign_resume(*, campaign: Campaign, actor=None, reason: str = "", code: str = StatusReason.PERSON) -> Campaign:
    return _campaign_move(campaign=campaign, to_status=CampaignStatus.ACTIVE, actor=actor, reason=reason, code=code)


def campaign_complete(*, campaign: Campaign, actor=None, reason: str = "", code: str = StatusReason.PERSON) -> Campaign:
    """End the campaign. Participations are marked completed; billing refunds the unused budget
    and fee once the change commits (`campaign_closed`)."""
    return _campaign_close(campaign=campaign, to_status=CampaignStatus.COMPLETED, actor=actor, reason=reason, code=code)


def campaign_cancel(*, campaign: Campaign, actor=None, reason: str, code: str = StatusReason.PERSON) -> Campaign:
    """Cancel from draft, awaiting funding, active or paused; a reason is required. Billing
    refunds the unused budget and fee once the change commits (`campaign_closed`)."""
    reason = (reason or "").strip()
    if not reason:
        raise CampaignError("Give a reason for cancelling: promoters taking part will see it.")
    return _campaign_close(campaign=campaign, to_status=CampaignStatus.CANCELLED, actor=actor, reason=reason, code=code)


# A close ends the campaign's participations with the same status, and tells open applications why.
_CLOSES = {
    CampaignStatus.COMPLETED: (ParticipationStatus.COMPLETED, ApplicationDecisionReason.CAMPAIGN_ENDED),
    CampaignStatus.CANCELLED: (ParticipationStatus.CANCELLED, ApplicationDecisionReason.CAMPAIGN_CANCELLED),
}


def _campaign_close(*, campaign: Campaign, to_status: str, actor, reason: str, code: str) -> Campaign:
    """Complete or cancel: the move, the participations ended, the open applications closed;
    then, after commit, `campaign_closed` for billing's refund."""
    participations, closed_because = _CLOSES[to_status]
    with transaction.atomic():
        _campaign_move(campaign=campaign, to_status=to_status, actor=actor, reason=reason, code=code)
        track_record.participations_end(campaign=campaign, status=participations)
        applications_close(campaign=campaign, code=closed_because)
    signals.campaign_closed.send(sender=Campaign, campaign=campaign, actor=actor)
    return campaign


def applications_close(*, campaign: Campaign, code: str, exclude_pk=None):
    """Close the campaign's open applications for `code` (an ApplicationDecisionReason the
    platform writes); the thread says why in the code's words."""
    now = timezone.now()
    open_applications = campaign.applications.filter(status__in=OPEN_APPLICATION_STATUSES)
    if exclude_pk is not None:
        open_applications = open_applications.exclude(pk=exclude_pk)
    ids = list(open_applications.values_list("pk", flat=True))
    ApplicationMessage.objects.bulk_create(
        [
            ApplicationMessage(
                application_id=pk, kind=MessageKind.SYSTEM, body=ApplicationDecisionReason(code).label, created_at=now
            )
            for pk in ids
        ]
    )
    CampaignApplication.objects.filter(pk__in=ids).update(
        status=ApplicationStatus.CLOSED, decision_reason_code=code, decision_reason="", decided_at=now, updated_at=now
    )
    return len(ids)
