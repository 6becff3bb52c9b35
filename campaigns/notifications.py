"""What each campaign event tells whom, and where the recipient acts on it.

`campaigns.services` calls these inside the transaction that makes the change, so a rollback
sends nothing, and `notify` stores each (user, event_key) once. An event key names the row that
makes the event unique: replaying the same change (a retried task, a double click) finds the same
key, while a genuinely new event (a second counter-offer, a resubmission after a revision
request, a second pause) comes with a new row and so a new key.

Nobody is told about their own action: the page they clicked already says what happened.
"""

from django.urls import reverse
from django.utils import formats

from accounts.models import NotificationKind
from accounts.notifications import notify
from campaignplatform.money import dollars
from campaigns.models import (
    APPLICATION_TYPES,
    CampaignStatus,
    CampaignStatusChange,
    CampaignType,
    CampaignWork,
    ParticipationStatus,
    Party,
    PromoterCampaign,
    StatusReason,
)


def _excerpt(text: str, limit: int = 500) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else f"{text[: limit - 1].rstrip()}…"


def _promoter_name(user) -> str:
    details = getattr(user, "promoter_details", None)  # missing profile: RelatedObjectDoesNotExist
    return (details.display_name if details else "") or user.display_name


def _advertiser_name(user) -> str:
    details = getattr(user, "advertiser_details", None)
    return (details.company_name if details else "") or user.display_name


def _application_url(application) -> str:
    return reverse("campaigns:application_detail", args=[application.public_id])


def _participation_url(participation) -> str:
    return reverse("campaigns:participation_detail", args=[participation.public_id])


def _work_loaded(work):
    """The work re-read with its milestone, participation, promoter and campaign (one query),
    after the service's conditional UPDATE changed it."""
    return CampaignWork.objects.select_related(
        "deliverable__promoter_campaign__campaign", "deliverable__promoter_campaign__promoter"
    ).get(pk=work.pk)


def _campaign_url(campaign) -> str:
    return reverse("campaigns:advertiser_detail", args=[campaign.public_id])


def _fund_url(campaign) -> str:
    return reverse("billing:fund", args=[campaign.public_id])


# Who is told about what, where they act on it, and the event key that makes it once: one helper
# per subject, so each notice below says only what is particular to it.


def _about_application(application, event: str, *, user, kind: str, title: str, body: str, url: str = "") -> None:
    url, event_key = url or _application_url(application), f"application:{application.pk}:{event}"
    notify(user=user, kind=kind, title=title, body=body, url=url, event_key=event_key)


def _about_work(work, participation, event: str, *, user, kind: str, title: str, body: str) -> None:
    url, event_key = _participation_url(participation), f"work:{work.pk}:{event}"
    notify(user=user, kind=kind, title=title, body=body, url=url, event_key=event_key)


def _to_advertiser(campaign, event: str, *, kind: str, title: str, body: str, url: str = "") -> None:
    url, event_key = url or _campaign_url(campaign), f"campaign:{campaign.pk}:{event}"
    notify(user=campaign.advertiser, kind=kind, title=title, body=body, url=url, event_key=event_key)


def _to_participant(campaign, participation, event: str, *, kind: str, title: str, body: str) -> None:
    url, event_key = _participation_url(participation), f"campaign:{campaign.pk}:{event}"
    notify(user=participation.promoter, kind=kind, title=title, body=body, url=url, event_key=event_key)


# --- Applications and negotiation -----------------------------------------------------------


def application_received(*, application) -> None:
    campaign = application.campaign
    pitch = _excerpt(application.pitch)
    _about_application(
        application,
        "received",
        user=campaign.advertiser,
        kind=NotificationKind.APPLICATION_RECEIVED,
        title=f"New application for “{campaign.title}”",
        body=(
            f"{_promoter_name(application.promoter)} offers to do “{campaign.title}” for "
            f"{dollars(application.current_amount)}. Accept the offer, make a counter-offer or reject it."
            + (f"\n\nTheir pitch: {pitch}" if pitch else "")
        ),
    )


def application_countered(*, application, offer, by_party: str) -> None:
    """`offer` is the OFFER message just written: each counter-offer has its own."""
    campaign = application.campaign
    amount = dollars(offer.amount)
    if by_party == Party.ADVERTISER:
        recipient, who = application.promoter, _advertiser_name(campaign.advertiser)
        answers = "accept it, make a counter-offer or withdraw"
    else:
        recipient, who = campaign.advertiser, _promoter_name(application.promoter)
        answers = "accept it, make a counter-offer or reject the application"
    message = _excerpt(offer.body)
    _about_application(
        application,
        f"offer:{offer.pk}",
        user=recipient,
        kind=NotificationKind.APPLICATION_COUNTERED,
        title=f"New offer of {amount} for “{campaign.title}”",
        body=f"{who} proposes {amount}. It is your turn: {answers}."
        + (f"\n\nTheir message: {message}" if message else ""),
    )


def application_accepted(*, application, participation, by_party: str) -> None:
    """Tell the side whose offer was accepted (the accepting side is the actor)."""
    campaign = application.campaign
    amount = dollars(application.current_amount)
    awaiting_funding = campaign.status == CampaignStatus.AWAITING_FUNDING
    if by_party == Party.ADVERTISER:
        _about_application(
            application,
            "accepted",
            user=application.promoter,
            kind=NotificationKind.APPLICATION_ACCEPTED,
            title=f"You were selected for “{campaign.title}”",
            body=(
                f"{_advertiser_name(campaign.advertiser)} accepted your offer of {amount}. "
                + (
                    "They now fund the campaign with that amount; we will tell you when it is live "
                    "and you can start on the milestones."
                    if awaiting_funding
                    else "Open the collaboration to see the milestones."
                )
            ),
            url=_participation_url(participation),
        )
    else:
        _about_application(
            application,
            "accepted",
            user=campaign.advertiser,
            kind=NotificationKind.APPLICATION_ACCEPTED,
            title=f"{_promoter_name(application.promoter)} accepted your offer for “{campaign.title}”",
            body=(
                f"Your offer of {amount} was accepted. "
                + (
                    f"Fund the campaign with {amount} (plus the platform fee) so the work can start."
                    if awaiting_funding
                    else "Add milestones so the work can start."
                )
            ),
            url=_fund_url(campaign) if awaiting_funding else _participation_url(participation),
        )


def application_rejected(*, application) -> None:
    campaign = application.campaign
    notify(
        user=application.promoter,
        kind=NotificationKind.APPLICATION_REJECTED,
        title=f"Your application for “{campaign.title}” was not accepted",
        body=f"{_advertiser_name(campaign.advertiser)} gave this reason: {_excerpt(application.decision_reason_text)}",
        url=_application_url(application),
        event_key=f"application:{application.pk}:rejected",
    )


# --- Work ---------------------------------------------------------------------------------------


def work_submitted(*, work, deliverable, participation) -> None:
    campaign = participation.campaign
    due = formats.date_format(work.auto_approve_after, "DATE_FORMAT")
    _about_work(
        work,
        participation,
        "submitted",
        user=campaign.advertiser,
        kind=NotificationKind.WORK_SUBMITTED,
        title=f"Work to review: “{deliverable.title}”",
        body=(
            f"{_promoter_name(participation.promoter)} submitted work for the milestone “{deliverable.title}” "
            f"({dollars(deliverable.amount)}) of “{campaign.title}”. Approve it, ask for a revision or "
            f"reject it. If it is not reviewed by {due}, it is approved automatically and paid."
        ),
    )


def work_approved(*, work) -> None:
    """Approval happens once per work (a conditional UPDATE), so the work names the event."""
    work = _work_loaded(work)
    deliverable = work.deliverable
    participation = deliverable.promoter_campaign
    campaign = participation.campaign
    how = (
        "was approved automatically (the advertiser did not review it in time)"
        if work.auto_approved
        else f"was approved by {_advertiser_name(campaign.advertiser)}"
    )
    _about_work(
        work,
        participation,
        "approved",
        user=participation.promoter,
        kind=NotificationKind.WORK_APPROVED,
        title=f"Work approved: “{deliverable.title}”",
        body=(
            f"Your work for the milestone “{deliverable.title}” of “{campaign.title}” {how}. "
            + _payment_news(participation.promoter, deliverable.amount)
        ),
    )


def _payment_news(promoter, amount_cents) -> str:
    """Whether the money can move now: it waits in the wallet until Stripe onboarding is done."""
    account = getattr(promoter, "connect_account", None)  # the reverse one-to-one; missing: none
    if account is not None and account.can_receive_money:
        return f"Its {dollars(amount_cents)} is being paid to you now."
    return (
        f"Its {dollars(amount_cents)} is yours and waits in your wallet: finish “Get paid” (Stripe) "
        "and it is sent to you."
    )


def work_reviewed(*, work, revision: bool) -> None:
    """Sent back: a revision request (submit again) or a rejection (the milestone closes unpaid).
    A resubmission is a new work row, so a second revision request has its own key."""
    work = _work_loaded(work)
    deliverable = work.deliverable
    participation = deliverable.promoter_campaign
    campaign = participation.campaign
    reason = _excerpt(work.review_reason_text, 1500)
    if revision:
        kind, key = NotificationKind.WORK_REVISION_REQUESTED, "revision_requested"
        title = f"Changes requested: “{deliverable.title}”"
        body = (
            f"{_advertiser_name(campaign.advertiser)} asks for changes to your work for the milestone "
            f"“{deliverable.title}” of “{campaign.title}”. Update it and submit it again.\n\nTheir reason: {reason}"
        )
    else:
        kind, key = NotificationKind.WORK_REJECTED, "rejected"
        title = f"Work rejected: “{deliverable.title}”"
        body = (
            f"{_advertiser_name(campaign.advertiser)} rejected your work for the milestone “{deliverable.title}” "
            f"of “{campaign.title}”; the milestone is closed unpaid.\n\nTheir reason: {reason}"
        )
    _about_work(work, participation, key, user=participation.promoter, kind=kind, title=title, body=body)


# --- Campaign status ------------------------------------------------------------------------


def campaign_status_changed(*, change: CampaignStatusChange) -> None:
    """Called by `_campaign_move` for every move, in its transaction; decides who hears of it."""
    campaign = change.campaign
    by_advertiser = change.actor_id is not None and change.actor_id == campaign.advertiser_id
    if change.to_status == CampaignStatus.ACTIVE and change.from_status == CampaignStatus.AWAITING_FUNDING:
        _campaign_funded(campaign)
    elif change.to_status == CampaignStatus.ACTIVE and not by_advertiser:
        _campaign_resumed(campaign, change)
    elif change.to_status == CampaignStatus.PAUSED and not by_advertiser:
        _campaign_paused(campaign, change)
    elif change.to_status == CampaignStatus.COMPLETED and not by_advertiser:
        _campaign_completed(campaign, change)
    if change.to_status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED):
        _campaign_ended_for_promoters(campaign, change)


def _campaign_funded(campaign) -> None:
    # Funding happens once (awaiting funding -> active has no way back).
    if campaign.campaign_type == CampaignType.VISIBILITY:
        what = (
            f"Promoters can now join it and share their links. You pay {dollars(campaign.cpv)} per 100 "
            f"unique views, up to {campaign.max_views:,} views."
        )
    elif campaign.campaign_type == CampaignType.SALESMAN:
        what = f"Promoters can now join it and earn {campaign.commission_per_sale}% commission on the sales you verify."
    else:
        what = "Your selected promoter can now start. Agree the milestones with them and review the work they submit."
    _to_advertiser(
        campaign,
        "funded",
        kind=NotificationKind.CAMPAIGN_FUNDED,
        title=f"“{campaign.title}” is funded and live",
        body=f"We received the payment for “{campaign.title}”. {what}",
    )
    if campaign.campaign_type in APPLICATION_TYPES:
        participation = (
            PromoterCampaign.objects.filter(campaign=campaign, agreed_amount__isnull=False)
            .select_related("promoter")
            .first()
        )
        if participation is not None:
            _to_participant(
                campaign,
                participation,
                "funded",
                kind=NotificationKind.CAMPAIGN_FUNDED,
                title=f"“{campaign.title}” is funded: you can start",
                body=(
                    f"{_advertiser_name(campaign.advertiser)} funded the agreed "
                    f"{dollars(participation.agreed_amount)}. Each milestone is paid as soon as its work is approved."
                ),
            )


def _campaign_resumed(campaign, change) -> None:
    if change.reason_code == StatusReason.BUDGET_TOPPED_UP:
        body = f"The top-up is in the budget of “{campaign.title}”, so it is running again."
    elif change.actor_id:
        body = f"Staff resumed “{campaign.title}”; it is running again."
    else:
        body = f"“{campaign.title}” is running again."
    _to_advertiser(
        campaign,
        f"resumed:{change.pk}",
        kind=NotificationKind.CAMPAIGN_RESUMED,
        title=f"“{campaign.title}” is live again",
        body=body,
    )


def _campaign_paused(campaign, change) -> None:
    url = ""  # the campaign's page
    if change.reason_code == StatusReason.BUDGET_USED_UP:
        if campaign.campaign_type == CampaignType.VISIBILITY and campaign.paid_views >= (campaign.max_views or 0):
            return  # every funded view is counted: the campaign completes next, and that is what we tell
        title = f"“{campaign.title}” is paused: its budget is used up"
        if campaign.campaign_type == CampaignType.SALESMAN:
            body = (
                f"The commission budget of “{campaign.title}” is used up, so it is paused. Sales you verify "
                "meanwhile wait for commission; top up the budget and they are paid at once and the "
                "campaign resumes."
            )
        else:
            body = (
                f"The budget of “{campaign.title}” is used up, so it is paused and no more views count. "
                "Top up to buy more views and it resumes."
            )
        url = _fund_url(campaign)
    elif change.actor_id:
        title = f"“{campaign.title}” was paused by staff"
        body = (
            f"Our staff paused “{campaign.title}” ({change.reason or 'no reason given'}). While it is paused "
            "no new promoters can join and no new views or work submissions count."
        )
    else:
        title = f"“{campaign.title}” is paused"
        body = f"“{campaign.title}” is paused" + (f": {change.reason}." if change.reason else ".")
    _to_advertiser(
        campaign, f"paused:{change.pk}", kind=NotificationKind.CAMPAIGN_PAUSED, title=title, body=body, url=url
    )


def _campaign_completed(campaign, change) -> None:
    if change.reason_code == StatusReason.VIEW_CAP_REACHED:
        title = f"“{campaign.title}” reached its {campaign.max_views:,} views"
        why = f"It counted all {campaign.max_views:,} paid views it was funded for, so it is completed."
    else:
        title = f"“{campaign.title}” is completed"
        why = "It has ended" + (f" ({change.reason})." if change.reason else ".")
    _to_advertiser(
        campaign,
        "completed",
        kind=NotificationKind.CAMPAIGN_COMPLETED,
        title=title,
        body=(
            f"{why} Any unused budget and its platform fee are refunded to the card or bank account that paid them; "
            "we will tell you when the refund is issued."
        ),
    )


_AFTER_THE_END = {
    CampaignType.VISIBILITY: "Views of your link no longer count; what you earned so far stays in your wallet.",
    CampaignType.SALESMAN: "New sales through your link or code no longer earn commission; "
    "what you earned so far stays in your wallet.",
    CampaignType.CONSULTANT: "Milestones already approved stay paid; no more work can be submitted.",
    CampaignType.SELLER: "Milestones already approved stay paid; no more work can be submitted.",
}


def _campaign_ended_for_promoters(campaign, change) -> None:
    """Tell everyone still taking part (called before their participations are closed)."""
    cancelled = change.to_status == CampaignStatus.CANCELLED
    verb = "was cancelled" if cancelled else "has ended"
    reason = _excerpt(change.reason, 300)
    body = (
        f"{_advertiser_name(campaign.advertiser)}'s campaign “{campaign.title}” {verb}"
        + (f" ({reason})" if reason and change.reason_code != StatusReason.VIEW_CAP_REACHED else "")
        + f". {_AFTER_THE_END[campaign.campaign_type]}"
    )
    participations = PromoterCampaign.objects.filter(
        campaign=campaign, status=ParticipationStatus.ACTIVE
    ).select_related("promoter")
    for participation in participations:
        _to_participant(
            campaign,
            participation,
            "ended",
            kind=NotificationKind.CAMPAIGN_CANCELLED if cancelled else NotificationKind.CAMPAIGN_COMPLETED,
            title=f"“{campaign.title}” {verb}",
            body=body,
        )
