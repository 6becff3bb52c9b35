"""Recording sales: attribution to a promoter, commission, CSV import."""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.models import Campaign, CampaignStatus, PromoterCampaign
from tracking import performance
from tracking.models import (
    EARLIEST_SALE,
    MAX_SALE_CENTS,
    ORDER_ID_MAX_LENGTH,
    CouponCode,
    SaleRecord,
    SaleSource,
    SaleStatus,
    SaleStatusChange,
)
from tracking.services.base import SaleConflict, SaleInvalid, TrackingError


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


def sale_move(*, sale: SaleRecord, to_status: str, actor=None, reason: str = "", **fields):
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
    order_id = (order_id or "").strip()
    now = timezone.now()
    _sale_check(campaign=campaign, order_id=order_id, amount_cents=amount_cents, currency=currency)
    _occurred_at_check(occurred_at, now=now)
    participation = sale_attribute(campaign=campaign, ref_code=ref_code, coupon_code=coupon_code)
    fingerprint = _fingerprint(
        participation_id=participation.pk,
        amount_cents=amount_cents,
        currency=campaign.currency,
        occurred_at=occurred_at,
    )
    existing = SaleRecord.objects.filter(campaign=campaign, order_id=order_id).first()
    if existing is None:
        _taking_sales_check(campaign, occurred_at)
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


def _sale_check(*, campaign: Campaign, order_id: str, amount_cents, currency: str) -> None:
    if not campaign.is_salesman:
        raise SaleInvalid("Sales are recorded for Salesman campaigns only.")
    if not order_id or len(order_id) > ORDER_ID_MAX_LENGTH or not order_id.isprintable():
        raise SaleInvalid(f"order_id must be 1 to {ORDER_ID_MAX_LENGTH} printable characters.")
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or not 0 < amount_cents <= MAX_SALE_CENTS:
        raise SaleInvalid(f"amount_cents must be a whole number of cents from 1 to {MAX_SALE_CENTS}.")
    if (currency or "").lower() != campaign.currency:
        raise SaleInvalid(f"currency must be {campaign.currency}.")


def _occurred_at_check(occurred_at: datetime | None, *, now: datetime) -> None:
    if occurred_at is None:
        return
    if timezone.is_naive(occurred_at):
        raise SaleInvalid("occurred_at needs a time zone (e.g. 2026-01-31T12:00:00Z).")
    if occurred_at > now + timedelta(minutes=10):
        raise SaleInvalid("occurred_at is in the future.")
    if occurred_at < EARLIEST_SALE:
        raise SaleInvalid("occurred_at is too far in the past (before 2000).")


def _taking_sales_check(campaign: Campaign, occurred_at: datetime | None) -> None:
    """Live campaigns take sales; an ended one only those that happened before it ended."""
    ended = campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED)
    if campaign.status not in (CampaignStatus.ACTIVE, CampaignStatus.PAUSED) and not (
        ended and campaign.ended_at and occurred_at and occurred_at <= campaign.ended_at
    ):
        raise SaleInvalid("This campaign is not taking sales (it is not active).")


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
