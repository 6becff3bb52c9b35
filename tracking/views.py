"""Tracking links (public redirects) and the tracking pages of promoters and advertisers.

The redirects are public (`login_not_required`) and always redirect to the campaign's own
target URL, read from the database: nothing in the request can change where they send people.
"""

import csv
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import advertiser_required, promoter_required
from campaignplatform.http import not_a_document
from campaigns.models import Campaign, CampaignType, PromoterCampaign
from tracking import services
from tracking.bots import is_prefetch
from tracking.charts import views_chart
from tracking.forms import CSV_COLUMNS, ApiKeyForm, CsvImportForm, ManualSaleForm, SaleRejectForm
from tracking.models import ApiKey, RejectReason, SaleRecord, SaleSource, SaleStatus, ViewAccrual, ViewStat
from tracking.visitors import client_ip

logger = logging.getLogger(__name__)
TRACKED_TYPES = (CampaignType.VISIBILITY, CampaignType.SALESMAN)
QUEUE_PAGE_SIZE = 100


def _redirect(url):
    response = HttpResponseRedirect(url)
    # Every click must reach us (to be counted) and nothing personal may be cached on the way.
    response["Cache-Control"] = "private, no-store"
    return response


def _signed_in_user_id(request) -> int | None:
    """The visitor's user id if they are signed in here (to spot a promoter's own clicks).

    Almost every click comes from someone with no session on this site: skip loading one."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


@login_not_required
@require_http_methods(["GET", "HEAD"])
@not_a_document
def view_link(request, code):
    """`/v/<code>`: redirect, and count the view (or the reason it does not count) by the
    time the next batch of clicks is written (`services.view_track_after_response`)."""
    link = services.link_lookup(code, cached=True)
    if link is None or link.campaign_type != CampaignType.VISIBILITY:
        raise Http404
    try:
        services.view_track_after_response(
            link=link,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:1000],
            user_id=_signed_in_user_id(request),
            prefetch=is_prefetch(request),
        )
    except DatabaseError:
        # Counted now (with TRACKING_COUNT_AFTER_RESPONSE off), a view that cannot be
        # counted (database failover, deadlock) is lost, never paid; the visitor still reaches
        # the advertiser's page.
        logger.exception("tracking link %s: view not counted", code)
    return _redirect(link.target_url)


@login_not_required
@require_http_methods(["GET", "HEAD"])
@not_a_document
def referral_link(request, code):
    """`/r/<code>`: the campaign's target URL with `ref=<code>` added (its own query kept)."""
    link = services.link_lookup(code)
    if link is None or link.campaign_type != CampaignType.SALESMAN:
        raise Http404
    return _redirect(services.referral_target(target_url=link.target_url, code=link.code))


# --- Permission-scoped getters ----------------------------------------------------------------


def get_participation_for_promoter(user, public_id) -> PromoterCampaign:
    return get_object_or_404(
        PromoterCampaign.objects.select_related("campaign"),
        public_id=public_id,
        promoter=user,
        campaign__campaign_type__in=TRACKED_TYPES,
    )


def get_campaign_for_advertiser(user, public_id) -> Campaign:
    return get_object_or_404(Campaign, public_id=public_id, advertiser=user, campaign_type__in=TRACKED_TYPES)


def get_sale_for_advertiser(user, public_id) -> SaleRecord:
    return get_object_or_404(
        SaleRecord.objects.select_related("campaign", "participation__promoter"),
        public_id=public_id,
        campaign__advertiser=user,
    )


# --- Promoter pages ---------------------------------------------------------------------------


@promoter_required
@require_GET
def promoter_links(request):
    participations = list(
        PromoterCampaign.objects.filter(promoter=request.user, campaign__campaign_type__in=TRACKED_TYPES)
        .select_related("campaign")
        .order_by("-joined_at")
    )
    for participation in participations:
        participation.coupon_code = services.coupon_ensure(participation=participation)
    return render(request, "tracking/promoter_links.html", {"participations": participations})


@promoter_required
@require_GET
def promoter_participation(request, public_id):
    participation = get_participation_for_promoter(request.user, public_id)
    stats = list(ViewStat.objects.filter(participation=participation).order_by("-day")[:60])
    sales = SaleRecord.objects.filter(participation=participation).order_by("-occurred_at")[:200]
    totals = SaleRecord.objects.filter(participation=participation).aggregate(
        credited=Sum("commission_cents", filter=Q(status=SaleStatus.VERIFIED)),
        waiting=Sum("commission_cents", filter=Q(status__in=[SaleStatus.PENDING, SaleStatus.AWAITING_BUDGET])),
    )
    return render(
        request,
        "tracking/promoter_participation.html",
        {
            "participation": participation,
            "campaign": participation.campaign,
            "coupon": services.coupon_ensure(participation=participation),
            "stats": stats[:30],
            "chart": views_chart(stats),
            "sales": sales,
            "totals": totals,
            "accrual": ViewAccrual.objects.filter(participation=participation).first(),
        },
    )


# --- Advertiser pages -------------------------------------------------------------------------


@advertiser_required
@require_GET
def advertiser_overview(request):
    campaigns = (
        Campaign.objects.filter(advertiser=request.user, campaign_type__in=TRACKED_TYPES)
        .annotate(
            sales_pending=Count("sales", filter=Q(sales__status=SaleStatus.PENDING), distinct=True),
            sales_total=Count("sales", distinct=True),
        )
        .order_by("-created_at")
    )
    pending = SaleRecord.objects.filter(campaign__advertiser=request.user, status=SaleStatus.PENDING).count()
    return render(request, "tracking/advertiser_overview.html", {"campaigns": campaigns, "pending": pending})


def _campaign_context(campaign, *, sale_form=None, csv_form=None, import_results=None):
    participations = list(campaign.participants.select_related("promoter__promoter_details").order_by("joined_at"))
    stats = list(ViewStat.objects.filter(campaign=campaign).order_by("-day")[:2000])
    per_promoter = {
        row["participation_id"]: row
        for row in ViewStat.objects.filter(campaign=campaign)
        .values("participation_id")
        .annotate(requests=Sum("requests"), unique=Sum("unique_views"), paid=Sum("paid_views"))
        .order_by()
    }
    sales_by = {
        row["participation_id"]: row
        for row in SaleRecord.objects.filter(campaign=campaign)
        .values("participation_id")
        .annotate(
            count=Count("id"),
            amount=Sum("amount_cents", filter=~Q(status__in=[SaleStatus.REJECTED, SaleStatus.REFUNDED])),
            commission=Sum("commission_cents", filter=Q(status=SaleStatus.VERIFIED)),
        )
        .order_by()
    }
    for participation in participations:
        participation.view_totals = per_promoter.get(participation.pk, {})
        participation.sale_totals = sales_by.get(participation.pk, {})
    days = {}
    for row in stats:
        days.setdefault(row.day, []).append(row)
    daily = [
        {
            "day": day,
            "requests": sum(r.requests for r in rows),
            "unique": sum(r.unique_views for r in rows),
            "paid": sum(r.paid_views for r in rows),
            "reasons": [(label, sum(getattr(r, name) for r in rows)) for label, name in _REASON_COLUMNS],
        }
        for day, rows in sorted(days.items(), reverse=True)[:30]
    ]
    return {
        "campaign": campaign,
        "participations": participations,
        "chart": views_chart(stats),
        "daily": daily,
        "sales": SaleRecord.objects.filter(campaign=campaign).select_related(
            "participation__promoter__promoter_details"
        )[:200],
        "sale_form": sale_form or ManualSaleForm(participations=participations),
        "csv_form": csv_form or CsvImportForm(),
        "import_results": import_results,
    }


_REASON_COLUMNS = [(reason.label, ViewStat.REJECT_FIELDS[reason.value]) for reason in RejectReason]


@advertiser_required
@require_GET
def advertiser_campaign(request, public_id):
    campaign = get_campaign_for_advertiser(request.user, public_id)
    return render(request, "tracking/advertiser_campaign.html", _campaign_context(campaign))


@advertiser_required
@require_POST
def sale_create(request, public_id):
    campaign = get_campaign_for_advertiser(request.user, public_id)
    participations = list(campaign.participants.select_related("promoter"))
    form = ManualSaleForm(request.POST, participations=participations)
    if form.is_valid():
        participation = form.participations[form.cleaned_data["participation"]]
        try:
            _sale, created = services.sale_record(
                campaign=campaign,
                order_id=form.cleaned_data["order_id"],
                amount_cents=form.cleaned_data["amount"],
                currency=campaign.currency,
                occurred_at=form.occurred_at(),
                ref_code=participation.tracking_code,
                source=SaleSource.MANUAL,
                actor=request.user,
            )
        except services.TrackingError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Sale recorded." if created else "This sale was already recorded.")
            return redirect("tracking:advertiser_campaign", campaign.public_id)
    return render(request, "tracking/advertiser_campaign.html", _campaign_context(campaign, sale_form=form), status=400)


@advertiser_required
@require_POST
def sales_import(request, public_id):
    campaign = get_campaign_for_advertiser(request.user, public_id)
    form = CsvImportForm(request.POST, request.FILES)
    if not form.is_valid():
        context = _campaign_context(campaign, csv_form=form)
        return render(request, "tracking/advertiser_campaign.html", context, status=400)
    results = services.sales_import(campaign=campaign, rows=form.cleaned_data["file"], actor=request.user)
    _import_summary_message(request, results)
    return render(request, "tracking/advertiser_campaign.html", _campaign_context(campaign, import_results=results))


def _import_summary_message(request, results):
    counts = {outcome: sum(1 for row in results if row.outcome == outcome) for outcome in ("created", "unchanged")}
    errors = len(results) - counts["created"] - counts["unchanged"]
    summary = f"{counts['created']} sale{'s' if counts['created'] != 1 else ''} recorded"
    if counts["unchanged"]:
        summary += f", {counts['unchanged']} already recorded"
    if errors:
        messages.warning(request, f"{summary}; {errors} row{'s' if errors != 1 else ''} refused: see the report.")
    else:
        messages.success(request, f"Import done: {summary}.")


@advertiser_required
@require_GET
def sales_import_template(request):
    """A CSV with the expected header and one example row, to fill in and import."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="sales-import-template.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    writer.writerow(["ORDER-1001", "49.90", "", "SUMMER10", "2026-01-31T14:30:00Z"])
    return response


def _queue(user):
    return (
        SaleRecord.objects.filter(campaign__advertiser=user, status=SaleStatus.PENDING)
        .select_related("campaign", "participation__promoter__promoter_details")
        .order_by("created_at")
    )


@advertiser_required
@require_GET
def sales_queue(request):
    sales = _queue(request.user)
    template = "tracking/sales_queue.html#queue" if request.htmx else "tracking/sales_queue.html"
    return render(
        request,
        template,
        {"sales": sales[:QUEUE_PAGE_SIZE], "count": sales.count(), "reject_form": SaleRejectForm()},
    )


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


@advertiser_required
@require_POST
def sales_bulk(request):
    """Verify (or reject, with one reason) the ticked sales; HTMX swaps the queue in place."""
    action = request.POST.get("action")
    ids = request.POST.getlist("sale")[:QUEUE_PAGE_SIZE]
    sales = list(_queue(request.user).filter(public_id__in=[i for i in ids if _is_uuid(i)]))
    if action == "verify":
        done, errors = services.sales_verify(sales=sales, actor=request.user)
        messages.success(request, f"{done} sale(s) verified.")
    elif action == "reject":
        form = SaleRejectForm(request.POST)
        if not form.is_valid():
            messages.error(request, f"Nothing rejected: {_first_error(form)}")
            done, errors = 0, []
        else:
            done, errors = 0, []
            for sale in sales:
                try:
                    services.sale_reject(
                        sale=sale,
                        actor=request.user,
                        code=form.cleaned_data["reason_code"],
                        note=form.cleaned_data["note"],
                    )
                    done += 1
                except services.TrackingError as error:
                    errors.append(f"{sale.order_id}: {error}")
            messages.success(request, f"{done} sale(s) rejected.")
    else:
        errors = ["Choose verify or reject."]
    for error in errors:
        messages.error(request, error)
    if request.htmx:
        sales = _queue(request.user)
        return render(
            request,
            "tracking/sales_queue.html#queue",
            {"sales": sales[:QUEUE_PAGE_SIZE], "count": sales.count(), "reject_form": SaleRejectForm()},
        )
    return redirect("tracking:sales_queue")


def _is_uuid(value):
    import uuid

    try:
        uuid.UUID(value)
    except (ValueError, TypeError):
        return False
    return True


@advertiser_required
@require_POST
def sale_action(request, public_id, action):
    sale = get_sale_for_advertiser(request.user, public_id)
    try:
        if action == "verify":
            services.sale_verify(sale=sale, actor=request.user)
            messages.success(request, f"Sale {sale.order_id} verified.")
        elif action == "reject":
            form = SaleRejectForm(request.POST)
            if not form.is_valid():
                raise services.SaleInvalid(f"Nothing rejected: {_first_error(form)}")
            services.sale_reject(
                sale=sale, actor=request.user, code=form.cleaned_data["reason_code"], note=form.cleaned_data["note"]
            )
            messages.success(request, f"Sale {sale.order_id} rejected.")
        elif action == "refund":
            services.sale_refund(sale=sale, actor=request.user, reason="refunded (marked by the advertiser)")
            messages.success(request, f"Sale {sale.order_id} marked refunded.")
        else:
            raise Http404
    except services.TrackingError as error:
        messages.error(request, str(error))
    return redirect("tracking:advertiser_campaign", sale.campaign.public_id)


@advertiser_required
@require_http_methods(["GET", "POST"])
def api_keys(request):
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _key, new_key = services.api_key_create(advertiser=request.user, name=form.cleaned_data["name"])
        form = ApiKeyForm()
    campaigns = Campaign.objects.filter(advertiser=request.user, campaign_type=CampaignType.SALESMAN)
    return render(
        request,
        "tracking/api_keys.html",
        {
            "keys": ApiKey.objects.filter(advertiser=request.user),
            "form": form,
            "new_key": new_key,
            "example_campaign": campaigns.first(),
            "api_url": request.build_absolute_uri(reverse("tracking:api_sales")),
        },
        status=400 if request.method == "POST" and new_key is None else 200,
    )


@advertiser_required
@require_POST
def api_key_revoke(request, public_id):
    key = get_object_or_404(ApiKey, public_id=public_id, advertiser=request.user)
    services.api_key_revoke(api_key=key)
    messages.success(request, f"Key {key.prefix}… revoked; requests with it now get 401.")
    return redirect("tracking:api_keys")
