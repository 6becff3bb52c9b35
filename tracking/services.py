"""Tracking services: counting views, accruing their earnings, recording and paying sales.

Money goes through billing's services only: `campaign_budget_spend` for view earnings and
commissions, `campaign_budget_spend_reverse` for a refunded sale's commission (see `sale_refund`).
Lock order everywhere: campaign row, then the sale / accrual row, then the
ledger accounts (which `billing.ledger` locks in primary-key order).
"""

import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from django_q.tasks import async_task

from accounts.models import NotificationKind
from accounts.notifications import notify
from campaignplatform.money import dollars
from campaigns import services as campaign_services
from campaigns.models import Campaign, CampaignStatus, CampaignType, ParticipationStatus, PromoterCampaign
from tracking import performance
from tracking.bots import is_bot
from tracking.models import (
    EARLIEST_SALE,
    MAX_SALE_CENTS,
    ORDER_ID_MAX_LENGTH,
    ApiKey,
    CommissionDeduction,
    CouponCode,
    RateLimitWindow,
    RejectReason,
    SaleRecord,
    SaleSource,
    SaleStatus,
    SaleStatusChange,
    ViewAccrual,
    ViewBatch,
    ViewStat,
    api_key_hash,
)
from tracking.visitors import ip_key, visitor_key
from tracking.writer import background_writer

logger = logging.getLogger(__name__)

VIEW_CAP_REACHED_REASON = "view cap reached"
BUDGET_USED_UP_REASON = "budget used up"
COUPON_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
COUPON_LENGTH = 8


class TrackingError(Exception):
    """A domain error whose message the user (or API client) can act on."""

    status = 422


class SaleInvalid(TrackingError):
    status = 422


class SaleConflict(TrackingError):
    status = 409


class SaleNotFound(TrackingError):
    status = 404


# --- Money contract (billing/services.py) ----------------------------------------------------


def _billing():
    """billing's money contract; imported late so tracking loads before billing's services exist."""
    from billing import services

    return services


# --- Links ---------------------------------------------------------------------------------


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
    if not code or len(code) > 16:
        return None
    ttl = settings.TRACKING_LINK_CACHE_SECONDS if cached else 0
    if ttl > 0:
        hit = _link_cache.get(code)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
    link = _link_query(code)
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


# --- Views: the redirect's hot path -----------------------------------------------------------


# How a click is counted:
# - The redirect classifies it in Python (prefetch, bot, inactive, the promoter's own click) and
#   hashes who sent it (no raw IP is kept), then answers at once; a background thread of the
#   web process writes the clicks in batches (tracking.writer), because the
#   redirect's answer never depends on the count and one statement for a hundred clicks costs
#   little more than for one. See tracking/writer.py for what that trades (a hard crash loses
#   the clicks of the last ~50 ms: never counted, so never paid or charged).
# - The rules live in one place, the database function `tracking_views_count`
#   (tracking/sql/views_count_v1.sql, loaded by a migration), which counts a batch in one
#   statement with a cached plan. The rows every click of a campaign shares (the cap counter,
#   the participation, the day's stats) are locked and updated once per batch.
#
# The batch commits without waiting for the WAL flush (synchronous_commit off for
# that transaction only): the hot rows stay locked until commit, and waiting for the disk there
# would cap a campaign at one batch per fsync. If the database server itself crashes, the views
# committed in its last fraction of a second are lost atomically (cap counter, stats, dedupe
# rows together), so they are simply not paid. Nothing is ever paid twice, and no money is
# written here: the accrual and every ledger posting keep full durability.


@dataclass(frozen=True, slots=True)
class _ViewRequest:
    """One request to a tracking link, as the counting statement needs it (no raw IP)."""

    link: Link
    day: date
    created_at: datetime
    reason: str | None  # decided before the database (prefetch, bot, inactive, self), else None
    visitor: str | None = None
    ip_key: str | None = None
    minute: int | None = None


def _rate_limit_key(*, ip: str, day, now) -> tuple[str, int]:
    """The client IP's key for today (a keyed hash, not the IP) and the current minute."""
    return ip_key(day_iso=day.isoformat(), ip=ip), int(now.timestamp()) // 60


def _rate_limit() -> int:
    limit = settings.TRACKING_RATE_LIMIT_PER_MINUTE
    return limit if limit > 0 else 2**31 - 1


def _view_request(
    *, link: Link, ip: str, user_agent: str, user_id: int | None, prefetch: bool, now: datetime | None
) -> _ViewRequest:
    """Classify a click before the database: HEAD/prefetch, bots, inactive campaign, the
    promoter's own click; otherwise hash the visitor and the IP for the dedupe and rate limit."""
    now = now or timezone.now()
    day = now.astimezone(UTC).date()
    if prefetch:
        reason = RejectReason.PREFETCH
    elif is_bot(user_agent):
        reason = RejectReason.BOT
    elif not link.counts_views:
        reason = RejectReason.INACTIVE
    elif user_id is not None and user_id == link.promoter_id:
        reason = RejectReason.SELF
    else:
        key, minute = _rate_limit_key(ip=ip, day=day, now=now)
        visitor = visitor_key(day_iso=day.isoformat(), ip=ip, user_agent=user_agent)
        return _ViewRequest(link=link, day=day, created_at=now, reason=None, visitor=visitor, ip_key=key, minute=minute)
    return _ViewRequest(link=link, day=day, created_at=now, reason=reason)


def view_track(
    *, link: Link, ip: str, user_agent: str, user_id: int | None, prefetch: bool, now: datetime | None = None
) -> str | None:
    """Count one request to a Visibility tracking link now. Returns None for a paid view, else the
    RejectReason. Writes no ledger rows (the hourly accrual does).

    In order: HEAD/prefetch, bots, inactive campaign, the promoter's own click, the per-IP rate
    limit, the once-a-day dedupe, then the cap: a conditional UPDATE (`paid_views + n <=
    max_views AND status = 'active'`), so concurrent requests never pay more views than the
    campaign bought. The day's stats, `views_generated` and the cap counter change in the same
    transaction (the caller's, if it is in one).
    """
    return _view_count_now(
        _view_request(link=link, ip=ip, user_agent=user_agent, user_id=user_id, prefetch=prefetch, now=now)
    )


def _view_count_now(request: _ViewRequest) -> str | None:
    (reason,) = _views_count([_view_row(request)])
    return reason


def view_track_after_response(
    *, link: Link, ip: str, user_agent: str, user_id: int | None, prefetch: bool, now: datetime | None = None
) -> None:
    """The redirect's way to count a click: with TRACKING_COUNT_AFTER_RESPONSE it is queued for
    this process's writer thread and counted a few milliseconds later, by the same rules as
    `view_track`; without it, and inside a transaction, it is counted now."""
    request = _view_request(link=link, ip=ip, user_agent=user_agent, user_id=user_id, prefetch=prefetch, now=now)
    if connection.in_atomic_block or not settings.TRACKING_COUNT_AFTER_RESPONSE:
        _view_count_now(request)
    else:
        _view_writer.submit(_view_row(request))


def views_flush(timeout: float = 30) -> bool:
    """Wait until this process's queued clicks are counted (tests, and before reading counts that
    must include them). False if they were not written within `timeout` seconds."""
    return _view_writer.flush(timeout)


def _cap_reached_enqueue(campaign_id: int):
    # The last paid view: completing calls billing (accrual, refund of the rounding remainder),
    # so it is a queued task, after commit.
    transaction.on_commit(lambda: async_task("tracking.tasks.campaign_cap_reached", campaign_id))


def _view_row(request: _ViewRequest) -> list:
    """A request as the counting function takes it (and as the writer queues and spills it)."""
    return [
        request.link.participation_id,
        request.link.campaign_id,
        request.day.isoformat(),
        request.reason,
        request.visitor,
        request.ip_key,
        request.minute,
        request.created_at.isoformat(),
    ]


def _views_count(rows: list[list], batch_id: str | None = None) -> list[str | None]:
    """Count a batch of requests (`_view_row`s) in one statement (see `tracking_views_count`);
    returns each request's reason (None: paid), in order. With `batch_id`, the batch is counted
    only if that id was not committed before, and the id commits with it (the writer's way to
    know, after a lost connection, whether a batch was written); [] if it was."""
    relax = not connection.in_atomic_block  # our own transaction: its commit need not wait for the disk
    with transaction.atomic(), connection.cursor() as cursor:
        if batch_id is not None:
            cursor.execute(
                "INSERT INTO tracking_view_batches (id, written_at) VALUES (%s, now()) ON CONFLICT DO NOTHING",
                [batch_id],
            )
            if cursor.rowcount == 0:
                return []
        cursor.execute(
            "SELECT reason, cap_reached FROM tracking_views_count(%s::jsonb, %s, %s)",
            [json.dumps(rows), _rate_limit(), relax],
        )
        results = cursor.fetchall()
    reached = {row[1] for row, (_reason, cap_reached) in zip(rows, results, strict=True) if cap_reached}
    for campaign_id in sorted(reached):
        try:
            _cap_reached_enqueue(campaign_id)
        except Exception:
            # The views are committed: this must not fail (or repeat) their batch. The hourly
            # sweep (`campaigns_complete_capped`) completes a capped campaign that was missed.
            logger.exception("campaign %s reached its cap; completion not queued", campaign_id)
    return [reason for reason, _cap_reached in results]


def _view_batch_committed(batch_id: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM tracking_view_batches WHERE id = %s)", [batch_id])
        return cursor.fetchone()[0]


def view_batches_prune(*, now=None) -> int:
    """Batch ids are only checked right after a lost connection: a day of them is plenty."""
    now = now or timezone.now()
    deleted, _ = ViewBatch.objects.filter(written_at__lt=now - timedelta(days=1)).delete()
    return deleted


_view_writer = background_writer(
    _views_count,
    name="tracking-views",
    committed=_view_batch_committed,
    spill_dir=settings.TRACKING_SPILL_DIR,
)


def campaign_cap_reached(*, campaign_id: int):
    """The last paid view was counted: accrue every participation's earnings, then complete the
    campaign (billing refunds what is left after that) and tell the advertiser. Safe to run twice."""
    campaign = Campaign.objects.select_related("advertiser").get(pk=campaign_id)
    if campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED):
        return
    try:
        views_accrue(campaign=campaign)
    except Exception:
        # The hourly accrual retries; completing the campaign must not wait for it.
        logger.exception("view accrual before completing campaign %s failed", campaign_id)
    campaign.refresh_from_db()  # spending the last cent pauses it (billing)
    if campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED):
        return
    try:
        # billing's campaign_end = campaigns' campaign_complete, then the refund of what is left
        # (the rounding remainder and its fee).
        _billing().campaign_end(campaign=campaign, actor=None, reason=VIEW_CAP_REACHED_REASON)
    except campaign_services.InvalidTransition:
        return  # completed or cancelled meanwhile: someone else told the advertiser
    # campaign_end tells the advertiser the campaign completed (and about the refund).


def campaigns_complete_capped() -> int:
    """Sweep (hourly, with the accrual): complete Visibility campaigns at their cap whose
    after-commit completion did not run (process crashed between commit and callback)."""
    ids = list(
        Campaign.objects.filter(
            campaign_type=CampaignType.VISIBILITY,
            status__in=[CampaignStatus.ACTIVE, CampaignStatus.PAUSED],  # paused: its last cent was spent
            paid_views__gte=F("max_views"),
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        campaign_cap_reached(campaign_id=pk)
    return len(ids)


# --- View earnings: the hourly accrual --------------------------------------------------------


def participation_paid_views(participation_id: int) -> int:
    return ViewStat.objects.filter(participation_id=participation_id).aggregate(total=Sum("paid_views"))["total"] or 0


def view_earnings_cents(*, paid_views: int, cpv: int) -> int:
    """Cumulative earnings, floored once on the cumulative count so no cent leaks over time."""
    return paid_views * cpv // 100


def participation_accrue(*, participation: PromoterCampaign) -> int:
    """Post the difference between what the participation's paid views have earned and what the
    ledger already holds for it. Returns the cents posted (0 if nothing new).

    The accrual row is locked, so two runs for one participation serialise; the idempotency key
    names the new cumulative total, so a replay of the same step posts once.
    """
    billing = _billing()
    campaign = participation.campaign
    ViewAccrual.objects.get_or_create(participation=participation)
    with transaction.atomic(durable=True):
        accrual = ViewAccrual.objects.select_for_update().get(participation=participation)
        paid_views = participation_paid_views(participation.pk)
        total = view_earnings_cents(paid_views=paid_views, cpv=campaign.cpv)
        delta = total - accrual.accrued_cents
        if delta < 0:
            raise RuntimeError(f"Participation {participation.pk}: accrued {accrual.accrued_cents} > earned {total}.")
        if delta > 0:
            billing.campaign_budget_spend(
                campaign=campaign,
                promoter=participation.promoter,
                amount_cents=delta,
                idempotency_key=f"view-accrual-{participation.pk}-{total}",
                memo=f"{paid_views} paid views",
            )
        if delta or paid_views != accrual.accrued_views:
            accrual.accrued_cents = total
            accrual.accrued_views = paid_views
            accrual.save(update_fields=["accrued_cents", "accrued_views", "updated_at"])
    return delta


def views_accrue(*, campaign: Campaign | None = None) -> int:
    """Accrue every Visibility participation with paid views not yet in the ledger. Returns cents posted.

    A participation whose campaign budget cannot cover it (BudgetExhausted: should not happen,
    funding covers max_views) is logged and retried next run.
    """
    billing = _billing()
    participations = PromoterCampaign.objects.filter(campaign__campaign_type=CampaignType.VISIBILITY).select_related(
        "campaign", "promoter"
    )
    if campaign is not None:
        participations = participations.filter(campaign=campaign)
    # Only participations with views beyond what was accrued: stats sum vs the accrual row.
    participations = participations.annotate(stat_views=Sum("view_stats__paid_views")).filter(stat_views__gt=0)
    accrued = dict(ViewAccrual.objects.values_list("participation_id", "accrued_views"))
    posted = 0
    for participation in participations:
        if participation.stat_views == accrued.get(participation.pk, 0):
            continue
        try:
            posted += participation_accrue(participation=participation)
        except billing.BudgetExhausted:
            logger.warning("budget exhausted accruing views of participation %s", participation.pk)
    return posted


def views_accrue_hourly() -> int:
    """The scheduled job: accrue, then complete campaigns left at their cap."""
    posted = views_accrue()
    campaigns_complete_capped()
    performance.promoters_views_refresh()
    return posted


def rate_limits_prune(*, now=None) -> int:
    now = now or timezone.now()
    deleted, _ = RateLimitWindow.objects.filter(minute__lt=int(now.timestamp()) // 60 - 60).delete()
    return deleted


# --- API keys --------------------------------------------------------------------------------


def api_key_create(*, advertiser, name: str) -> tuple[ApiKey, str]:
    """A new key for `advertiser`. The raw key is returned once and never stored (only its sha256)."""
    name = (name or "").strip()[:100] or "API key"
    raw = ApiKey.generate()
    key = ApiKey.objects.create(advertiser=advertiser, name=name, prefix=raw[:12], key_hash=api_key_hash(raw))
    return key, raw


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db()
    return api_key


def api_key_touch(*, api_key: ApiKey):
    """Note that the key was used (at most once a minute: no write per request under load)."""
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)


def api_key_authenticate(raw: str) -> ApiKey | None:
    if not raw or len(raw) > 200:
        return None
    return (
        ApiKey.objects.select_related("advertiser").filter(key_hash=api_key_hash(raw), revoked_at__isnull=True).first()
    )


# --- Sales: recording -------------------------------------------------------------------------


def commission_cents(*, amount_cents: int, rate) -> int:
    """floor(amount x rate / 100), exactly: the rate has two decimals, so work in hundredths of a percent."""
    hundredths = int(rate * 100)
    if hundredths != rate * 100:
        raise ValueError(f"Commission rates have at most two decimals, not {rate}.")
    return amount_cents * hundredths // 10_000


def _fingerprint(*, participation_id, amount_cents, currency, occurred_at) -> str:
    data = {
        "participation": participation_id,
        "amount_cents": amount_cents,
        "currency": currency,
        "occurred_at": occurred_at.astimezone(UTC).isoformat() if occurred_at else None,
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def sale_attribute(*, campaign: Campaign, ref_code: str = "", coupon_code: str = "") -> PromoterCampaign:
    """The participation a sale belongs to, from its referral code or coupon code."""
    ref_code = (ref_code or "").strip().upper()
    coupon_code = (coupon_code or "").strip().upper()
    if not ref_code and not coupon_code:
        raise SaleInvalid("Give the sale's ref_code or coupon_code.")
    by_ref = by_coupon = None
    if ref_code:
        by_ref = (
            PromoterCampaign.objects.filter(campaign=campaign, tracking_code=ref_code)
            .select_related("campaign")
            .first()
        )
        if by_ref is None:
            raise SaleInvalid("Unknown ref_code for this campaign.")
    if coupon_code:
        coupon = CouponCode.objects.filter(campaign=campaign, code=coupon_code).select_related("participation").first()
        if coupon is None:
            raise SaleInvalid("Unknown coupon_code for this campaign.")
        by_coupon = coupon.participation
    if by_ref and by_coupon and by_ref.pk != by_coupon.pk:
        raise SaleInvalid("ref_code and coupon_code belong to different promoters.")
    return by_ref or by_coupon


def _sale_move(*, sale: SaleRecord, to_status: str, actor=None, reason: str = "", **fields):
    """Move a locked sale along SALE_TRANSITIONS and write the audit row."""
    if not sale.can_move_to(to_status):
        raise SaleConflict(
            f"A sale that is {sale.get_status_display().lower()} cannot become {SaleStatus(to_status).label.lower()}."
        )
    from_status = sale.status
    sale.status = to_status
    for name, value in fields.items():
        setattr(sale, name, value)
    sale.save(update_fields=["status", *fields])
    SaleStatusChange.objects.create(
        sale=sale, actor=actor, from_status=from_status, to_status=to_status, reason=(reason or "")[:500]
    )
    performance.sale_decided(sale=sale, to_status=to_status)


def sale_record(
    *,
    campaign: Campaign,
    order_id: str,
    amount_cents: int,
    currency: str,
    occurred_at: datetime | None = None,
    ref_code: str = "",
    coupon_code: str = "",
    source: str = SaleSource.API,
    actor=None,
) -> tuple[SaleRecord, bool]:
    """Record a sale once per (campaign, order id). Returns (sale, created).

    Replaying the same order with the same data returns the existing sale; the same order id
    with different data raises SaleConflict. Nothing is written when it raises.
    """
    if not campaign.is_salesman:
        raise SaleInvalid("Sales are recorded for Salesman campaigns only.")
    order_id = (order_id or "").strip()
    if not order_id or len(order_id) > ORDER_ID_MAX_LENGTH or not order_id.isprintable():
        raise SaleInvalid(f"order_id must be 1 to {ORDER_ID_MAX_LENGTH} printable characters.")
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or not 0 < amount_cents <= MAX_SALE_CENTS:
        raise SaleInvalid(f"amount_cents must be a whole number of cents from 1 to {MAX_SALE_CENTS}.")
    if (currency or "").lower() != campaign.currency:
        raise SaleInvalid(f"currency must be {campaign.currency}.")
    now = timezone.now()
    if occurred_at is not None:
        if timezone.is_naive(occurred_at):
            raise SaleInvalid("occurred_at needs a time zone (e.g. 2026-01-31T12:00:00Z).")
        if occurred_at > now + timedelta(minutes=10):
            raise SaleInvalid("occurred_at is in the future.")
        if occurred_at < EARLIEST_SALE:
            raise SaleInvalid("occurred_at is too far in the past (before 2000).")
    participation = sale_attribute(campaign=campaign, ref_code=ref_code, coupon_code=coupon_code)
    fingerprint = _fingerprint(
        participation_id=participation.pk,
        amount_cents=amount_cents,
        currency=campaign.currency,
        occurred_at=occurred_at,
    )

    existing = SaleRecord.objects.filter(campaign=campaign, order_id=order_id).first()
    if existing is None:
        ended = campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED)
        if campaign.status not in (CampaignStatus.ACTIVE, CampaignStatus.PAUSED) and not (
            ended and campaign.ended_at and occurred_at and occurred_at <= campaign.ended_at
        ):
            raise SaleInvalid("This campaign is not taking sales (it is not active).")
        try:
            with transaction.atomic():
                sale = SaleRecord.objects.create(
                    campaign=campaign,
                    participation=participation,
                    order_id=order_id,
                    amount_cents=amount_cents,
                    currency=campaign.currency,
                    occurred_at=occurred_at or now,
                    source=source,
                    ref_code=(ref_code or "").strip().upper()[:16],
                    coupon_code=(coupon_code or "").strip().upper()[:32],
                    fingerprint=fingerprint,
                    commission_rate=campaign.commission_per_sale,
                    commission_cents=commission_cents(amount_cents=amount_cents, rate=campaign.commission_per_sale),
                    created_at=now,
                )
                SaleStatusChange.objects.create(sale=sale, actor=actor, to_status=SaleStatus.PENDING, reason=source)
            return sale, True
        except IntegrityError:
            # The same order was recorded concurrently: treat it as the replay it is.
            existing = SaleRecord.objects.filter(campaign=campaign, order_id=order_id).first()
            if existing is None:
                raise
    if existing.fingerprint != fingerprint:
        raise SaleConflict(f"Order {order_id} was already recorded with different data.")
    return existing, False


@dataclass(frozen=True)
class ImportResult:
    line: int
    order_id: str
    outcome: str  # "created", "unchanged" (identical replay) or "error"
    message: str = ""


def sales_import(*, campaign: Campaign, rows: list[dict], actor, source: str = SaleSource.CSV) -> list[ImportResult]:
    """Record each CSV row as a sale (its own transaction); every row gets a line in the report."""
    from django.core.exceptions import ValidationError

    from tracking.forms import parse_csv_row

    results = []
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        order_id = (row.get("order_id") or "")[:ORDER_ID_MAX_LENGTH]
        try:
            _sale, created = sale_record(campaign=campaign, source=source, actor=actor, **parse_csv_row(row))
        except ValidationError as error:
            results.append(ImportResult(line, order_id, "error", " ".join(error.messages)))
        except TrackingError as error:
            results.append(ImportResult(line, order_id, "error", str(error)))
        else:
            results.append(ImportResult(line, order_id, "created" if created else "unchanged"))
    return results


# --- Sales: verification, commission, refunds -------------------------------------------------


def _lock_sale(sale: SaleRecord) -> tuple[Campaign, SaleRecord]:
    campaign = Campaign.objects.select_for_update().get(pk=sale.campaign_id)
    locked = SaleRecord.objects.select_for_update().select_related("participation__promoter").get(pk=sale.pk)
    locked.campaign = campaign
    return campaign, locked


def _commission_post(*, campaign: Campaign, sale: SaleRecord) -> bool:
    """Post the sale's commission; False (nothing posted) if the budget cannot cover it."""
    billing = _billing()
    if sale.commission_cents == 0:
        return True
    try:
        with transaction.atomic():
            result = billing.campaign_budget_spend(
                campaign=campaign,
                promoter=sale.participation.promoter,
                amount_cents=sale.commission_cents,
                idempotency_key=f"sale-commission-{sale.pk}",
                memo=f"Commission on order {sale.order_id}"[:300],
            )
    except billing.BudgetExhausted:
        return False
    sale.commission_fee_cents = result.fee_cents
    return True


def _commission_reverse(*, campaign: Campaign, sale: SaleRecord) -> bool:
    """Give a credited commission back to the campaign budget; False if the promoter's pending
    earnings no longer hold it (then the caller records a deduction).

    The reversal also lowers the budget allocation's spent amount and the recognised fee, which
    are billing's figures: it goes through billing's `campaign_budget_spend_reverse`.
    """
    from billing import ledger

    if ledger.promoter_pending(sale.participation.promoter, currency=campaign.currency).balance < sale.commission_cents:
        return False
    try:
        with transaction.atomic():
            _billing().campaign_budget_spend_reverse(
                campaign=campaign,
                promoter=sale.participation.promoter,
                spend_idempotency_key=f"sale-commission-{sale.pk}",
                idempotency_key=f"sale-reversal-{sale.pk}",
                memo=f"Refund of order {sale.order_id}"[:300],
            )
    except ledger.InsufficientFunds:
        return False  # paid on meanwhile (the pending balance was read before the ledger's lock)
    sale.commission_posted = False
    return True


def sale_verify(*, sale: SaleRecord, actor=None) -> SaleRecord:
    """Verify a pending sale (actor None = auto-verification) and credit its commission.

    If the budget cannot cover the commission the sale waits as "awaiting budget", the campaign
    pauses and the advertiser is told; `sales_pay_awaiting` pays it after a top-up. Verifying a
    verified sale is a no-op (double click, the schedule racing the advertiser).
    """
    with transaction.atomic(durable=True):
        campaign, locked = _lock_sale(sale)
        if locked.status in (SaleStatus.VERIFIED, SaleStatus.AWAITING_BUDGET):
            return locked
        if locked.status != SaleStatus.PENDING:
            raise SaleConflict(f"This sale is {locked.get_status_display().lower()}.")
        now = timezone.now()
        verified = {"verified_at": now, "verified_by": actor, "auto_verified": actor is None}
        if _commission_post(campaign=campaign, sale=locked):
            _sale_move(
                sale=locked,
                to_status=SaleStatus.VERIFIED,
                actor=actor,
                reason="auto-verified" if actor is None else "verified",
                commission_posted=locked.commission_cents > 0,
                commission_fee_cents=locked.commission_fee_cents,
                credited_at=now,
                **verified,
            )
            _sale_verified_notify(campaign, locked)
        else:
            _sale_move(
                sale=locked, to_status=SaleStatus.AWAITING_BUDGET, actor=actor, reason=BUDGET_USED_UP_REASON, **verified
            )
            _budget_used_up(campaign, locked)
    return locked


def _sale_url(sale: SaleRecord) -> str:
    return reverse("tracking:promoter_participation", args=[sale.participation.public_id])


def _sale_verified_notify(campaign: Campaign, sale: SaleRecord) -> None:
    """Tell the promoter their commission is credited (once per sale, however it got verified)."""
    notify(
        user=sale.participation.promoter,
        kind=NotificationKind.SALE_VERIFIED,
        title=f"Sale verified: {dollars(sale.commission_cents)} commission",
        body=(
            f"Sale {sale.order_id} through your link or code for “{campaign.title}” was verified. "
            f"Your {dollars(sale.commission_cents)} commission is in your wallet and is paid out with "
            "the monthly payout."
        ),
        url=_sale_url(sale),
        event_key=f"sale:{sale.pk}:verified",
    )


def _sale_rejected_notify(campaign: Campaign, sale: SaleRecord) -> None:
    notify(
        user=sale.participation.promoter,
        kind=NotificationKind.SALE_REJECTED,
        title=f"Sale not verified: {sale.order_id}",
        body=(
            f"The advertiser of “{campaign.title}” rejected sale {sale.order_id}, so it earns no commission. "
            f"Their reason: {sale.decision_reason}"
        ),
        url=_sale_url(sale),
        event_key=f"sale:{sale.pk}:rejected",
    )


def _budget_used_up(campaign: Campaign, sale: SaleRecord):
    """Pause the campaign (the pause tells the advertiser to top up); when it was paused
    already, tell them about this sale, once."""
    if campaign.status == CampaignStatus.ACTIVE:
        campaign_services.campaign_pause(campaign=campaign, actor=None, reason=BUDGET_USED_UP_REASON)
        return
    notify(
        user=campaign.advertiser,
        kind=NotificationKind.CAMPAIGN_PAUSED,
        title=f"Top up “{campaign.title}”: a verified sale is waiting for its commission",
        body=(
            f"The commission budget of “{campaign.title}” cannot cover sale {sale.order_id}. "
            "Top up its budget and the waiting commissions are paid at once."
        ),
        event_key=f"sale:{sale.pk}:awaiting_budget",
        url=reverse("billing:fund", args=[campaign.public_id]),
    )


def sales_verify(*, sales, actor) -> tuple[int, list[str]]:
    """Verify several sales, each in its own transaction. Returns (verified count, errors)."""
    done, errors = 0, []
    for sale in sales:
        try:
            sale_verify(sale=sale, actor=actor)
            done += 1
        except TrackingError as error:
            errors.append(f"{sale.order_id}: {error}")
    return done, errors


def sale_reject(*, sale: SaleRecord, actor, reason: str) -> SaleRecord:
    reason = (reason or "").strip()
    if not reason:
        raise SaleInvalid("Give the promoter a reason for rejecting the sale.")
    with transaction.atomic(durable=True):
        _campaign, locked = _lock_sale(sale)
        if locked.status != SaleStatus.PENDING:
            raise SaleConflict(
                f"Only pending sales can be rejected; this one is {locked.get_status_display().lower()}."
            )
        _sale_move(sale=locked, to_status=SaleStatus.REJECTED, actor=actor, reason=reason, decision_reason=reason[:500])
        _sale_rejected_notify(_campaign, locked)
    return locked


def sales_pay_awaiting(*, campaign: Campaign) -> int:
    """Pay sales waiting for budget, oldest first, until the budget runs out. Billing calls this
    after a top-up (after its funding transaction commits). Returns how many were paid."""
    paid = 0
    for sale in SaleRecord.objects.filter(campaign=campaign, status=SaleStatus.AWAITING_BUDGET).order_by(
        "verified_at", "pk"
    ):
        with transaction.atomic(durable=True):
            locked_campaign, locked = _lock_sale(sale)
            if locked.status != SaleStatus.AWAITING_BUDGET:
                continue
            if not _commission_post(campaign=locked_campaign, sale=locked):
                break
            _sale_move(
                sale=locked,
                to_status=SaleStatus.VERIFIED,
                reason="paid after top-up",
                commission_posted=locked.commission_cents > 0,
                commission_fee_cents=locked.commission_fee_cents,
                credited_at=timezone.now(),
            )
            _sale_verified_notify(locked_campaign, locked)
            paid += 1
    return paid


def sales_auto_verify_due(*, now=None, limit: int = 500) -> int:
    """Verify sales left pending for SALE_AUTO_VERIFY_DAYS. Safe to run twice (sale_verify is)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SALE_AUTO_VERIFY_DAYS)
    due = list(
        SaleRecord.objects.filter(status=SaleStatus.PENDING, created_at__lte=cutoff).order_by("created_at")[:limit]
    )
    done = 0
    for sale in due:
        try:
            if sale_verify(sale=sale, actor=None).status in (SaleStatus.VERIFIED, SaleStatus.AWAITING_BUDGET):
                done += 1
        except TrackingError:
            continue  # rejected or refunded meanwhile
    return done


def sale_refund(*, sale: SaleRecord, actor=None, reason: str = "refunded") -> SaleRecord:
    """The customer was refunded: the sale earns nothing.

    Pending or awaiting-budget sales simply become refunded. A credited commission is reversed
    (promoter pending -> campaign budget, and its fee share back) while the promoter's pending
    earnings still cover it, and the budget it frees resumes a campaign paused for budget and
    pays sales waiting for it (billing's `campaign_budget_returned`); otherwise it has moved on towards a payout, and a
    CommissionDeduction is recorded for payouts to take from the promoter's next earnings.
    Refunding twice is a no-op.
    """
    with transaction.atomic(durable=True):
        campaign, locked = _lock_sale(sale)
        if locked.status == SaleStatus.REFUNDED:
            return locked
        if locked.status == SaleStatus.REJECTED:
            raise SaleConflict("This sale was rejected; there is nothing to refund.")
        now = timezone.now()
        credited = locked.status == SaleStatus.VERIFIED and locked.commission_posted
        if credited and _commission_reverse(campaign=campaign, sale=locked):
            # The commission is back in the budget: it may resume a campaign paused for budget
            # and pay sales that were waiting for it.
            _billing().campaign_budget_returned(campaign=campaign, reason="budget returned by a refunded sale")
        elif credited:
            CommissionDeduction.objects.create(
                sale=locked,
                promoter=locked.participation.promoter,
                campaign=campaign,
                amount_cents=locked.commission_cents,
                fee_cents=locked.commission_fee_cents,
                currency=campaign.currency,
                created_at=now,
            )
        _sale_move(
            sale=locked,
            to_status=SaleStatus.REFUNDED,
            actor=actor,
            reason=reason,
            refunded_at=now,
            commission_posted=locked.commission_posted,
        )
    return locked
