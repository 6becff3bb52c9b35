"""How promoters take part: joining (Visibility, Salesman) and applying with negotiation (Consultant, Seller)."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from campaignplatform.money import dollars
from campaignplatform.reasons import ReasonInvalid, reason_checked
from campaigns import invitation_answers, notifications
from campaigns.models import (
    APPLICATION_REJECTION_REASONS,
    ApplicationDecisionReason,
    ApplicationMessage,
    ApplicationStatus,
    Campaign,
    CampaignApplication,
    CampaignStatus,
    MessageKind,
    Party,
    PromoterCampaign,
)
from campaigns.services.base import (
    AlreadyParticipating,
    CampaignError,
    CampaignNotOpen,
    InvalidTransition,
    NotAllowed,
    NotYourTurn,
)
from campaigns.services.lifecycle import applications_close


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
                    participation = PromoterCampaign.objects.create(campaign=locked, promoter=promoter)
                invitation_answers.invitation_answered(campaign=locked, promoter=promoter, status="joined")
                return participation
            except IntegrityError:
                if PromoterCampaign.objects.filter(campaign=locked, promoter=promoter).exists():
                    raise AlreadyParticipating("You have already joined this campaign.") from None
        raise CampaignError("Could not join right now. Please try again.")


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
        invitation_answers.invitation_answered(campaign=locked, promoter=promoter, status="applied")
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


def _answer_lock(application: CampaignApplication, actor, *, not_your_turn: str):
    """Lock the application for `actor` to answer the offer on the table (in `atomic()`): it must be
    open, in a campaign still taking applications, and waiting for `actor`'s side (never one's own
    offer; `not_your_turn` says why not). Returns (campaign, locked application, actor's party)."""
    campaign, locked = _application_lock(application)
    party = _require_party(locked, actor)
    _require_open(locked)
    if locked.awaiting != party:
        raise NotYourTurn(not_your_turn)
    if not campaign.is_open_for_applications:
        raise CampaignNotOpen("This campaign is no longer taking applications.")
    return campaign, locked, party


def application_accept(*, application: CampaignApplication, actor) -> PromoterCampaign:
    """Accept the offer on the table; only the party whose turn it is can (never one's own offer).

    Selects the promoter: creates their PromoterCampaign with `agreed_amount` and closes every
    other open application. Hook for billing: the advertiser now funds `agreed_amount`
    (plus fee) and billing calls `campaign_activate`.
    """
    with transaction.atomic():
        campaign, locked, party = _answer_lock(
            application,
            actor,
            not_your_turn="You made the current offer; wait for the other side to accept or counter it.",
        )
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
        applications_close(
            campaign=campaign, code=ApplicationDecisionReason.ANOTHER_PROMOTER_SELECTED, exclude_pk=locked.pk
        )
        notifications.application_accepted(application=locked, participation=participation, by_party=party)
    application.status = locked.status
    return participation


def application_counter(
    *, application: CampaignApplication, actor, amount_cents: int, message: str = ""
) -> CampaignApplication:
    """Put a new amount on the table; the turn passes to the other side."""
    with transaction.atomic():
        campaign, locked, party = _answer_lock(
            application, actor, not_your_turn="It is the other side's turn to answer your offer."
        )
        _amount_within_budget(campaign, amount_cents)
        locked.current_amount = amount_cents
        locked.status = ApplicationStatus.COUNTERED if party == Party.ADVERTISER else ApplicationStatus.PENDING
        locked.save(update_fields=["current_amount", "status", "updated_at"])
        offer = ApplicationMessage.objects.create(
            application=locked, author=actor, kind=MessageKind.OFFER, body=message, amount=amount_cents
        )
        notifications.application_countered(application=locked, offer=offer, by_party=party)
    return locked


def application_reject(*, application: CampaignApplication, actor, code: str, note: str = "") -> CampaignApplication:
    """Reject for `code` (one of APPLICATION_REJECTION_REASONS), with the advertiser's optional
    note (required for OTHER); the promoter reads both."""
    try:
        code, note = reason_checked(code=code, note=note, allowed=APPLICATION_REJECTION_REASONS)
    except ReasonInvalid as invalid:
        raise CampaignError(invalid.message) from None
    with transaction.atomic():
        _campaign, locked = _application_lock(application)
        _require_party(locked, actor, Party.ADVERTISER)
        _require_open(locked)
        locked.status = ApplicationStatus.REJECTED
        locked.decision_reason_code, locked.decision_reason = code, note
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decision_reason_code", "decision_reason", "decided_at", "updated_at"])
        ApplicationMessage.objects.create(
            application=locked,
            author=actor,
            kind=MessageKind.SYSTEM,
            body=f"Rejected. Reason: {locked.decision_reason_text}",
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
