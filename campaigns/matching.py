"""How well a promoter fits a campaign: a score out of 100 and the reasons behind it.

Points (the same rule on both sides, so a promoter and an advertiser see the same number):

| part        | points | from |
|-------------|--------|------|
| skills      | 0-30   | share of the campaign's skills the promoter holds (15 when it asks for none) |
| languages   | 0-20   | 20 when the promoter speaks one of its languages, 0 when not, 10 when it asks for none |
| category    | 0-10   | 10 when the promoter has worked in the campaign's category before |
| audience    | 0-25   | followers on the best platform the campaign targets (any when none), log |
|             |        | scale: 1,000 followers -> 12, 1M -> 25 |
| track record| 0-15   | mean of completion, work on time, sales verified, real views shares (7 with no record) |

The score is computed in the database for all listed campaigns at once (`campaigns_best_match`,
`promoters_best_match`), so ordering a page costs one query whatever the page holds; the
reasons are worded in Python for the rows of the page only, from rows already fetched.
"""

import math
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import QuerySet, prefetch_related_objects

from accounts.models import SocialPlatform, User
from campaigns.models import Campaign, PromoterCampaign

SKILL_POINTS, LANGUAGE_POINTS, CATEGORY_POINTS, AUDIENCE_POINTS, TRACK_POINTS = 30, 20, 10, 25, 15
AUDIENCE_FULL_AT_LOG10 = 6  # a million followers earns every audience point
PLATFORM_LABELS = dict(SocialPlatform.choices)


@dataclass(frozen=True)
class Reason:
    code: str  # "skill", "language", "category", "audience", "completion", ...
    text: str


@dataclass
class Match:
    score: int
    reasons: list[Reason]


@dataclass
class TrackRecord:
    campaigns_completed: int = 0
    campaigns_cancelled: int = 0
    works_approved: int = 0
    works_approved_on_time: int = 0
    works_rejected: int = 0
    sales_verified: int = 0
    sales_rejected: int = 0
    link_requests: int = 0
    link_real_views: int = 0

    @classmethod
    def of(cls, user) -> "TrackRecord":
        return cls(**{name: getattr(user, name) for name in cls.__dataclass_fields__})

    def shares(self) -> list[tuple[str, int, int]]:
        """(code, part, whole) for each figure with something to measure."""
        figures = [
            ("completion", self.campaigns_completed, self.campaigns_completed + self.campaigns_cancelled),
            ("on_time", self.works_approved_on_time, self.works_approved + self.works_rejected),
            ("sales_verified", self.sales_verified, self.sales_verified + self.sales_rejected),
            ("real_views", self.link_real_views, self.link_requests),
        ]
        return [(code, part, whole) for code, part, whole in figures if whole]

    def points(self) -> int:
        shares = [part / whole for _code, part, whole in self.shares()]
        if not shares:
            return TRACK_POINTS // 2
        return round(TRACK_POINTS * sum(shares) / len(shares))


@dataclass
class PromoterProfile:
    """What matching needs to know of one promoter (one query, or prefetched rows)."""

    user_id: int
    languages: dict[int, str] = field(default_factory=dict)
    skills: dict[int, str] = field(default_factory=dict)
    followers: dict[str, int] = field(default_factory=dict)
    categories: dict[int, str] = field(default_factory=dict)
    track: TrackRecord = field(default_factory=TrackRecord)


def audience_points(followers: int) -> int:
    if followers <= 0:
        return 0
    return min(AUDIENCE_POINTS, round(AUDIENCE_POINTS * math.log10(followers + 1) / AUDIENCE_FULL_AT_LOG10))


# One round trip for the four lists (each row: kind, id, name or platform, followers).
_PROFILE_SQL = """
SELECT 'language', pl.language_id, l.name, NULL::bigint
FROM promoter_languages pl JOIN languages l ON l.id = pl.language_id WHERE pl.promoter_id = %(details)s
UNION ALL
SELECT 'skill', ps.skill_id, s.name, NULL FROM promoter_skills ps JOIN skills s ON s.id = ps.skill_id
WHERE ps.promoter_id = %(details)s
UNION ALL
SELECT 'platform', NULL, fe.platform, fe.followers FROM follower_estimates fe WHERE fe.promoter_id = %(details)s
UNION ALL
SELECT DISTINCT 'category', c.category_id, t.name, NULL::bigint
FROM promoter_campaigns pc JOIN campaigns c ON c.id = pc.campaign_id JOIN advertiser_types t ON t.id = c.category_id
WHERE pc.promoter_id = %(user)s
"""


def promoter_profile(user) -> PromoterProfile:
    """Load one promoter's profile: one query, whatever the marketplace holds."""
    profile = PromoterProfile(user_id=user.pk, track=TrackRecord.of(user))
    details = getattr(user, "promoter_details", None)
    if details is None:
        return profile
    lists = {"language": profile.languages, "skill": profile.skills, "category": profile.categories}
    with connection.cursor() as cursor:
        cursor.execute(_PROFILE_SQL, {"details": details.pk, "user": user.pk})
        for kind, pk, name, followers in cursor.fetchall():
            if kind == "platform":
                profile.followers[name] = followers
            else:
                lists[kind][pk] = name
    return profile


def profile_from_prefetched(user) -> PromoterProfile:
    """The same profile from rows `promoters_best_match` prefetched (no query)."""
    details = user.promoter_details
    return PromoterProfile(
        user_id=user.pk,
        languages={link.language_id: link.language.name for link in details.language_links.all()},
        skills={link.skill_id: link.skill.name for link in details.skill_links.all()},
        followers={estimate.platform: estimate.followers for estimate in details.follower_estimates.all()},
        categories=getattr(user, "past_categories", {}),
        track=TrackRecord.of(user),
    )


# --- Promoter side: rank the listed campaigns ----------------------------------------------------


def campaigns_best_match(campaigns: QuerySet, profile: PromoterProfile):
    """`campaigns` in best-match order, each row with `match_score` (see campaigns.ranking)."""
    from campaigns.ranking import RankedCampaigns  # ranking builds on this module's rules

    return RankedCampaigns(campaigns, profile)


def match_for(campaign: Campaign, profile: PromoterProfile) -> Match:
    """The score and its reasons; reads the campaign's prefetched languages and skills."""
    languages = [(language.pk, language.name) for language in campaign.languages.all()]
    skills = [(skill.pk, skill.name) for skill in campaign.skills.all()]
    return _match(campaign, profile, languages=languages, skills=skills)


def _match(campaign: Campaign, profile: PromoterProfile, *, languages, skills) -> Match:
    """The rules, given the campaign's languages and skills as (id, name) in their listed order."""
    reasons, score = [], 0

    held = [name for pk, name in skills if pk in profile.skills]
    score += SKILL_POINTS * len(held) // len(skills) if skills else SKILL_POINTS // 2
    reasons += [Reason("skill", f"skilled in {name}") for name in held]

    spoken = [name for pk, name in languages if pk in profile.languages]
    score += (LANGUAGE_POINTS if spoken else 0) if languages else LANGUAGE_POINTS // 2
    reasons += [Reason("language", f"speaks {name}") for name in spoken]

    if campaign.category_id in profile.categories:
        score += CATEGORY_POINTS
        reasons.append(Reason("category", f"has worked in {profile.categories[campaign.category_id]}"))

    best = _best_platform(profile.followers, campaign.platforms)
    if best:
        platform, followers = best
        score += audience_points(followers)
        reasons.append(Reason("audience", f"{_short_number(followers)} followers on {PLATFORM_LABELS[platform]}"))

    score += profile.track.points()
    reasons += track_reasons(profile.track)
    return Match(score=score, reasons=reasons)


def _best_platform(followers: dict[str, int], targeted: list[str]):
    candidates = [
        (platform, count) for platform, count in followers.items() if count and (not targeted or platform in targeted)
    ]
    return max(candidates, key=lambda pair: pair[1], default=None)


def track_reasons(track: TrackRecord) -> list[Reason]:
    words = {
        "completion": lambda part, whole: f"{part} of {whole} campaigns completed",
        "on_time": lambda part, whole: f"{part} of {whole} works approved on time",
        "sales_verified": lambda part, whole: f"{part} of {whole} sales verified",
        "real_views": lambda part, whole: f"{round(100 * part / whole)}% of link clicks were real views",
    }
    return [Reason(code, words[code](part, whole)) for code, part, whole in track.shares()]


def _short_number(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}M".replace(".0M", "M")
    if count >= 1_000:
        return f"{count / 1_000:.1f}k".replace(".0k", "k")
    return str(count)


@dataclass(frozen=True)
class Catalogue:
    """Every skill's and language's name, in the order pages list them (by name). Read once for a
    page of campaigns, whose own skills and languages then come from the ids on their rows
    (`skill_ids`, `language_ids`) rather than from a query of each one's links."""

    skills: dict[int, str]
    languages: dict[int, str]

    @classmethod
    def load(cls) -> "Catalogue":
        catalogue = cls(skills={}, languages={})
        with connection.cursor() as cursor:
            cursor.execute(_CATALOGUE_SQL)
            for kind, pk, name in cursor.fetchall():
                getattr(catalogue, kind)[pk] = name
        return catalogue

    def skills_of(self, campaign: Campaign) -> list[tuple[int, str]]:
        ids = set(campaign.skill_ids)
        return [(pk, name) for pk, name in self.skills.items() if pk in ids]

    def languages_of(self, campaign: Campaign) -> list[tuple[int, str]]:
        ids = set(campaign.language_ids)
        return [(pk, name) for pk, name in self.languages.items() if pk in ids]


# Both small reference tables in one round trip, each by name as its model orders it.
_CATALOGUE_SQL = """
SELECT 'skills', id, name FROM skills UNION ALL SELECT 'languages', id, name FROM languages ORDER BY 1, 3
"""


def campaigns_match_page(campaigns, profile: PromoterProfile, catalogue: Catalogue) -> None:
    """Set `campaign.match` on each campaign of a page, fresh from the database (its row's ids)."""
    for campaign in campaigns:
        campaign.match = _match(
            campaign, profile, languages=catalogue.languages_of(campaign), skills=catalogue.skills_of(campaign)
        )


# --- Advertiser side: rank promoters for one campaign ----------------------------------------------


def promoters_best_match(campaign: Campaign, *, limit: int = 10) -> list:
    """The promoters who fit `campaign` best, each with `.match_score` and `.match` (score and
    reasons). Promoters who already applied to or joined it are left out. Constant queries: the
    ranking (campaigns.ranking), then the rows shown with their prefetched profiles."""
    from campaigns.ranking import promoters_ranked

    prefetch_related_objects([campaign], "languages", "skills")  # read by the ranking and each match
    ranked = promoters_ranked(campaign, limit=limit)
    by_id = (
        User.objects.select_related("promoter_details")
        .prefetch_related(
            "promoter_details__language_links__language",
            "promoter_details__skill_links__skill",
            "promoter_details__follower_estimates",
        )
        .in_bulk([user_id for user_id, _score in ranked])
    )
    promoters = []
    for user_id, score in ranked:
        promoter = by_id[user_id]
        promoter.match_score = score
        promoters.append(promoter)
    _past_categories_set(promoters)
    for promoter in promoters:
        promoter.match = match_for(campaign, profile_from_prefetched(promoter))
    return promoters


def _past_categories_set(promoters) -> None:
    rows = (
        PromoterCampaign.objects.filter(promoter__in=promoters, campaign__category__isnull=False)
        .values_list("promoter_id", "campaign__category_id", "campaign__category__name")
        .distinct()
        .order_by()
    )
    by_promoter: dict[int, dict[int, str]] = {}
    for promoter_id, category_id, name in rows:
        by_promoter.setdefault(promoter_id, {})[category_id] = name
    for promoter in promoters:
        promoter.past_categories = by_promoter.get(promoter.pk, {})
