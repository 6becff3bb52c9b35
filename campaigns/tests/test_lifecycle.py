import itertools

import pytest
from django.db import IntegrityError, transaction

from campaigns import services
from campaigns.models import CAMPAIGN_TRANSITIONS, Campaign, CampaignStatus, CampaignStatusChange
from campaigns.services import lifecycle
from campaigns.tests.factories import ApplicationFactory, CampaignFactory, PromoterCampaignFactory

pytestmark = pytest.mark.django_db

VALID = {(source, target) for source, targets in CAMPAIGN_TRANSITIONS.items() for target in targets}
ALL_PAIRS = list(itertools.product(CampaignStatus.values, CampaignStatus.values))


def test_transition_map_is_the_documented_lifecycle():
    assert {
        ("draft", "awaiting_funding"),
        ("draft", "cancelled"),
        ("awaiting_funding", "active"),
        ("awaiting_funding", "cancelled"),
        ("active", "paused"),
        ("active", "completed"),
        ("active", "cancelled"),
        ("paused", "active"),
        ("paused", "completed"),
        ("paused", "cancelled"),
    } == VALID


@pytest.mark.parametrize(("source", "target"), sorted(VALID))
def test_valid_transition_moves_and_writes_audit_row(advertiser, source, target):
    campaign = CampaignFactory(advertiser=advertiser, status=source)
    lifecycle._campaign_move(campaign=campaign, to_status=target, actor=advertiser, reason="because")
    campaign.refresh_from_db()
    assert campaign.status == target
    change = CampaignStatusChange.objects.get(campaign=campaign)
    assert (change.from_status, change.to_status, change.actor, change.reason) == (
        source,
        target,
        advertiser,
        "because",
    )


@pytest.mark.parametrize(("source", "target"), [pair for pair in ALL_PAIRS if pair not in VALID])
def test_invalid_transition_raises_and_changes_nothing(source, target):
    campaign = CampaignFactory(status=source)
    with pytest.raises(services.InvalidTransition):
        lifecycle._campaign_move(campaign=campaign, to_status=target)
    campaign.refresh_from_db()
    assert campaign.status == source
    assert not CampaignStatusChange.objects.exists()


def test_stale_copy_loses_the_race_to_a_concurrent_move():
    campaign = CampaignFactory(active=True)
    stale = Campaign.objects.get(pk=campaign.pk)
    services.campaign_pause(campaign=campaign, reason="first")
    with pytest.raises(services.InvalidTransition, match="changed meanwhile"):
        services.campaign_complete(campaign=stale)
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.PAUSED
    assert CampaignStatusChange.objects.count() == 1


def test_named_services_follow_the_lifecycle(advertiser):
    campaign = CampaignFactory(advertiser=advertiser)
    services.campaign_publish(campaign=campaign, actor=advertiser)
    assert campaign.status == "awaiting_funding" and campaign.published_at
    services.campaign_activate(campaign=campaign)
    services.campaign_pause(campaign=campaign, actor=advertiser)
    services.campaign_resume(campaign=campaign, actor=advertiser)
    services.campaign_complete(campaign=campaign, actor=advertiser)
    assert Campaign.objects.get(pk=campaign.pk).status == "completed"
    changes = list(CampaignStatusChange.objects.order_by("id").values_list("to_status", "actor", "reason"))
    assert changes == [
        ("awaiting_funding", advertiser.pk, "published"),
        ("active", None, "funded"),
        ("paused", advertiser.pk, ""),
        ("active", advertiser.pk, ""),
        ("completed", advertiser.pk, ""),
    ]


def test_cancel_needs_a_reason_and_closes_open_applications():
    application = ApplicationFactory()
    campaign = application.campaign
    with pytest.raises(services.CampaignError):
        services.campaign_cancel(campaign=campaign, actor=campaign.advertiser, reason="  ")
    services.campaign_cancel(campaign=campaign, actor=campaign.advertiser, reason="Budget cut")
    application.refresh_from_db()
    assert application.status == "closed"
    assert CampaignStatusChange.objects.get().reason == "Budget cut"


def test_completing_marks_participations_completed():
    participation = PromoterCampaignFactory()
    services.campaign_complete(campaign=participation.campaign)
    participation.refresh_from_db()
    assert participation.status == "completed"


def test_visibility_funding_budget_is_rate_times_views_over_100():
    campaign = CampaignFactory(cpv=300, max_views=2000)
    assert campaign.funding_budget_cents() == 6000  # the seed's $3 x 2,000 views = $60
    assert CampaignFactory(cpv=7, max_views=150).funding_budget_cents() == 10  # floor, never rounds up
    assert CampaignFactory(consultant=True).funding_budget_cents() is None


@pytest.mark.parametrize(
    "changes",
    [
        {"cpv": 0},
        {"cpv": -5},
        {"max_views": 0},
        {"cpv": 100_001},
        {"min_budget": 100},
        {"commission_per_sale": 5},
        {"tracking_method": "referral_link"},
        {"currency": "eur"},
        {"paid_views": 2001},
        {"status": "bogus"},
    ],
)
def test_database_refuses_visibility_rows_breaking_the_rules(changes):
    campaign = CampaignFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(**changes)


@pytest.mark.parametrize(
    ("trait", "changes"),
    [
        ("consultant", {"min_budget": 60_000}),  # min > max
        ("consultant", {"max_budget": 2_000_000_000}),
        ("consultant", {"cpv": 300}),
        ("seller", {"min_budget": None}),
        ("salesman", {"commission_per_sale": 0}),
        ("salesman", {"commission_per_sale": 100.01}),
        ("salesman", {"tracking_method": ""}),
        ("salesman", {"max_views": 10}),
    ],
)
def test_database_refuses_other_type_rows_breaking_the_rules(trait, changes):
    campaign = CampaignFactory(**{trait: True})
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(**changes)


def test_database_refuses_end_before_start():
    campaign = CampaignFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(end_date=campaign.start_date.replace(year=2000))
