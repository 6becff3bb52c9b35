"""Sales: verification credits the commission once; no budget means waiting; refunds undo it."""

from decimal import Decimal

import pytest
from django.utils import timezone

from billing import ledger
from billing.services import campaign_budget_remaining
from campaigns.models import CampaignStatus
from tests.support.books import assert_books_clean
from tests.support.tracking import join, salesman_campaign
from tracking import services
from tracking.models import CommissionDeduction, SaleRecord, SaleSource, SaleStatus, SaleStatusChange

pytestmark = pytest.mark.django_db


def record(campaign, participation, amount_cents=10_000, order_id="o-1", **kwargs):
    sale, _created = services.sale_record(
        campaign=campaign,
        order_id=order_id,
        amount_cents=amount_cents,
        currency="usd",
        ref_code=participation.tracking_code,
        source=SaleSource.MANUAL,
        **kwargs,
    )
    return sale


@pytest.mark.parametrize(
    ("amount", "rate", "expected"),
    [(10_000, "12.50", 1250), (999, "12.50", 124), (1, "99.99", 0), (333, "33.33", 110), (10**9, "100", 10**9)],
)
def test_commission_is_floored_exactly(amount, rate, expected):
    assert services.commission_cents(amount_cents=amount, rate=Decimal(rate)) == expected


def test_verified_sale_credits_its_commission_once():
    campaign = salesman_campaign(budget_cents=10_000)
    participation = join(campaign)
    sale = record(campaign, participation, amount_cents=9_999)  # 12.5% = 1249.875 -> 1249

    services.sale_verify(sale=sale, actor=campaign.advertiser)
    services.sale_verify(sale=sale, actor=campaign.advertiser)  # double click

    sale.refresh_from_db()
    assert (sale.status, sale.commission_cents, sale.commission_posted) == (SaleStatus.VERIFIED, 1249, True)
    assert sale.verified_by == campaign.advertiser and not sale.auto_verified
    assert ledger.promoter_pending(participation.promoter).balance == 1249
    assert campaign_budget_remaining(campaign) == 10_000 - 1249
    assert list(sale.status_changes.values_list("from_status", "to_status")) == [
        ("pending", "verified"),
        ("", "pending"),
    ]
    assert_books_clean()


def test_rejected_sale_earns_nothing():
    campaign = salesman_campaign()
    sale = record(campaign, join(campaign))

    services.sale_reject(sale=sale, actor=campaign.advertiser, code="order_cancelled", note="before shipping")

    sale.refresh_from_db()
    assert (sale.status, sale.decision_reason_code, sale.decision_reason) == (
        SaleStatus.REJECTED,
        "order_cancelled",
        "before shipping",
    )
    assert sale.status_changes.first().reason == "Order cancelled before it was fulfilled: before shipping"
    with pytest.raises(services.SaleConflict):
        services.sale_verify(sale=sale, actor=campaign.advertiser)
    other = record(campaign, sale.participation, order_id="o-2")
    for code, note in [("", "cancelled"), ("cancelled", ""), ("other", " ")]:
        with pytest.raises(services.SaleInvalid):
            services.sale_reject(sale=other, actor=None, code=code, note=note)
    other.refresh_from_db()
    assert (other.status, other.decision_reason_code) == (SaleStatus.PENDING, "")
    assert_books_clean()


def test_sale_beyond_the_budget_waits_pauses_and_is_paid_after_top_up(django_capture_on_commit_callbacks):
    from tests.support.funding import fund_without_stripe as fund

    campaign = salesman_campaign(budget_cents=2_000)
    participation = join(campaign)
    first = record(campaign, participation, amount_cents=10_000, order_id="a")  # 1250
    second = record(campaign, participation, amount_cents=10_000, order_id="b")  # 1250 > 750 left

    with django_capture_on_commit_callbacks(execute=True):
        services.sale_verify(sale=first, actor=campaign.advertiser)
        services.sale_verify(sale=second, actor=campaign.advertiser)

    second.refresh_from_db()
    campaign.refresh_from_db()
    assert second.status == SaleStatus.AWAITING_BUDGET and not second.commission_posted
    assert campaign.status == CampaignStatus.PAUSED
    assert campaign.status_changes.first().reason == "budget used up"
    assert campaign.advertiser.notifications.filter(kind="campaign_paused").count() == 1
    assert ledger.promoter_pending(participation.promoter).balance == 1250
    assert_books_clean()

    with django_capture_on_commit_callbacks(execute=True):
        fund(campaign, 5_000)  # the advertiser tops up: billing resumes the campaign and pays what waited

    second.refresh_from_db()
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE
    assert (second.status, second.commission_posted) == (SaleStatus.VERIFIED, True)
    assert ledger.promoter_pending(participation.promoter).balance == 2500
    assert services.sales_pay_awaiting(campaign=campaign) == 0
    assert_books_clean()


def test_pending_sales_are_verified_automatically_after_the_holding_period(settings):
    campaign = salesman_campaign()
    participation = join(campaign)
    old = record(campaign, participation, order_id="old")
    new = record(campaign, participation, order_id="new")
    SaleRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - timezone.timedelta(days=31))

    assert services.sales_auto_verify_due() == 1
    assert services.sales_auto_verify_due() == 0

    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.status, old.auto_verified, old.verified_by) == (SaleStatus.VERIFIED, True, None)
    assert new.status == SaleStatus.PENDING
    assert_books_clean()


def test_refund_after_payout_is_recorded_as_a_deduction():
    campaign = salesman_campaign()
    participation = join(campaign)
    sale = record(campaign, participation)
    services.sale_verify(sale=sale, actor=campaign.advertiser)
    # The month closed and the commission moved on towards the payout (pending -> available).
    from django.db import transaction

    from billing.models import TransactionKind

    with transaction.atomic():
        ledger.ledger_post(
            kind=TransactionKind.RELEASE,
            legs=[
                ledger.Leg(
                    ledger.promoter_pending(participation.promoter),
                    ledger.promoter_available(participation.promoter),
                    1250,
                )
            ],
            idempotency_key="test-release",
        )

    services.sale_refund(sale=sale, actor=campaign.advertiser)

    sale.refresh_from_db()
    assert sale.status == SaleStatus.REFUNDED
    deduction = CommissionDeduction.objects.get(sale=sale)
    assert (deduction.promoter, deduction.amount_cents, deduction.applied_at) == (participation.promoter, 1250, None)
    assert ledger.promoter_available(participation.promoter).balance == 1250  # payouts applies it later
    assert_books_clean()


def test_refund_before_payout_reverses_the_commission():
    campaign = salesman_campaign()
    participation = join(campaign)
    sale = record(campaign, participation)
    services.sale_verify(sale=sale, actor=campaign.advertiser)

    services.sale_refund(sale=sale, actor=campaign.advertiser)

    sale.refresh_from_db()
    assert (sale.status, sale.commission_posted) == (SaleStatus.REFUNDED, False)
    assert ledger.promoter_pending(participation.promoter).balance == 0
    assert campaign_budget_remaining(campaign) == 10_000
    assert not CommissionDeduction.objects.exists()
    assert_books_clean()


def _paused_with_a_sale_waiting():
    """A $20 Salesman campaign: the first $100 sale is paid (1250), the second waits for budget
    (1250 > 750 left) and the campaign pauses."""
    campaign = salesman_campaign(budget_cents=2_000)
    participation = join(campaign)
    paid = record(campaign, participation, amount_cents=10_000, order_id="a")
    waiting = record(campaign, participation, amount_cents=10_000, order_id="b")
    services.sale_verify(sale=paid, actor=campaign.advertiser)
    services.sale_verify(sale=waiting, actor=campaign.advertiser)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PAUSED
    return campaign, participation, paid, waiting


def test_a_refund_before_payout_frees_budget_that_resumes_the_campaign_and_pays_the_waiting_sale(
    django_capture_on_commit_callbacks,
):
    campaign, participation, paid, waiting = _paused_with_a_sale_waiting()

    with django_capture_on_commit_callbacks(execute=True):
        services.sale_refund(sale=paid, actor=None)

    campaign.refresh_from_db()
    waiting.refresh_from_db()
    assert campaign.status == CampaignStatus.ACTIVE
    assert campaign.status_changes.first().reason == "budget returned by a refunded sale"
    assert (waiting.status, waiting.commission_posted) == (SaleStatus.VERIFIED, True)
    assert ledger.promoter_pending(participation.promoter).balance == 1250  # the waiting sale's only
    assert campaign_budget_remaining(campaign) == 750
    assert_books_clean()


@pytest.mark.django_db(transaction=True)
def test_a_refund_and_a_top_up_at_once_pay_the_waiting_sale_once():
    import threading

    from django.db import connection

    from billing.models import Transaction
    from tests.support.funding import fund_without_stripe as fund

    campaign, participation, paid, waiting = _paused_with_a_sale_waiting()
    start = threading.Barrier(2)
    errors = []

    def run(action):
        try:
            start.wait()
            action()
        except Exception as error:  # reported below, in the test's own thread
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(lambda: services.sale_refund(sale=paid, actor=None),)),
        threading.Thread(target=run, args=(lambda: fund(campaign, 5_000),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    waiting.refresh_from_db()
    campaign.refresh_from_db()
    assert (waiting.status, waiting.commission_posted) == (SaleStatus.VERIFIED, True)
    assert Transaction.objects.filter(idempotency_key=f"spend:sale-commission-{waiting.pk}").count() == 1
    assert ledger.promoter_pending(participation.promoter).balance == 1250
    assert campaign_budget_remaining(campaign) == 2_000 + 5_000 - 1250
    assert campaign.status == CampaignStatus.ACTIVE
    assert_books_clean()


def test_refund_of_pending_or_waiting_sale_moves_no_money():
    campaign = salesman_campaign()
    sale = record(campaign, join(campaign))

    services.sale_refund(sale=sale, actor=None)
    services.sale_refund(sale=sale, actor=None)

    sale.refresh_from_db()
    assert sale.status == SaleStatus.REFUNDED
    assert SaleStatusChange.objects.filter(sale=sale, to_status="refunded").count() == 1
    assert_books_clean()


def test_sale_needs_a_code_of_this_campaign():
    campaign = salesman_campaign()
    other = join(salesman_campaign())

    with pytest.raises(services.SaleInvalid, match="ref_code"):
        record(campaign, other)
    with pytest.raises(services.SaleInvalid):
        services.sale_record(campaign=campaign, order_id="x", amount_cents=100, currency="usd")
    assert not SaleRecord.objects.exists()


def test_coupon_codes_are_unique_within_the_campaign_and_stable():
    campaign = salesman_campaign(tracking_method="coupon_code")
    participations = [join(campaign) for _ in range(5)]

    codes = [services.coupon_ensure(participation=p).code for p in participations]

    assert len(set(codes)) == 5
    assert services.coupon_ensure(participation=participations[0]).code == codes[0]


def test_referral_only_campaign_has_no_coupon():
    campaign = salesman_campaign(tracking_method="referral_link")

    assert services.coupon_ensure(participation=join(campaign)) is None


def test_a_sale_verified_while_paused_for_budget_tells_the_advertiser_once(django_capture_on_commit_callbacks):
    campaign = salesman_campaign(budget_cents=1_000)
    participation = join(campaign)
    first = record(campaign, participation, amount_cents=10_000, order_id="a")  # 1250 > 1000
    second = record(campaign, participation, amount_cents=10_000, order_id="b")
    with django_capture_on_commit_callbacks(execute=True):
        services.sale_verify(sale=first, actor=campaign.advertiser)  # pauses: the pause tells them
        services.sale_verify(sale=second, actor=campaign.advertiser)  # already paused: this sale is told

    told = campaign.advertiser.notifications
    assert told.filter(kind="campaign_paused").count() == 2
    waiting = told.get(event_key=f"sale:{second.pk}:awaiting_budget")
    assert "Top up" in waiting.title and waiting.url == f"/billing/campaigns/{campaign.public_id}/fund/"
    assert not told.filter(event_key=f"sale:{first.pk}:awaiting_budget").exists()
