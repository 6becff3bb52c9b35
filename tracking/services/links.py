"""Referral links and coupon codes: resolving a promoter's link to its campaign."""

import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction

from campaigns.models import CampaignStatus, CampaignType, ParticipationStatus, PromoterCampaign
from tracking.models import (
    CouponCode,
)
from tracking.services.base import COUPON_ALPHABET, COUPON_LENGTH, TrackingError


@dataclass(frozen=True)
class Link:
    """What the redirect needs about a tracking code, read in one query."""

    participation_id: int
    campaign_id: int
    promoter_id: int
    code: str
    target_url: str
    campaign_type: str
    campaign_status: str
    participation_status: str

    @property
    def counts_views(self):
        return (
            self.campaign_type == CampaignType.VISIBILITY
            and self.campaign_status == CampaignStatus.ACTIVE
            and self.participation_status == ParticipationStatus.ACTIVE
        )


# Per-process cache of link lookups for the redirect (TRACKING_LINK_CACHE_SECONDS). Safe to be a
# few seconds stale: a participation's target URL never changes once the campaign is published,
# and the cap's UPDATE re-checks the campaign's status in the database, so a stale "active"
# cannot pay a view (it is refused as capped); a stale "paused" delays counting by the TTL.
_link_cache: dict[str, tuple[float, "Link | None"]] = {}
_LINK_CACHE_MAX = 10_000


def link_lookup(code: str, *, cached: bool = False) -> Link | None:
    # Codes are letters and digits: anything else (a NUL byte, say) is no link, not a query.
    if not code or len(code) > 16 or not (code.isascii() and code.isalnum()):
        return None
    ttl = settings.TRACKING_LINK_CACHE_SECONDS if cached else 0
    hit = _link_cache.get(code) if ttl > 0 else None
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    try:
        link = _link_query(code)
    except DatabaseError:
        if hit is None:
            raise
        # The database does not answer: a link seen before still redirects, and its click waits
        # in the writer's queue (or spill file) until the database is back.
        return hit[1]
    if ttl > 0:
        if len(_link_cache) >= _LINK_CACHE_MAX:
            _link_cache.clear()  # a flood of random codes must not grow memory
        _link_cache[code] = (time.monotonic() + ttl, link)
    return link


def _link_query(code: str) -> Link | None:
    row = (
        PromoterCampaign.objects.filter(tracking_code=code)
        .values_list(
            "pk",
            "campaign_id",
            "promoter_id",
            "tracking_code",
            "campaign__target_url",
            "campaign__campaign_type",
            "campaign__status",
            "status",
        )
        .first()
    )
    return Link(*row) if row else None


def referral_target(*, target_url: str, code: str) -> str:
    """The campaign's own URL with `ref=<code>` added; its other query parameters are kept (an
    existing `ref` is replaced). Nothing from the incoming request goes into it."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(target_url)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "ref"]
    query.append(("ref", code))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def coupon_ensure(*, participation: PromoterCampaign) -> CouponCode | None:
    """The participation's coupon code, created on first use, for Salesman campaigns tracked by coupon.

    Codes are random (8 characters, no look-alike letters) and unique within the campaign; a
    collision is retried with a fresh code.
    """
    campaign = participation.campaign
    if not campaign.is_salesman or campaign.tracking_method not in ("coupon_code", "both"):
        return None
    existing = CouponCode.objects.filter(participation=participation).first()
    if existing:
        return existing
    for _attempt in range(5):
        code = "".join(secrets.choice(COUPON_ALPHABET) for _ in range(COUPON_LENGTH))
        try:
            with transaction.atomic():
                return CouponCode.objects.create(participation=participation, campaign=campaign, code=code)
        except IntegrityError:
            existing = CouponCode.objects.filter(participation=participation).first()
            if existing:
                return existing
    raise TrackingError("Could not create a coupon code right now. Please try again.")
