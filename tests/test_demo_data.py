"""`demo_data` on an empty database: every feature has something to show, the books balance, a
second run changes nothing, and the saved Stripe state carries the live demo on.

One build (about half a minute) serves every check, so this is one test in sections.
"""

import json

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Max, Min

from accounts.models import Notification, User
from billing import services as billing_services
from billing.audit import ledger_audit
from billing.models import AdvertiserCharge, ChargeKind, ChargeStatus
from campaigns import services as campaign_services
from campaigns.models import (
    ApplicationStatus,
    Campaign,
    CampaignApplication,
    CampaignStatus,
    CampaignType,
    CampaignWork,
    WorkStatus,
)
from payouts.models import (
    BillingPeriodSummary,
    PayoutRecord,
    PayoutStatus,
    PeriodClose,
    PromoterBalance,
    StripeConnectAccount,
    TransferStatus,
    Wallet,
)
from payouts.reconciliation import statements_reconcile
from tracking.models import SaleRecord, SaleStatus, ViewStat

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

ACME = "advertiser@demo.test"
PAT = "promoter@demo.test"


def _row_counts():
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def test_demo_data_shows_every_feature_balances_and_runs_once(tmp_path, monkeypatch, capsys, settings):
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
    state_file = tmp_path / "stripe-state.json"

    call_command("demo_data", stripe_state=str(state_file))

    output = capsys.readouterr().out
    assert "Demo history built in" in output
    assert "Ledger is clean" in output
    assert "promoter@demo.test / demo-promoter-1" in output

    # Campaigns of each type in each status.
    pairs = set(Campaign.objects.values_list("campaign_type", "status"))
    assert pairs == {(kind, status) for kind in CampaignType.values for status in CampaignStatus.values}
    capped = Campaign.objects.get(title="Summer Tent Sale")
    assert (capped.status, capped.paid_views, capped.max_views) == (CampaignStatus.COMPLETED, 2000, 2000)
    paused_for_budget = Campaign.objects.get(title="Trail Shoe Coupon")
    assert paused_for_budget.status == CampaignStatus.PAUSED
    assert paused_for_budget.status_changes.first().reason == "budget used up"

    # Negotiation in both directions, and work at each stage.
    workshops = CampaignApplication.objects.filter(campaign__title="Trail Safety Workshop Series")
    assert workshops.get(promoter__email=PAT).status == ApplicationStatus.COUNTERED  # waits for Pat
    assert workshops.exclude(promoter__email=PAT).get().status == ApplicationStatus.PENDING  # waits for Acme
    assert CampaignApplication.objects.get(campaign__title="Bag Design Illustrations", promoter__email=PAT).status == (
        ApplicationStatus.PENDING
    )
    pats_work = CampaignWork.objects.filter(deliverable__promoter_campaign__promoter__email=PAT)
    assert set(pats_work.values_list("status", flat=True)) == {
        WorkStatus.APPROVED,
        WorkStatus.SUBMITTED,
        WorkStatus.REVISION_REQUESTED,
    }
    paid_work = pats_work.get(status=WorkStatus.APPROVED)
    assert paid_work.stripe_transfer.status == TransferStatus.SUCCEEDED

    # Views over the last 60 days, with the reasons some were not counted.
    span = ViewStat.objects.aggregate(first=Min("day"), last=Max("day"))
    assert (span["last"] - span["first"]).days > 30
    totals = {field: sum(ViewStat.objects.values_list(field, flat=True)) for field in ViewStat.REJECT_FIELDS.values()}
    # ("cap" shows only when requests follow the last paid view on the same day: usually, not always.)
    assert all(totals[f"rejected_{reason}"] > 0 for reason in ("bot", "duplicate", "prefetch", "self", "inactive"))

    # Sales in every status.
    assert set(SaleRecord.objects.values_list("status", flat=True)) == set(SaleStatus.values)

    # A closed month: statements, balance snapshots, a paid payout for Pat with its transfer.
    last_close = PeriodClose.objects.order_by("-period").first()
    assert last_close is not None and last_close.summarised_at is not None
    payout = PayoutRecord.objects.get(promoter__email=PAT, period=last_close.period)
    assert payout.status == PayoutStatus.PAID and payout.stripe_transfer.status == TransferStatus.SUCCEEDED
    assert BillingPeriodSummary.objects.filter(user__email=PAT, period=last_close.period).exists()
    assert BillingPeriodSummary.objects.filter(user__email=ACME, period=last_close.period).exists()
    assert PromoterBalance.objects.filter(promoter__email=PAT, period=last_close.period).exists()
    pat = StripeConnectAccount.objects.get(user__email=PAT)
    assert pat.payouts_enabled and pat.transfers_active
    assert Wallet.objects.get(user__email=PAT).pending_balance > 0  # this month's earnings
    carried = BillingPeriodSummary.objects.filter(period=last_close.period, carried_forward__gt=0)
    assert carried.count() >= 2  # below the threshold, and no Stripe account yet

    # Refunds went through Stripe; notifications came from the services.
    refunds = AdvertiserCharge.objects.filter(kind=ChargeKind.REFUND)
    assert refunds.count() >= 4 and set(refunds.values_list("status", flat=True)) == {ChargeStatus.SUCCEEDED}
    assert Notification.objects.filter(user__email=ACME).exists()
    assert Notification.objects.filter(user__email=PAT).exists()

    # Matching and pricing: targeted campaigns, invitations, track records, forecasts.
    from billing.models import AdvertiserSpend
    from campaigns.models import CampaignInvitation

    assert Campaign.objects.get(title="Gear Review Video Series").platforms == ["youtube"]
    assert CampaignInvitation.objects.filter(invited_by__email=ACME).exists()
    assert Notification.objects.filter(kind="campaign_invitation").exists()
    pat_user = User.objects.get(email=PAT)
    assert pat_user.works_approved >= 1 and pat_user.link_requests > pat_user.link_real_views > 0
    assert AdvertiserSpend.objects.filter(forecast_computed_at__isnull=False, forecast_pace_cents__gt=0).exists()

    # The books balance.
    assert ledger_audit().clean
    # Every statement of the demo adds up: opening + each movement = closing, months chained.
    checked, problems = statements_reconcile()
    assert checked >= 4 and not problems, problems

    # The Stripe state was saved, with what the database refers to.
    state = json.loads(state_file.read_text())
    assert pat.stripe_account_id in state["objects"]["account"]
    assert set(refunds.values_list("stripe_charge_id", flat=True)) <= set(state["objects"]["charge"])

    # A second run changes nothing, the saved Stripe state included.
    before, saved = _row_counts(), state_file.read_text()
    call_command("demo_data", stripe_state=str(state_file))
    assert "already there" in capsys.readouterr().out
    assert _row_counts() == before
    assert state_file.read_text() == saved

    # The live demo continues against a simulator that loaded the saved state: a top-up pays the
    # sale that waited for budget, and cancelling a campaign refunds its funding payments.
    from stripe_simulator import StripeSimulator

    sim = StripeSimulator()
    sim.load_state(str(state_file))
    sim.start("127.0.0.1", 0)
    try:
        settings.STRIPE_API_BASE = sim.base_url
        settings.STRIPE_MAX_NETWORK_RETRIES = 0
        acme = paused_for_budget.advertiser
        quote = billing_services.funding_quote(campaign=paused_for_budget, budget_cents=5_000)
        billing_services.funding_pay_with_card(campaign=paused_for_budget, actor=acme, quote=quote)
        assert SaleRecord.objects.get(order_id="ACME-C-502").status == SaleStatus.VERIFIED
        paused_for_budget.refresh_from_db()
        assert paused_for_budget.status == CampaignStatus.ACTIVE

        shoes = Campaign.objects.get(title="Trail Running Shoes Launch")
        campaign_services.campaign_cancel(campaign=shoes, actor=acme, reason="Checking refunds in the demo.")
        new_refunds = AdvertiserCharge.objects.filter(campaign=shoes, kind=ChargeKind.REFUND)
        assert new_refunds.exists()  # against payments made while the demo was built
        assert set(new_refunds.values_list("stripe_charge_id", flat=True)) <= set(state["objects"]["charge"])
        assert set(new_refunds.values_list("status", flat=True)) == {ChargeStatus.SUCCEEDED}
    finally:
        sim.stop()
    assert ledger_audit().clean
