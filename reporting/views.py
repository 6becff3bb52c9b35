"""Dashboards and the staff finance overview: pages that read every app's figures and write nothing."""

from functools import partial

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from accounts.decorators import advertiser_required, promoter_required
from reporting import dashboards, finance

# Each dashboard part refreshes on its own (HTMX `?part=<name>`); the full page renders them all.
ADVERTISER_PARTS = {
    "summary": dashboards.advertiser_summary_part,
    "actions": dashboards.advertiser_actions_part,
    "campaigns": dashboards.advertiser_campaigns_part,
    "charts": dashboards.advertiser_charts_part,
}
EARNINGS_RANGES = {"30d": 0, "12m": 12}


@advertiser_required
@require_GET
def advertiser_dashboard(request):
    context = {"details": request.user.advertiser_details}
    return _dashboard(request, "reporting/advertiser_dashboard.html", ADVERTISER_PARTS, context)


@promoter_required
@require_GET
def promoter_dashboard(request):
    months = EARNINGS_RANGES.get(request.GET.get("range", ""), 0)
    parts = {
        "wallet": dashboards.promoter_wallet_part,
        "actions": dashboards.promoter_actions_part,
        "earnings": partial(dashboards.promoter_earnings_part, months=months),
    }
    return _dashboard(request, "reporting/promoter_dashboard.html", parts, {"details": request.user.promoter_details})


def _dashboard(request, template, parts, context):
    """The whole page, or only the part an HTMX request names (unknown names get the page)."""
    part = request.GET.get("part")
    if request.htmx and part in parts:
        return render(request, f"{template}#{part}", parts[part](request.user))
    for build in parts.values():
        context.update(build(request.user))
    return render(request, template, context)


def finance_overview(request):
    """Staff: where the money is (admin/finance/), linking to the lists where staff act.

    Platform-wide balances: only staff given `billing.view_finance_overview` (the finance role).
    """
    if not request.user.has_perm("billing.view_finance_overview"):
        raise PermissionDenied
    context = {**admin.site.each_context(request), "title": "Finance overview", **finance.finance_overview()}
    return TemplateResponse(request, "admin/finance_overview.html", context)
