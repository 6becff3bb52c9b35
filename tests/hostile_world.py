"""The world the hostile-input harness (tests/test_hostile_input.py) attacks, and how it fills each
URL pattern's path parameters with real objects of that world.

Two parties own everything: an advertiser and a promoter working together on campaigns of each
type. Outsiders: another advertiser, another promoter, a staff member without permissions, and
anonymous visitors. A new URL pattern whose parameters are not filled here fails the harness
with its name: add its parameter to PARAMS (by URL name, or by parameter name for all URLs).
"""

import datetime
import re
from dataclasses import dataclass, field
from urllib.parse import quote

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver

# Outsiders first: owners act for real (cancel, remove a card), which would leave outsiders
# nothing left to try.
KINDS = ("anonymous", "other_advertiser", "other_promoter", "staff", "owner_advertiser", "owner_promoter")
OWNERS = ("owner_advertiser", "owner_promoter")


@dataclass
class World:
    advertiser: object
    promoter: object
    other_advertiser: object
    other_promoter: object
    staff: object
    visibility: object  # active, funded; the promoter joined (participation)
    consultant: object  # active, funded; the promoter selected, a milestone with work submitted
    salesman: object  # active, funded; the promoter joined, one pending sale
    participation: object
    consultant_participation: object
    application: object
    deliverable: object
    work: object
    sale: object
    api_key: object
    raw_api_key: str
    payment_method: object
    charge: object
    extras: dict = field(default_factory=dict)

    def user(self, kind):
        return None if kind == "anonymous" else getattr(self, kind.replace("owner_", ""))


def world_build() -> World:
    from accounts.tests.factories import AdvertiserFactory, PromoterFactory, StaffFactory
    from billing.models import AdvertiserCharge, PaymentMethod
    from campaigns.services import campaign_join
    from campaigns.tests.factories import (
        ApplicationFactory,
        CampaignFactory,
        DeliverableFactory,
        PromoterCampaignFactory,
        WorkFactory,
    )
    from tests.support.funding import fund_without_stripe
    from tracking import services as tracking_services

    advertiser, promoter = AdvertiserFactory(), PromoterFactory()
    visibility = CampaignFactory(advertiser=advertiser, awaiting_funding=True)
    fund_without_stripe(visibility)
    participation = campaign_join(campaign=visibility, promoter=promoter)
    consultant_participation = PromoterCampaignFactory(
        selected=True, promoter=promoter, campaign__advertiser=advertiser
    )
    deliverable = DeliverableFactory(promoter_campaign=consultant_participation, status="submitted")
    work = WorkFactory(deliverable=deliverable)
    salesman = CampaignFactory(advertiser=advertiser, salesman=True, awaiting_funding=True)
    fund_without_stripe(salesman, budget_cents=10_000)
    sales_participation = campaign_join(campaign=salesman, promoter=promoter)
    sale, _ = tracking_services.sale_record(
        campaign=salesman,
        order_id="order-1",
        amount_cents=5_000,
        currency=salesman.currency,
        ref_code=sales_participation.tracking_code,
    )
    application = ApplicationFactory(
        promoter=promoter, campaign=CampaignFactory(advertiser=advertiser, consultant=True, awaiting_funding=True)
    )
    api_key, raw_api_key = tracking_services.api_key_create(advertiser=advertiser, name="shop")
    payment_method = PaymentMethod.objects.create(
        user=advertiser, stripe_payment_method_id="pm_hostile", brand="visa", last4="4242", exp_month=1, exp_year=2040
    )
    return World(
        advertiser=advertiser,
        promoter=promoter,
        other_advertiser=AdvertiserFactory(),
        other_promoter=PromoterFactory(),
        staff=StaffFactory(),
        visibility=visibility,
        consultant=consultant_participation.campaign,
        salesman=salesman,
        participation=participation,
        consultant_participation=consultant_participation,
        application=application,
        deliverable=deliverable,
        work=work,
        sale=sale,
        api_key=api_key,
        raw_api_key=raw_api_key,
        payment_method=payment_method,
        charge=AdvertiserCharge.objects.filter(advertiser=advertiser).first(),
    )


# --- Path parameters -------------------------------------------------------------------------
# Each entry gives the real values a parameter takes; the harness also sends malformed ones.
# Keys: (url name, parameter) for one URL, or parameter name alone for every URL using it.

PARAMS = {
    ("tracking:view_link", "code"): lambda w: [w.participation.tracking_code],
    ("tracking:referral_link", "code"): lambda w: [w.salesman.participants.get().tracking_code],
    ("tracking:api_sale_refund", "order_id"): lambda w: [w.sale.order_id],
    ("tracking:promoter_participation", "public_id"): lambda w: [w.participation.public_id],
    ("tracking:advertiser_campaign", "public_id"): lambda w: [w.salesman.public_id, w.visibility.public_id],
    ("tracking:sale_create", "public_id"): lambda w: [w.salesman.public_id],
    ("tracking:sales_import", "public_id"): lambda w: [w.salesman.public_id],
    ("tracking:sale_action", "public_id"): lambda w: [w.sale.public_id],
    ("tracking:sale_action", "action"): lambda w: ["verify", "reject", "refund"],
    ("tracking:api_key_revoke", "public_id"): lambda w: [w.api_key.public_id],
    ("campaigns:promoter_detail", "public_id"): lambda w: [w.visibility.public_id],
    ("campaigns:suggested_promoters", "public_id"): lambda w: [w.consultant.public_id, w.visibility.public_id],
    ("campaigns:invite", "public_id"): lambda w: [w.application.campaign.public_id],
    ("campaigns:promoter_profile", "public_id"): lambda w: [w.promoter.public_id],
    ("campaigns:join", "public_id"): lambda w: [w.visibility.public_id, w.salesman.public_id],
    ("campaigns:apply", "public_id"): lambda w: [w.application.campaign.public_id],
    ("campaigns:advertiser_detail", "public_id"): lambda w: [w.consultant.public_id, w.visibility.public_id],
    ("campaigns:edit", "public_id"): lambda w: [w.application.campaign.public_id],
    ("campaigns:action", "public_id"): lambda w: [w.visibility.public_id, w.salesman.public_id],
    ("campaigns:action", "action"): lambda w: ["publish", "pause", "resume", "complete", "cancel"],
    ("campaigns:action_confirm", "public_id"): lambda w: [w.visibility.public_id, w.consultant.public_id],
    ("campaigns:action_confirm", "action"): lambda w: ["complete", "cancel"],
    ("campaigns:application_detail", "public_id"): lambda w: [w.application.public_id],
    ("campaigns:application_action", "public_id"): lambda w: [w.application.public_id],
    ("campaigns:application_action", "action"): lambda w: ["accept", "withdraw", "counter", "reject", "message"],
    ("campaigns:participation_detail", "public_id"): lambda w: [w.consultant_participation.public_id],
    ("campaigns:deliverable_create", "public_id"): lambda w: [w.consultant_participation.public_id],
    ("campaigns:work_submit", "public_id"): lambda w: [w.deliverable.public_id],
    ("campaigns:work_file", "public_id"): lambda w: [w.work.public_id],
    ("campaigns:work_review", "public_id"): lambda w: [w.work.public_id],
    ("campaigns:work_review", "action"): lambda w: ["approve", "revise", "reject"],
    ("billing:payment_method_default", "public_id"): lambda w: [w.payment_method.public_id],
    ("billing:payment_method_remove", "public_id"): lambda w: [w.payment_method.public_id],
    ("billing:fund", "public_id"): lambda w: [w.salesman.public_id, w.visibility.public_id],
    ("billing:fund_return", "public_id"): lambda w: [w.visibility.public_id],
    ("billing:receipt", "public_id"): lambda w: [w.charge.public_id],
    "period": lambda w: [f"{datetime.date.today():%Y-%m}", "2020-01"],
    # Admin: every registered model's rows, by the model the URL name carries.
    "object_id": lambda w, name=None: [_admin_object_id(name)],
    "app_label": lambda w: sorted({model._meta.app_label for model in admin.site._registry}),
    "content_type_id": lambda w: [ContentType.objects.get_for_model(type(w.visibility)).pk],
    "url": lambda w: ["nothing-here/"],
    "id": lambda w: [w.advertiser.pk],  # admin: a user's password change
}

# URLs where people other than the two owners may write, and why.
ANYONE_WRITES = {
    "tracking:view_link": "a click is counted whoever clicks",
    "tracking:referral_link": "a click is counted whoever clicks",
    "campaigns:join": "any promoter may join an open campaign",
    "campaigns:apply": "any promoter may apply to an open campaign",
}


def _admin_object_id(name):
    """The pk of a row of the model an admin URL name (admin:<app>_<model>_change) is about."""
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name and name.startswith(prefix):
            row = model._default_manager.order_by("pk").first()
            return row.pk if row else 1
    return 1


def param_values(world, name, param):
    """Real values for `param` of URL `name`; raises LookupError naming the pattern when unknown."""
    if (name, param) in PARAMS:
        return PARAMS[(name, param)](world)
    if param == "object_id":
        return PARAMS[param](world, name)
    if param in PARAMS:
        return PARAMS[param](world)
    raise LookupError(
        f"URL pattern {name!r}: no value for its <{param}> parameter; add it to tests/hostile_world.PARAMS"
    )


# --- Walking the URL patterns ----------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # namespace:name, or the route itself when unnamed
    route: str  # the pattern strings joined, e.g. "campaigns/<uuid:public_id>/join/"
    params: tuple
    callback: object

    def __str__(self):
        return self.name

    def path(self, values: dict) -> str:
        """The URL with `values` (any text, quoted) in place of the parameters."""

        def fill(match):
            return quote(str(values[match.group("name")]), safe="")

        path = _REGEX_PARAM.sub(fill, self.route)  # first: (?P<name>...) also contains <name>
        path = _ROUTE_PARAM.sub(fill, path)
        return "/" + path.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")


_ROUTE_PARAM = re.compile(r"<(?:\w+:)?(?P<name>\w+)>")
_REGEX_PARAM = re.compile(r"\(\?P<(?P<name>\w+)>[^()]*(?:\([^()]*\)[^()]*)*\)")


def routes() -> list[Route]:
    """Every URL pattern of the site, walked recursively through its includes."""
    found = []

    def walk(patterns, prefix, namespace):
        for entry in patterns:
            text = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace
                walk(entry.url_patterns, text, inner or namespace)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or text)
                params = tuple(_ROUTE_PARAM.findall(text)) or tuple(re.findall(r"\(\?P<(\w+)>", text))
                found.append(Route(name=name, route=text, params=params, callback=entry.callback))

    walk(get_resolver().url_patterns, "", None)
    return found
