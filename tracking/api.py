"""The conversion API: advertisers' servers report sales and refunds.

`Authorization: Bearer <key>`; JSON in, JSON out. Every failure is a JSON error with a status an
integration can act on (400 malformed, 401 key, 404 campaign/sale, 409 conflict, 422 invalid),
and nothing is written unless the request succeeds.
"""

import json
import uuid
from datetime import UTC
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts import limits
from campaignplatform.http import BadContentLength, content_length
from campaigns.models import Campaign
from tracking import services
from tracking.models import COUPON_CODE_MAX_LENGTH, EARLIEST_SALE, ORDER_ID_MAX_LENGTH, SaleRecord, SaleSource


class ApiError(Exception):
    def __init__(self, status, code, message, field=None, retry_after=None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.retry_after = retry_after

    def response(self):
        error = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        response = JsonResponse({"error": error}, status=self.status)
        if self.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="conversion-api"'
        if self.retry_after:
            response["Retry-After"] = str(self.retry_after)
        return response


def _sale_json(sale: SaleRecord) -> dict:
    return {
        "id": str(sale.public_id),
        "campaign": str(sale.campaign.public_id),
        "order_id": sale.order_id,
        "amount_cents": sale.amount_cents,
        "currency": sale.currency,
        "occurred_at": sale.occurred_at.isoformat(),
        "ref_code": sale.ref_code or None,
        "coupon_code": sale.coupon_code or None,
        "status": sale.status,
        "commission_cents": sale.commission_cents,
    }


def _authenticate(request):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise ApiError(401, "unauthenticated", "Send your API key as `Authorization: Bearer <key>`.")
    key = services.api_key_authenticate(raw.strip())
    if key is None:
        raise ApiError(401, "invalid_key", "This API key is not valid (unknown or revoked).")
    refusal = limits.attempt("conversion_api_key", key.pk)
    if refusal is not None:
        raise ApiError(429, "rate_limited", refusal.message, retry_after=refusal.retry_after)
    return key


def _body(request) -> dict:
    try:
        length = content_length(request)
    except BadContentLength:
        raise ApiError(400, "invalid_header", "The Content-Length header must be a whole number of bytes.") from None
    limit = settings.TRACKING_API_MAX_BODY_BYTES
    if length > limit:
        raise ApiError(400, "body_too_large", f"The body is larger than {limit} bytes.")
    try:
        raw = request.body
    except RequestDataTooBig:
        raise ApiError(400, "body_too_large", f"The body is larger than {limit} bytes.") from None
    if len(raw) > limit:
        raise ApiError(400, "body_too_large", f"The body is larger than {limit} bytes.")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object.")
    return data


def _text(data, name, *, max_length, required=True) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise ApiError(422, "missing_field", f"`{name}` is required.", name)
        return ""
    if not isinstance(value, str):
        raise ApiError(422, "invalid_field", f"`{name}` must be a string.", name)
    value = value.strip()
    if not value or len(value) > max_length or not value.isprintable():
        raise ApiError(422, "invalid_field", f"`{name}` must be 1 to {max_length} printable characters.", name)
    return value


def _campaign(data, advertiser) -> Campaign:
    raw = _text(data, "campaign", max_length=64)
    try:
        public_id = uuid.UUID(raw)
    except ValueError:
        raise ApiError(422, "invalid_field", "`campaign` must be the campaign's id (a UUID).", "campaign") from None
    campaign = Campaign.objects.filter(public_id=public_id, advertiser=advertiser).first()
    if campaign is None:
        raise ApiError(404, "campaign_not_found", "No campaign of yours has this id.", "campaign")
    return campaign


def _occurred_at(data):
    value = data.get("occurred_at")
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise ApiError(422, "invalid_field", "`occurred_at` must be an ISO 8601 date-time string.", "occurred_at")
    try:
        parsed = parse_datetime(value.strip())
        if parsed is not None and timezone.is_aware(parsed):
            parsed.astimezone(UTC)  # out-of-range offsets near year 1 overflow here
    except (ValueError, OverflowError):
        parsed = None
    if parsed is None:
        raise ApiError(422, "invalid_field", "`occurred_at` must be an ISO 8601 date-time.", "occurred_at")
    if timezone.is_naive(parsed):
        raise ApiError(
            422, "invalid_field", "`occurred_at` needs a time zone, e.g. 2026-01-31T12:00:00Z.", "occurred_at"
        )
    if parsed < EARLIEST_SALE:
        raise ApiError(422, "invalid_field", "`occurred_at` is too far in the past.", "occurred_at")
    return parsed


def _handle(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ApiError as error:
            return error.response()
        except services.TrackingError as error:
            code = {404: "not_found", 409: "conflict"}.get(error.status, "invalid")
            return ApiError(error.status, code, str(error)).response()

    return wrapper


@csrf_exempt
@login_not_required
@require_POST
@_handle
def sales_create(request):
    """Record a sale. 201 when new, 200 for an identical replay, 409 for the same order id with
    different data."""
    key = _authenticate(request)
    data = _body(request)
    campaign = _campaign(data, key.advertiser)
    order_id = _text(data, "order_id", max_length=ORDER_ID_MAX_LENGTH)
    ref_code = _text(data, "ref_code", max_length=16, required=False)
    coupon_code = _text(data, "coupon_code", max_length=COUPON_CODE_MAX_LENGTH, required=False)
    if not ref_code and not coupon_code:
        raise ApiError(422, "missing_field", "Give `ref_code` or `coupon_code`.", "ref_code")
    amount = data.get("amount_cents")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ApiError(422, "invalid_field", "`amount_cents` must be a whole number of cents.", "amount_cents")
    currency = _text(data, "currency", max_length=3)
    sale, created = services.sale_record(
        campaign=campaign,
        order_id=order_id,
        amount_cents=amount,
        currency=currency.lower(),
        occurred_at=_occurred_at(data),
        ref_code=ref_code,
        coupon_code=coupon_code,
        source=SaleSource.API,
    )
    services.api_key_touch(api_key=key)
    return JsonResponse(_sale_json(sale), status=201 if created else 200)


@csrf_exempt
@login_not_required
@require_POST
@_handle
def sale_refund(request, order_id):
    """The order was refunded to the customer: its commission is reversed (or deducted later)."""
    key = _authenticate(request)
    data = _body(request)
    campaign = _campaign(data, key.advertiser)
    order_id = order_id.strip()
    if not order_id or len(order_id) > ORDER_ID_MAX_LENGTH or not order_id.isprintable():
        raise ApiError(404, "sale_not_found", "No sale with this order id in this campaign.")
    reason = _text(data, "reason", max_length=500, required=False) or "refunded (conversion API)"
    sale = SaleRecord.objects.filter(campaign=campaign, order_id=order_id).first()
    if sale is None:
        raise ApiError(404, "sale_not_found", "No sale with this order id in this campaign.")
    sale = services.sale_refund(sale=sale, actor=None, reason=reason)
    services.api_key_touch(api_key=key)
    sale.campaign = campaign
    return JsonResponse(_sale_json(sale), status=200)
