"""Promoters hear when their sale is verified (however) or rejected, once per sale (issue 19)."""

import pytest

from accounts.models import Notification
from tests.support.funding import fund_without_stripe
from tests.support.tracking import join, salesman_campaign
from tracking import services
from tracking.models import SaleSource

pytestmark = pytest.mark.django_db


def _sale(campaign, participation, order_id="o-1", amount_cents=10_000):
    sale, _created = services.sale_record(
        campaign=campaign,
        order_id=order_id,
        amount_cents=amount_cents,
        currency="usd",
        ref_code=participation.tracking_code,
        source=SaleSource.MANUAL,
    )
    return sale


def _notices(promoter, kind):
    return list(Notification.objects.filter(user=promoter, kind=kind))


def test_verifying_a_sale_tells_the_promoter_the_commission_once():
    campaign = salesman_campaign()
    participation = join(campaign)
    sale = _sale(campaign, participation)

    services.sale_verify(sale=sale, actor=campaign.advertiser)
    services.sale_verify(sale=sale, actor=campaign.advertiser)

    [notice] = _notices(participation.promoter, "sale_verified")
    assert f"${sale.commission_cents / 100:,.2f}" in notice.title
    assert "o-1" in notice.body and campaign.title in notice.body


def test_auto_verification_tells_the_promoter_too():
    campaign = salesman_campaign()
    participation = join(campaign)

    services.sale_verify(sale=_sale(campaign, participation), actor=None)

    assert len(_notices(participation.promoter, "sale_verified")) == 1


def test_rejecting_a_sale_tells_the_promoter_the_reason():
    campaign = salesman_campaign()
    participation = join(campaign)

    services.sale_reject(
        sale=_sale(campaign, participation), actor=campaign.advertiser, code="duplicate", note="Same as order 41"
    )

    [notice] = _notices(participation.promoter, "sale_rejected")
    assert "Their reason: Duplicate of another order: Same as order 41" in notice.body
    assert _notices(participation.promoter, "sale_verified") == []


def test_a_sale_waiting_for_budget_is_announced_when_paid_after_the_top_up():
    campaign = salesman_campaign(budget_cents=100)
    participation = join(campaign)
    sale = _sale(campaign, participation, amount_cents=50_000)

    services.sale_verify(sale=sale, actor=campaign.advertiser)
    assert _notices(participation.promoter, "sale_verified") == []  # nothing credited yet
    fund_without_stripe(campaign, budget_cents=100_000)
    services.sales_pay_awaiting(campaign=campaign)

    assert len(_notices(participation.promoter, "sale_verified")) == 1
