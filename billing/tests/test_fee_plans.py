"""Fee plans: a percentage, a fixed amount per 100 views, per sale or per milestone payment, or
both; defaults per campaign type, overrides per advertiser; the plan is fixed on the campaign
when its funding starts, shown before paying, and its fee is recognised as the budget is spent
and refunded in proportion (a fixed amount per sale or milestone: test_fee_per_spend.py)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from billing import fees, ledger, services
from billing.audit import ledger_audit
from billing.models import AdvertiserCharge, CampaignFeeTerms, ChargeKind, FeePlan
from campaigns import services as campaign_services
from campaigns.tests.factories import CampaignFactory
from tests.support.funding import fund_with_card as fund

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("percent_bp", "fixed", "budget", "views", "fee"),
    [
        (1000, 0, 6_000, 2_000, 600),  # 10%
        (0, 50, 6_000, 2_000, 1_000),  # $0.50 per 100 views: 20 units
        (500, 50, 6_000, 2_000, 1_300),  # both
        (1250, 0, 333, None, 42),  # 41.625 rounds half up
        (0, 50, 6_000, 2_050, 1_050),  # a part of 100 views is a unit
    ],
)
def test_the_fee_is_the_percentage_plus_the_fixed_amount_per_unit(percent_bp, fixed, budget, views, fee):
    terms = fees.FeeTerms(percent_bp, fixed, "visibility")
    quote = fees.fee_quote(budget_cents=budget, terms=terms, views=views)
    assert quote.fee_cents == fee and quote.total_cents == budget + fee


def test_terms_describe_themselves():
    assert fees.FeeTerms(1000).describe() == "10%"
    assert fees.FeeTerms(1250).describe() == "12.5%"
    assert fees.FeeTerms(500, 50, "visibility").describe() == "5% + $0.50 per 100 views"
    assert fees.FeeTerms(0, 50, "visibility").describe() == "$0.50 per 100 views"


def test_an_advertiser_override_beats_the_type_default_which_beats_the_setting(admin_user):
    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2_000)
    assert fees.campaign_fee_terms(campaign).percent_bp == 1000  # settings: 10%
    FeePlan.objects.create(name="Views", campaign_type="visibility", percent_bp=800, created_by=admin_user)
    assert fees.campaign_fee_terms(campaign).percent_bp == 800
    FeePlan.objects.create(name="Big client", advertiser=campaign.advertiser, percent_bp=300, created_by=admin_user)
    assert fees.campaign_fee_terms(campaign).percent_bp == 300
    FeePlan.objects.create(
        name="Big client views", advertiser=campaign.advertiser, campaign_type="visibility", percent_bp=200
    )
    assert fees.campaign_fee_terms(campaign).percent_bp == 200


def test_a_fixed_amount_per_sale_or_milestone_is_a_valid_plan():
    for campaign_type in ("salesman", "consultant", "seller", "visibility"):
        FeePlan(name="Fixed", campaign_type=campaign_type, percent_bp=500, fixed_cents=25).full_clean()
    with pytest.raises(ValidationError, match="one campaign type"):
        FeePlan(name="Default for all", fixed_cents=25).full_clean()


@pytest.mark.parametrize(
    ("terms", "described", "at_funding", "per_spend", "from_budget"),
    [
        (
            fees.FeeTerms(1000, 50, "salesman"),
            "10% + $0.50 per sale",
            "10%",
            50,
            "$0.50 per sale, taken from the budget as each sale is paid",
        ),
        (
            fees.FeeTerms(0, 500, "consultant"),
            "$5.00 per milestone payment",
            "0%",
            500,
            "$5.00 per milestone payment, taken from the budget as each milestone is paid",
        ),
        (
            fees.FeeTerms(800, 125, "seller"),
            "8% + $1.25 per milestone payment",
            "8%",
            125,
            "$1.25 per milestone payment, taken from the budget as each milestone is paid",
        ),
        # Views bought are known at funding: their fixed amount is charged on top then.
        (fees.FeeTerms(500, 50, "visibility"), "5% + $0.50 per 100 views", "5% + $0.50 per 100 views", 0, ""),
        (fees.FeeTerms(1000, 0, "salesman"), "10%", "10%", 0, ""),
    ],
)
def test_a_fixed_amount_per_sale_or_milestone_is_taken_per_spend_not_at_funding(
    terms, described, at_funding, per_spend, from_budget
):
    assert terms.describe() == described
    assert terms.describe_at_funding() == at_funding
    assert terms.fixed_per_spend_cents == per_spend
    assert terms.describe_per_spend() == from_budget
    quote = fees.fee_quote(
        budget_cents=10_000, terms=terms, views=2_000 if terms.campaign_type == "visibility" else None
    )
    charged_fixed = 0 if per_spend else terms.fixed_cents * 20
    assert (quote.fixed_cents, quote.fee_cents) == (charged_fixed, terms.percent_bp + charged_fixed)


def test_the_fund_page_and_receipt_say_the_fee_per_sale_comes_from_the_budget(client, card_for):
    FeePlan.objects.create(name="Sales", campaign_type="salesman", percent_bp=1000, fixed_cents=50)
    campaign = CampaignFactory(salesman=True, awaiting_funding=True)
    card_for(campaign.advertiser)
    client.force_login(campaign.advertiser)

    page = client.get(reverse("billing:fund", args=[campaign.public_id]), {"budget_dollars": "100"}).text
    fund(campaign, budget_cents=10_000)
    charge = AdvertiserCharge.objects.get(campaign=campaign, kind=ChargeKind.CHARGE)
    receipt = client.get(reverse("billing:receipt", args=[charge.public_id])).text

    assert "Platform fee (10%)" in page and "$10.00" in page and "$110.00" in page
    assert "Plus $0.50 per sale, taken from the budget as each sale is paid" in page
    assert "Platform fee (10%)" in receipt and "$10.00" in receipt
    assert "Plus $0.50 per sale, taken from the budget as each sale is paid" in receipt


def test_the_plan_is_fixed_at_funding_shown_before_paying_and_refunded_in_proportion(
    client, card_for, promoter, admin_user
):
    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2_000)
    card_for(campaign.advertiser)
    FeePlan.objects.create(
        name="Views", campaign_type="visibility", percent_bp=500, fixed_cents=50, created_by=admin_user
    )
    client.force_login(campaign.advertiser)
    page = client.get(reverse("billing:fund", args=[campaign.public_id]))
    assert "Platform fee (5% + $0.50 per 100 views)" in page.text and "$13.00" in page.text

    fund(campaign)  # 6,000 + 300 + 1,000
    charge = AdvertiserCharge.objects.get(campaign=campaign, kind=ChargeKind.CHARGE)
    assert (charge.budget_amount, charge.fee_amount, charge.amount) == (6_000, 1_300, 7_300)
    assert CampaignFeeTerms.objects.get(campaign=campaign).percent_bp == 500

    # A later change applies to new campaigns only.
    FeePlan.objects.create(name="Views 2027", campaign_type="visibility", percent_bp=2_000, created_by=admin_user)
    assert fees.campaign_fee_terms(campaign).percent_bp == 500
    assert fees.campaign_fee_terms(CampaignFactory(awaiting_funding=True)).percent_bp == 2_000

    with transaction.atomic():
        services.campaign_budget_spend(campaign=campaign, promoter=promoter, amount_cents=1_500, idempotency_key="v1")
    campaign.refresh_from_db()
    campaign_services.campaign_complete(campaign=campaign, actor=campaign.advertiser)
    refund = AdvertiserCharge.objects.get(campaign=campaign, kind=ChargeKind.REFUND)
    # A quarter spent: a quarter of the fee recognised, three quarters refunded with the budget.
    assert (refund.budget_amount, refund.fee_amount) == (4_500, 975)
    assert ledger.platform_revenue().balance == 325
    assert ledger_audit().clean, ledger_audit().differences


def test_staff_add_a_plan_in_admin_and_who_and_when_are_recorded(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:billing_feeplan_add"),
        {"name": "Views 2027", "campaign_type": "visibility", "percent_bp": "750", "fixed_cents": "25", "active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = FeePlan.objects.get()
    assert (plan.created_by, plan.percent_bp, plan.fixed_cents) == (admin_user, 750, 25) and plan.created_at
    admin_client.post(
        reverse("admin:billing_feeplan_change", args=[plan.pk]),
        {"active": "", "name": "edited", "percent_bp": "1", "fixed_cents": "0"},
    )
    plan.refresh_from_db()
    assert (plan.name, plan.percent_bp, plan.active) == ("Views 2027", 750, False)  # only deactivated


def test_the_receipt_names_the_plan_the_fee_came_from(client, card_for, admin_user):
    campaign = CampaignFactory(awaiting_funding=True, cpv=300, max_views=2_000)
    card_for(campaign.advertiser)
    FeePlan.objects.create(name="Views", campaign_type="visibility", percent_bp=500, fixed_cents=50)
    fund(campaign)
    FeePlan.objects.create(name="Views 2027", campaign_type="visibility", percent_bp=2_000)
    charge = AdvertiserCharge.objects.get(campaign=campaign, kind=ChargeKind.CHARGE)
    client.force_login(campaign.advertiser)
    page = client.get(reverse("billing:receipt", args=[charge.public_id]))
    assert "Platform fee (5% + $0.50 per 100 views)" in page.text and "$13.00" in page.text


def test_the_campaign_form_preview_uses_the_type_default_plan(client, advertiser):
    FeePlan.objects.create(name="Views", campaign_type="visibility", percent_bp=500, fixed_cents=50)
    client.force_login(advertiser)
    preview = reverse("billing:cost_preview")

    views = client.get(preview, {"campaign_type": "visibility", "cpv_dollars": "3.00", "max_views": "2000"}).text
    salesman = client.get(preview, {"campaign_type": "salesman", "commission_per_sale": "10"}).text

    # 5% of $60.00 plus $0.50 for each of the 20 hundreds of views.
    assert "plus a $13.00 platform fee = $73.00." in views
    assert "platform fee of 10%" in salesman  # no plan for the type: the settings' 10%


def test_the_campaign_form_preview_says_a_fee_per_sale_comes_from_the_budget(client, advertiser):
    FeePlan.objects.create(name="Sales", campaign_type="salesman", percent_bp=800, fixed_cents=50)
    client.force_login(advertiser)

    text = client.get(reverse("billing:cost_preview"), {"campaign_type": "salesman"}).text

    assert "plus a platform fee of 8%. Plus $0.50 per sale, taken from the budget as each sale is paid." in text
