"""What an advertiser reads about a promoter: the public profile, in a handful of queries."""

from dataclasses import dataclass

from django.shortcuts import get_object_or_404

from accounts.models import Role, User
from campaigns import matching
from campaigns.models import PromoterCampaign

PAST_CAMPAIGNS_SHOWN = 20


@dataclass
class PromoterProfilePage:
    promoter: User
    followers: list
    skills: list
    languages: list
    track: matching.TrackRecord
    figures: list[matching.Reason]
    past: list


def _named_for(participation, viewer) -> bool:
    """Whom a promoter works for is the advertisers' business: a past campaign's title and
    advertiser are shown to that advertiser and to the promoter; others see its type,
    category, month and outcome, which is what choosing a promoter needs."""
    return viewer is not None and viewer.pk in (participation.promoter_id, participation.campaign.advertiser_id)


def promoter_profile_read(public_id, *, viewer=None) -> PromoterProfilePage:
    promoter = get_object_or_404(
        User.objects.select_related("promoter_details").prefetch_related(
            "promoter_details__language_links__language",
            "promoter_details__skill_links__skill",
            "promoter_details__follower_estimates",
        ),
        public_id=public_id,
        role=Role.PROMOTER,
        promoter_details__isnull=False,
    )
    details = promoter.promoter_details
    track = matching.TrackRecord.of(promoter)
    past = list(
        PromoterCampaign.objects.filter(promoter=promoter)
        .select_related("campaign__advertiser__advertiser_details", "campaign__category")
        .order_by("-joined_at")[:PAST_CAMPAIGNS_SHOWN]
    )
    for participation in past:
        participation.named = _named_for(participation, viewer)
    return PromoterProfilePage(
        promoter=promoter,
        followers=list(details.follower_estimates.all()),
        skills=list(details.skill_links.all()),
        languages=list(details.language_links.all()),
        track=track,
        figures=matching.track_reasons(track),
        past=past,
    )
