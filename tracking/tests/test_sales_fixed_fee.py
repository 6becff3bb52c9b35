"""Salesman campaigns under a fixed fee per sale: each verified sale's commission and its fee
leave the budget together; a sale the budget cannot pay both for waits for budget; a refunded
sale gives both back; an ended campaign refunds the rest to the cent."""

import threading

import pytest
from django.db import connection

from billing import ledger
from billing.models import AdvertiserCharge, ChargeKind, FeePlan, Transaction
from billing.services import campaign_budget_remaining
from campaigns import services as campaign_services
from campaigns.models import CampaignStatus
from tests.support.books import assert_books_clean
from tests.support.funding import fund_without_stripe
from tests.support.tracking import join, salesman_campaign
from tracking import services
from tracking.models import SaleRecord, SaleSource, SaleStatus

pytestmark = pytest.mark.django_db


def per_sale_campaign(budget_cents):
    """12.5% commission; platform fee 10% + $0.50 per sale, fixed on the campaign at funding."""
    FeePlan.objects.create(name="Sales", campaign_type="salesman", percent_bp=1000, fixed_cents=50)
    return salesman_campaign(budget_cents=budget_cents)


def record(campaign, participation, order_id, amount_cents=10_000):
    sale, _created = services.sale_record(
        campaign=campaign,
        order_id=order_id,
        amount_cents=amount_cents,
        currency="usd",
        ref_code=participation.tracking_code,
        source=SaleSource.MANUAL,
    )
    return sale


def test_each_verified_sale_pays_its_fee_from_the_budget_and_the_end_refunds_the_rest(
    django_capture_on_commit_callbacks,
):
    campaign = per_sale_campaign(10_000)  # charged 11,000
    participation = join(campaign)
    sales = [record(campaign, participation, f"o-{n}") for n in range(3)]  # 1,250 commission each

    for sale in sales:
        services.sale_verify(sale=sale, actor=campaign.advertiser)

    sale = SaleRecord.objects.get(pk=sales[0].pk)
    assert (sale.status, sale.commission_cents, sale.commission_fee_cents) == (SaleStatus.VERIFIED, 1_250, 125 + 50)
    assert ledger.promoter_pending(participation.promoter).balance == 3_750
    assert campaign_budget_remaining(campaign) == 10_000 - 3 * 1_300
    assert ledger.platform_revenue().balance == 375 + 150
    assert_books_clean()

    with django_capture_on_commit_callbacks(execute=True):
        campaign_services.campaign_complete(campaign=campaign, actor=campaign.advertiser)

    refund = AdvertiserCharge.objects.get(campaign=campaign, kind=ChargeKind.REFUND)
    assert (refund.budget_amount, refund.fee_amount) == (6_100, 625)
    assert 3_750 + 375 + 150 + refund.amount == 11_000
    assert campaign_budget_remaining(campaign) == 0 and ledger.campaign_fee_held(campaign).balance == 0
    assert_books_clean()


def test_a_sale_whose_commission_fits_but_not_its_fee_waits_for_budget(django_capture_on_commit_callbacks):
    campaign = per_sale_campaign(2_550)
    participation = join(campaign)
    first, second = record(campaign, participation, "a"), record(campaign, participation, "b")

    with django_capture_on_commit_callbacks(execute=True):
        services.sale_verify(sale=first, actor=campaign.advertiser)  # 1,300: 1,250 left
        services.sale_verify(sale=second, actor=campaign.advertiser)  # 1,250 + 50 > 1,250

    second.refresh_from_db()
    campaign.refresh_from_db()
    assert (second.status, second.commission_posted) == (SaleStatus.AWAITING_BUDGET, False)
    assert campaign.status == CampaignStatus.PAUSED
    assert campaign_budget_remaining(campaign) == 1_250
    assert ledger.promoter_pending(participation.promoter).balance == 1_250
    assert_books_clean()

    with django_capture_on_commit_callbacks(execute=True):
        fund_without_stripe(campaign, 2_000)  # the top-up pays the waiting sale and its fee

    second.refresh_from_db()
    assert (second.status, second.commission_posted) == (SaleStatus.VERIFIED, True)
    assert campaign_budget_remaining(campaign) == 1_250 + 2_000 - 1_300
    assert_books_clean()


def test_a_refunded_sale_gives_its_fee_back_and_the_ended_campaign_refunds_it(django_capture_on_commit_callbacks):
    campaign = per_sale_campaign(10_000)
    participation = join(campaign)
    kept, refunded = record(campaign, participation, "kept"), record(campaign, participation, "refunded")
    services.sale_verify(sale=kept, actor=campaign.advertiser)
    services.sale_verify(sale=refunded, actor=campaign.advertiser)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_services.campaign_complete(campaign=campaign, actor=campaign.advertiser)
    first_refund = AdvertiserCharge.objects.get(campaign=campaign, kind=ChargeKind.REFUND)
    assert (first_refund.budget_amount, first_refund.fee_amount) == (10_000 - 2 * 1_300, 1_000 - 250)

    # Refunded after the end: the commission and its whole fee come back, and go to the advertiser.
    with django_capture_on_commit_callbacks(execute=True):
        services.sale_refund(sale=refunded, actor=campaign.advertiser)

    refunds = AdvertiserCharge.objects.filter(campaign=campaign, kind=ChargeKind.REFUND).order_by("pk")
    assert [(row.budget_amount, row.fee_amount) for row in refunds] == [(7_400, 750), (1_300, 125)]
    assert ledger.platform_revenue().balance == 125 + 50  # the kept sale's fee only
    assert campaign_budget_remaining(campaign) == 0 and ledger.campaign_fee_held(campaign).balance == 0
    assert 1_250 + 125 + 50 + sum(row.amount for row in refunds) == 11_000
    assert_books_clean()


@pytest.mark.django_db(transaction=True)
def test_two_sales_verified_at_once_against_a_budget_for_one_commission_and_fee():
    # 2,550 covers both commissions (2,500) but not both with their fees (2,600).
    campaign = per_sale_campaign(2_550)
    participation = join(campaign)
    sales = [record(campaign, participation, f"race-{n}") for n in range(2)]
    start = threading.Barrier(2)
    errors = []

    def verify(sale):
        try:
            start.wait()
            services.sale_verify(sale=sale, actor=None)
        except Exception as error:  # reported below, in the test's own thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=verify, args=(sale,)) for sale in sales]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    statuses = sorted(SaleRecord.objects.filter(campaign=campaign).values_list("status", flat=True))
    assert statuses == [SaleStatus.AWAITING_BUDGET, SaleStatus.VERIFIED]
    assert Transaction.objects.filter(idempotency_key__startswith="spend-fixed-fee:sale-commission-").count() == 1
    assert campaign_budget_remaining(campaign) == 1_250
    assert ledger.promoter_pending(participation.promoter).balance == 1_250
    assert_books_clean()
