"""The advertiser dashboard's campaign table, a row per campaign, written with `format_html`.

A dashboard lists up to `CAMPAIGNS_SHOWN` campaigns. Drawn with template tags, each row took about
thirty variable lookups, filters and URL reversals: at 50 campaigns the table cost more than all the
dashboard's queries together. Django's admin builds its change-list rows in Python for the same
reason (`items_for_result`). Every value still passes through `format_html`, which escapes it.
"""

import uuid

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from campaignplatform.money import dollars
from campaigns.models import CampaignStatus, CampaignType

register = template.Library()
PLACEHOLDER_ID = str(uuid.UUID(int=0))


@register.simple_tag(takes_context=True)
def campaign_row(context, row) -> SafeString:
    """One `<tr>` of the "Your campaigns" table for a `reporting.dashboards.CampaignRow`."""
    campaign = row.campaign
    urls = _table_urls(context.render_context)
    detail_url = urls["detail"].replace(PLACEHOLDER_ID, str(campaign.public_id))
    return format_html(
        '<tr><td><a href="{}">{}</a><br><span class="badge type-{}">{}</span></td>'
        '<td><span class="badge {}">{}</span>{}</td><td class="budget">{}</td>'
        '<td class="num">{}</td><td class="small">{}</td></tr>',
        detail_url,
        campaign.title,
        campaign.campaign_type,
        campaign.get_campaign_type_display(),
        campaign.status,
        campaign.get_status_display(),
        _next_step(campaign, detail_url, urls["fund"]),
        _budget(row),
        dollars(row.month_spent),
        _results(row, urls["sales_queue"]),
    )


def _table_urls(render_context) -> dict[str, str]:
    """The table's links, reversed once per page (`render_context` lives for one render); a
    campaign's own links swap its id for PLACEHOLDER_ID. Reversing two links for each of 50 rows
    cost as much as the rest of the row."""
    if "campaign_row_urls" not in render_context:
        render_context["campaign_row_urls"] = {
            "detail": reverse("campaigns:advertiser_detail", args=[PLACEHOLDER_ID]),
            "fund": reverse("billing:fund", args=[PLACEHOLDER_ID]),
            "sales_queue": reverse("tracking:sales_queue"),
        }
    return render_context["campaign_row_urls"]


def _next_step(campaign, detail_url: str, fund_url: str) -> str:
    if campaign.is_ready_to_fund:
        url = fund_url.replace(PLACEHOLDER_ID, str(campaign.public_id))
        return format_html('<br><a class="small" href="{}">Fund it</a>', url)
    if campaign.status == CampaignStatus.AWAITING_FUNDING:
        return format_html('<br><a class="small" href="{}?tab=applications">Review applications</a>', detail_url)
    return ""


def _budget(row) -> str:
    if not row.funded:
        return format_html('<span class="muted small">{}</span>', "Not funded yet")
    percent = row.spent_percent
    refunded = format_html(" · {} refunded", dollars(row.refunded)) if row.refunded else ""
    return format_html(
        '<div class="progress{}" role="progressbar" aria-label="Budget used" aria-valuenow="{}"'
        ' aria-valuemin="0" aria-valuemax="100"><span style="width: {}%"></span></div>'
        '<div class="small">{} spent of {} · <strong>{}</strong> left{}</div>',
        " ok" if percent >= 100 else "",
        percent,
        percent,
        dollars(row.spent),
        dollars(row.funded),
        dollars(row.remaining),
        refunded,
    )


def _results(row, sales_queue_url: str) -> str:
    campaign = row.campaign
    promoters = _plural(row.promoters, "promoter")
    if campaign.campaign_type == CampaignType.VISIBILITY:
        views = f"{campaign.paid_views:,} of {campaign.max_views:,} views"
        return format_html("{} ({}%) · {}", views, row.views_percent, promoters)
    if campaign.campaign_type == CampaignType.SALESMAN:
        to_verify = ""
        if row.sales_pending:
            to_verify = format_html(', <a href="{}">{} to verify</a>', sales_queue_url, row.sales_pending)
        return format_html("{}{} · {}", _plural(row.sales_verified, "verified sale"), to_verify, promoters)
    return "Promoter selected" if campaign.has_selected_promoter else "Choosing a promoter"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
