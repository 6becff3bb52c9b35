"""What the demo's people do, each through the services a page would call."""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    AdvertiserType,
    Language,
    User,
)
from campaigns.models import (
    Campaign,
    CampaignApplication,
)
from demo.people import DemoError
from demo.timeline import Reach

logger = logging.getLogger(__name__)


class Actions:
    """History's actions, mixed into `History`: each runs now, through the services."""

    def campaign(self, key: str, owner: str, campaign_type: str, title: str, *, description: str, **terms) -> None:
        from campaigns import services

        today = timezone.localdate()
        values = {
            "title": title,
            "description": description,
            "target_url": terms.pop("url"),
            "requirements": terms.pop("requirements", ""),
            "category": AdvertiserType.objects.get(slug=terms.pop("category", "retail")),
            "languages": list(Language.objects.filter(code__in=terms.pop("languages", ["en"]))),
            "start_date": today,
            "end_date": today + datetime.timedelta(days=terms.pop("days", 90)),
        }
        if "cpv" in terms:
            values.update(cpv=terms.pop("cpv"), max_views=terms.pop("max_views"))
        if "budget" in terms:
            low, high = terms.pop("budget")
            values.update(
                min_budget=low, max_budget=high, deliverables=terms.pop("deliverables"), timeline=terms.pop("timeline")
            )
        if "commission" in terms:
            values.update(commission_per_sale=Decimal(terms.pop("commission")), tracking_method=terms.pop("tracking"))
        if terms:
            raise DemoError(f"{title}: unknown terms {sorted(terms)}")
        self.campaigns[key] = services.campaign_create(
            advertiser=self.people[owner], campaign_type=campaign_type, **values
        )

    def publish(self, key: str) -> None:
        from campaigns import services

        campaign = self.campaigns[key]
        services.campaign_publish(campaign=campaign, actor=campaign.advertiser)

    def card_add(self, owner: str) -> None:
        """Add a card the way the payment-methods page does: Stripe Checkout in setup mode."""
        from billing import services

        user = self.people[owner]
        back = f"{settings.SITE_URL}{reverse('billing:payment_method_return')}"
        url = services.payment_method_setup_start(
            user=user, success_url=f"{back}?session_id={{CHECKOUT_SESSION_ID}}", cancel_url=back
        )
        session_id = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
        self.sim.pay_checkout_session(session_id, card_number="4242424242424242")
        services.payment_method_setup_complete(user=user, session_id=session_id)

    def fund(self, key: str, *, budget: int | None = None, views: int | None = None, page: bool = False) -> None:
        """Pay with the saved card, or (`page`) on Stripe's hosted Checkout page and come back."""
        from billing import services

        campaign = self._fresh(key)
        advertiser = campaign.advertiser
        quote = services.funding_quote(campaign=campaign, budget_cents=budget, views=views)
        if not page:
            services.funding_pay_with_card(campaign=campaign, actor=advertiser, quote=quote)
        else:
            back = f"{settings.SITE_URL}{reverse('billing:fund_return', args=[campaign.public_id])}"
            intent = services.funding_checkout_start(campaign=campaign, actor=advertiser, quote=quote, return_url=back)
            self.sim.pay_checkout_session(intent.stripe_checkout_session_id, card_number="5555555555554444")
            services.funding_for_return(user=advertiser, intent_public_id=intent.public_id)
        self._fresh(key)

    def onboard(self, promoter: str, *, finish: bool = True) -> None:
        """Start Stripe Connect onboarding from the Get paid page; `finish` completes Stripe's form."""
        from payouts import services

        user = self.people[promoter]
        account = services.connect_account_get_or_create(user=user)
        back = f"{settings.SITE_URL}{reverse('payouts:get_paid')}"
        services.connect_onboarding_link(account=account, return_url=back, refresh_url=back)
        if finish:
            self.sim.complete_onboarding(account.stripe_account_id)
            services.connect_account_refresh(stripe_account_id=account.stripe_account_id)

    def join(self, key: str, promoter: str, reach: tuple[int, int] | None = None) -> None:
        from campaigns import services
        from tracking.services import coupon_ensure

        participation = services.campaign_join(campaign=self._fresh(key), promoter=self.people[promoter])
        coupon_ensure(participation=participation)
        self.participations[key, promoter] = participation
        if reach:
            self.reach[participation.pk] = Reach(timezone.localdate(), *reach)

    def apply(self, key: str, promoter: str, amount: int, pitch: str) -> None:
        from campaigns import services

        self.applications[key, promoter] = services.application_create(
            campaign=self._fresh(key), promoter=self.people[promoter], amount_cents=amount, pitch=pitch
        )

    def counter(self, key: str, promoter: str, by: str, amount: int, message: str) -> None:
        from campaigns import services

        services.application_counter(
            application=self.applications[key, promoter], actor=self.people[by], amount_cents=amount, message=message
        )

    def accept(self, key: str, promoter: str, by: str) -> None:
        from campaigns import services

        application = CampaignApplication.objects.get(pk=self.applications[key, promoter].pk)
        self.participations[key, promoter] = services.application_accept(application=application, actor=self.people[by])

    def milestone(self, key: str, promoter: str, name: str, title: str, amount: int, description: str = "") -> None:
        from campaigns import services

        participation = self.participations[key, promoter]
        self.milestones[name] = services.deliverable_create(
            promoter_campaign=participation,
            actor=self._fresh(key).advertiser,
            title=title,
            description=description,
            amount_cents=amount,
            due_date=timezone.localdate() + datetime.timedelta(days=21),
        )

    def submit(self, name: str, text: str, link: str = "") -> None:
        from campaigns import services

        deliverable = self.milestones[name]
        promoter = deliverable.promoter_campaign.promoter
        self.works[name] = services.work_submit(deliverable=deliverable, actor=promoter, text=text, link=link)

    def approve(self, name: str) -> None:
        from campaigns import services

        work = self.works[name]
        services.work_approve(work=work, actor=self._advertiser_of_work(work))

    def revise(self, name: str, code: str, note: str) -> None:
        from campaigns import services

        work = self.works[name]
        services.work_request_revision(work=work, actor=self._advertiser_of_work(work), code=code, note=note)

    def pause(self, key: str, reason: str) -> None:
        from campaigns import services

        campaign = self._fresh(key)
        services.campaign_pause(campaign=campaign, actor=campaign.advertiser, reason=reason)

    def end(self, key: str, reason: str) -> None:
        from campaigns import services

        campaign = self._fresh(key)
        services.campaign_complete(campaign=campaign, actor=campaign.advertiser, reason=reason)

    def cancel(self, key: str, reason: str) -> None:
        from campaigns import services

        campaign = self._fresh(key)
        services.campaign_cancel(campaign=campaign, actor=campaign.advertiser, reason=reason)

    def sale(self, key: str, promoter: str, order: str, amount: int) -> None:
        """The shop's server reports a sale through the conversion API (its key is touched)."""
        from tracking.models import ApiKey, SaleSource
        from tracking.services import api_key_touch, sale_record

        campaign = self._fresh(key)
        participation = self.participations[key, promoter]
        by_coupon = campaign.tracking_method == "coupon_code"
        code = participation.coupon.code if by_coupon else participation.tracking_code
        sale_record(
            campaign=campaign,
            order_id=order,
            amount_cents=amount,
            currency="usd",
            occurred_at=timezone.now() - datetime.timedelta(minutes=self.rng.randint(5, 90)),
            ref_code="" if by_coupon else code,
            coupon_code=code if by_coupon else "",
            source=SaleSource.API,
        )
        api_key = ApiKey.objects.filter(advertiser=campaign.advertiser, revoked_at__isnull=True).first()
        if api_key:
            api_key_touch(api_key=api_key)

    def verify(self, key: str, order: str) -> None:
        from tracking.services import sale_verify

        sale_verify(sale=self._sale(key, order), actor=self._fresh(key).advertiser)

    def reject(self, key: str, order: str, code: str, note: str = "") -> None:
        from tracking.services import sale_reject

        sale_reject(sale=self._sale(key, order), actor=self._fresh(key).advertiser, code=code, note=note)

    def refund_sale(self, key: str, order: str, reason: str) -> None:
        from tracking.services import sale_refund

        sale_refund(sale=self._sale(key, order), actor=self._fresh(key).advertiser, reason=reason)

    def api_key(self, owner: str, name: str) -> None:
        from tracking.services import api_key_create

        api_key_create(advertiser=self.people[owner], name=name)

    def _sale(self, key, order):
        from tracking.models import SaleRecord

        return SaleRecord.objects.get(campaign=self.campaigns[key], order_id=order)

    def _fresh(self, key: str) -> Campaign:
        campaign = self.campaigns[key]
        campaign.refresh_from_db()
        return campaign

    @staticmethod
    def _advertiser_of_work(work):
        return User.objects.get(campaigns__participants__deliverables__works=work)
