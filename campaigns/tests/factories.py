import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.tests.factories import AdvertiserFactory, PromoterFactory
from campaigns.models import (
    ApplicationStatus,
    Campaign,
    CampaignApplication,
    CampaignDeliverable,
    CampaignStatus,
    CampaignType,
    CampaignWork,
    PromoterCampaign,
    TrackingMethod,
)


class CampaignFactory(DjangoModelFactory):
    """A Visibility draft by default; `campaign_type=...` or the type traits switch its terms,
    `active=True` (and friends) set the state."""

    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    advertiser = factory.SubFactory(AdvertiserFactory)
    campaign_type = CampaignType.VISIBILITY
    status = CampaignStatus.DRAFT
    title = factory.Sequence(lambda n: f"Campaign {n}")
    description = "Tell people about our product."
    target_url = "https://example.com/product"
    start_date = factory.LazyFunction(timezone.localdate)
    end_date = factory.LazyAttribute(lambda o: o.start_date + datetime.timedelta(days=30))
    cpv = factory.LazyAttribute(lambda o: 300 if o.campaign_type == CampaignType.VISIBILITY else None)
    max_views = factory.LazyAttribute(lambda o: 2000 if o.campaign_type == CampaignType.VISIBILITY else None)
    min_budget = factory.LazyAttribute(
        lambda o: 10_000 if o.campaign_type in (CampaignType.CONSULTANT, CampaignType.SELLER) else None
    )
    max_budget = factory.LazyAttribute(
        lambda o: 50_000 if o.campaign_type in (CampaignType.CONSULTANT, CampaignType.SELLER) else None
    )
    commission_per_sale = factory.LazyAttribute(
        lambda o: Decimal("12.50") if o.campaign_type == CampaignType.SALESMAN else None
    )
    tracking_method = factory.LazyAttribute(
        lambda o: TrackingMethod.REFERRAL_LINK if o.campaign_type == CampaignType.SALESMAN else ""
    )

    class Params:
        consultant = factory.Trait(campaign_type=CampaignType.CONSULTANT)
        seller = factory.Trait(campaign_type=CampaignType.SELLER)
        salesman = factory.Trait(campaign_type=CampaignType.SALESMAN)
        awaiting_funding = factory.Trait(
            status=CampaignStatus.AWAITING_FUNDING, published_at=factory.LazyFunction(timezone.now)
        )
        active = factory.Trait(status=CampaignStatus.ACTIVE, published_at=factory.LazyFunction(timezone.now))
        paused = factory.Trait(status=CampaignStatus.PAUSED, published_at=factory.LazyFunction(timezone.now))
        completed = factory.Trait(status=CampaignStatus.COMPLETED, ended_at=factory.LazyFunction(timezone.now))
        cancelled = factory.Trait(status=CampaignStatus.CANCELLED, ended_at=factory.LazyFunction(timezone.now))


class ApplicationFactory(DjangoModelFactory):
    class Meta:
        model = CampaignApplication

    campaign = factory.SubFactory(CampaignFactory, consultant=True, awaiting_funding=True)
    promoter = factory.SubFactory(PromoterFactory)
    pitch = "I have done this many times."
    proposed_amount = 20_000
    current_amount = factory.SelfAttribute("proposed_amount")
    status = ApplicationStatus.PENDING

    class Params:
        countered = factory.Trait(status=ApplicationStatus.COUNTERED)


class PromoterCampaignFactory(DjangoModelFactory):
    class Meta:
        model = PromoterCampaign
        skip_postgeneration_save = True

    campaign = factory.SubFactory(CampaignFactory, active=True)
    promoter = factory.SubFactory(PromoterFactory)

    class Params:
        selected = factory.Trait(
            campaign=factory.SubFactory(CampaignFactory, consultant=True, active=True, has_selected_promoter=True),
            agreed_amount=30_000,
        )

    @factory.post_generation
    def funded(participation, create, extracted, **kwargs):
        """An active Consultant/Seller campaign holds the agreed amount, as funding leaves it
        (approving work pays from it). `funded=False` skips this."""
        if not create or extracted is False or not participation.agreed_amount:
            return
        if participation.campaign.status != "active" or participation.campaign.budget_allocations.exists():
            return
        from tests.support.funding import fund_without_stripe

        fund_without_stripe(participation.campaign, budget_cents=participation.agreed_amount)


class DeliverableFactory(DjangoModelFactory):
    class Meta:
        model = CampaignDeliverable

    promoter_campaign = factory.SubFactory(PromoterCampaignFactory, selected=True)
    title = factory.Sequence(lambda n: f"Milestone {n}")
    amount = 10_000


class WorkFactory(DjangoModelFactory):
    class Meta:
        model = CampaignWork

    deliverable = factory.SubFactory(DeliverableFactory, status="submitted")
    submitted_by = factory.LazyAttribute(lambda o: o.deliverable.promoter_campaign.promoter)
    text = "Here is the work."
    submitted_at = factory.LazyFunction(timezone.now)
    auto_approve_after = factory.LazyAttribute(lambda o: CampaignWork.auto_approve_date_from(o.submitted_at))

    class Params:
        overdue = factory.Trait(submitted_at=factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=15)))
