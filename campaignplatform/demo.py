"""The demo: its people, and two months of marketplace history made through the real services.

`users_ensure()` creates the demo users (idempotent). `History(...).build()` then lives through
the last `DAYS` days with the clock moved back (time-machine): campaigns are created, published
and funded, promoters join, apply, negotiate and deliver, visitors follow tracking links (the real
counting service, with bots, repeats and prefetches), shops report sales, advertisers verify,
pause, end and cancel, and the background schedules run each simulated day as `setup_schedules`
would have them run (the monthly close on the 1st at 06:00). Nothing writes money rows by hand:
every cent moves through billing, payouts and tracking, and through Stripe, so the ledger, the
projections and `audit_ledger` stay true.

Stripe is the local simulator (stripe_simulator/), started in this process for the duration; its
state can be saved to the file the Procfile's simulator loads, so the live demo can refund, top up
and pay out against the same customers, charges and Connect accounts.
"""

from __future__ import annotations

import ast
import contextlib
import datetime
import heapq
import importlib
import itertools
import logging
import random
import socket
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    AdvertiserDetails,
    AdvertiserType,
    FollowerEstimate,
    Language,
    Notification,
    PromoterDetails,
    Role,
    Skill,
    User,
    VerificationStatus,
)
from campaigns import demo_matching
from campaigns.models import (
    Campaign,
    CampaignApplication,
    CampaignStatus,
    CampaignType,
    CampaignWork,
    PromoterCampaign,
)

DAYS = 60
DEMO_ADVERTISER_EMAIL = "advertiser@demo.test"

DEMO_ADVERTISER = {
    "uid": "demo-advertiser",
    "email": DEMO_ADVERTISER_EMAIL,
    "password": "demo-advertiser-1",
    "name": "Ada Advertiser",
}
DEMO_PROMOTER = {
    "uid": "demo-promoter",
    "email": "promoter@demo.test",
    "password": "demo-promoter-1",
    "name": "Pat Promoter",
}
DEMO_STAFF = {"email": "staff@demo.test", "password": "demo-staff-1", "name": "Sam Staff"}

# The rest of the marketplace: they cannot sign in (no Firebase account), they make the lists alive.
ADVERTISERS = {
    "acme": {
        "spec": DEMO_ADVERTISER,
        "company_name": "Acme Outdoor Gear",
        "website": "https://acme-outdoor.example",
        "description": "Tents, packs and trail shoes for weekend adventurers.",
        "types": ["retail", "sports-outdoors"],
        "status": VerificationStatus.VERIFIED,
    },
    "northwind": {
        "spec": {"uid": "demo-northwind", "email": "nora@northwind-coffee.example", "name": "Nora Lindqvist"},
        "company_name": "Northwind Coffee Roasters",
        "website": "https://northwind-coffee.example",
        "description": "Small-batch roastery and two cafes. Beans shipped fresh every week.",
        "types": ["food-drink", "e-commerce"],
        "status": VerificationStatus.VERIFIED,
    },
    "pinecone": {
        "spec": {"uid": "demo-pinecone", "email": "hello@pinecone-outfitters.example", "name": "Priya Raman"},
        "company_name": "Pinecone Outfitters",
        "website": "https://pinecone-outfitters.example",
        "description": "Second-hand climbing and camping gear, checked and repaired.",
        "types": ["retail"],
        "status": VerificationStatus.PENDING,  # signed up recently: staff have someone to verify
    },
}
PROMOTERS = {
    "pat": {
        "spec": DEMO_PROMOTER,
        "display_name": "Pat on the Trail",
        "bio": "Hiking videos and gear reviews every week.",
        "city": "Denver",
        "age_range": "25-34",
        "audience": "Outdoor enthusiasts, 18-40, mostly North America.",
        "languages": ["en", "es"],
        "skills": ["video-production", "product-reviews"],
        "followers": [("youtube", "@patonthetrail", 48_000), ("instagram", "@pat.trails", 21_500)],
    },
    "riley": {
        "spec": {"uid": "demo-riley", "email": "riley@riley-runs.example", "name": "Riley Chen"},
        "display_name": "Riley Runs",
        "bio": "Trail running, ultra training logs and honest shoe reviews.",
        "city": "Portland",
        "age_range": "25-34",
        "audience": "Runners training for their first trail race.",
        "languages": ["en"],
        "skills": ["video-production", "community-building"],
        "followers": [("youtube", "@rileyruns", 31_000), ("tiktok", "@riley.runs", 64_000)],
    },
    "sam": {
        "spec": {"uid": "demo-sam", "email": "sam@samsketches.example", "name": "Sam Okafor"},
        "display_name": "Sam Sketches",
        "bio": "Illustrator and product photographer. Maps, labels, catalogues.",
        "city": "Austin",
        "age_range": "35-44",
        "audience": "Small brands that need print-ready artwork.",
        "languages": ["en", "fr"],
        "skills": ["graphic-design", "photography"],
        "followers": [("instagram", "@samsketches", 12_400)],
    },
    "morgan": {
        "spec": {"uid": "demo-morgan", "email": "morgan@morganpours.example", "name": "Morgan Diaz"},
        "display_name": "Morgan Pours",
        "bio": "Barista trainer and coffee educator; I run socials for cafes.",
        "city": "Seattle",
        "age_range": "25-34",
        "audience": "Home baristas and cafe owners.",
        "languages": ["en", "es"],
        "skills": ["social-media-management", "consulting"],
        "followers": [("instagram", "@morganpours", 27_800), ("youtube", "@morganpours", 9_100)],
    },
    "jo": {
        "spec": {"uid": "demo-jo", "email": "jo@budgettrails.example", "name": "Jo Becker"},
        "display_name": "Jo's Budget Trails",
        "bio": "Hiking on a shoestring: a small blog with a loyal audience.",
        "city": "Leeds",
        "age_range": "45-54",
        "audience": "Budget-minded hikers in the UK.",
        "languages": ["en"],
        "skills": ["copywriting"],
        "followers": [("blog", "budgettrails.example", 2_300)],
    },
    "alex": {
        "spec": {"uid": "demo-alex", "email": "alex@alexabroad.example", "name": "Alex Moreau"},
        "display_name": "Alex Abroad",
        "bio": "Slow travel, long walks, and the gear that survived them.",
        "city": "Lyon",
        "age_range": "18-24",
        "audience": "Backpackers in Europe.",
        "languages": ["en", "fr"],
        "skills": ["photography", "copywriting"],
        "followers": [("instagram", "@alex.abroad", 8_900)],
    },
}

BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Instagram 352.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Edg/131.0",
]
BOTS = [
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "WhatsApp/2.24.21.80 A",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
]


class DemoError(Exception):
    pass


# --- People -----------------------------------------------------------------------------------


@transaction.atomic
def users_ensure() -> dict[str, User]:
    """Every demo user, created when missing. Existing rows and profiles are left as they are
    (someone may have edited them in the running demo), so running this again changes nothing."""
    people = {}
    for key, advertiser in ADVERTISERS.items():
        user = _user(advertiser["spec"], role=Role.ADVERTISER)
        details, created = AdvertiserDetails.objects.get_or_create(
            user=user,
            defaults={
                "company_name": advertiser["company_name"],
                "website": advertiser["website"],
                "description": advertiser["description"],
                "verification_status": advertiser["status"],
                "verified_at": timezone.now() if advertiser["status"] == VerificationStatus.VERIFIED else None,
            },
        )
        if created:
            details.business_types.set(AdvertiserType.objects.filter(slug__in=advertiser["types"]))
        people[key] = user
    for key, promoter in PROMOTERS.items():
        user = _user(promoter["spec"], role=Role.PROMOTER)
        profile, created = PromoterDetails.objects.get_or_create(
            user=user,
            defaults={
                "display_name": promoter["display_name"],
                "bio": promoter["bio"],
                "country": "GB" if promoter["city"] == "Leeds" else "FR" if promoter["city"] == "Lyon" else "US",
                "city": promoter["city"],
                "age_range": promoter["age_range"],
                "audience_description": promoter["audience"],
            },
        )
        if created:
            profile.languages.set(Language.objects.filter(code__in=promoter["languages"]))
            profile.skills.set(Skill.objects.filter(slug__in=promoter["skills"]))
            for platform, handle, followers in promoter["followers"]:
                FollowerEstimate.objects.get_or_create(
                    promoter=profile, platform=platform, defaults={"handle": handle, "followers": followers}
                )
        people[key] = user
    staff, created = User.objects.get_or_create(
        email=DEMO_STAFF["email"],
        defaults={"full_name": DEMO_STAFF["name"], "is_staff": True, "is_superuser": True},
    )
    if created or not staff.check_password(DEMO_STAFF["password"]):
        staff.set_password(DEMO_STAFF["password"])
        staff.save()
    people["staff"] = staff
    return people


def _user(spec, *, role) -> User:
    user, created = User.objects.get_or_create(
        email=spec["email"], defaults={"firebase_uid": spec["uid"], "full_name": spec["name"], "role": role}
    )
    if not created and (user.firebase_uid != spec["uid"] or user.role != role):
        # Sign-in finds the user by Firebase uid: keep it the emulator's.
        User.objects.filter(pk=user.pk).update(firebase_uid=spec["uid"], role=role)
        user.refresh_from_db()
    return user


def history_exists() -> bool:
    return Campaign.objects.filter(advertiser__email=DEMO_ADVERTISER_EMAIL).exists()


# --- Stripe: an in-process simulator for the build ---------------------------------------------


@contextlib.contextmanager
def stripe_simulator(*, state_file: str | None):
    """A Stripe simulator on a free port, with the gateway's settings aimed at it meanwhile.

    Hosted-page URLs it hands out name the address the Procfile's simulator will have
    (STRIPE_API_BASE), so links stored in the database keep working in the live demo. With
    `state_file`, the state is saved there at the end; an existing file is loaded first only
    when the database already refers to Stripe objects (otherwise it belongs to a database that
    is gone, and its idempotency keys would collide with this one's fresh row ids)."""
    from stripe_simulator import StripeSimulator

    live_base = settings.STRIPE_API_BASE or "http://127.0.0.1:12111"
    if state_file and _listening(live_base):
        raise DemoError(
            f"A Stripe simulator is already running at {live_base}: stop it first (it saves its own state "
            f"to its state file and would overwrite {state_file}), then run demo_data again."
        )
    sim = StripeSimulator(public_url=live_base)
    if state_file and Path(state_file).exists() and _database_has_stripe_objects():
        sim.load_state(state_file)
    sim.start("127.0.0.1", 0)
    try:
        with override_settings(
            STRIPE_API_BASE=sim.base_url,
            STRIPE_SECRET_KEY=sim.api_key,
            STRIPE_MAX_NETWORK_RETRIES=0,
            STRIPE_TIMEOUT_SECONDS=20,
        ):
            yield sim
        if state_file:
            sim.save_state(state_file)
    finally:
        sim.stop()


def _listening(base_url: str) -> bool:
    parts = urlsplit(base_url)
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((parts.hostname or "127.0.0.1", parts.port or 80)) == 0


def _database_has_stripe_objects() -> bool:
    from billing.models import BillingCustomer
    from payouts.models import StripeConnectAccount

    return BillingCustomer.objects.exists() or StripeConnectAccount.objects.exists()


# --- The history -------------------------------------------------------------------------------


@dataclass
class Reach:
    """How many people follow one promoter's link on one campaign each day."""

    since: datetime.date
    start: int
    end: int

    def on(self, day: datetime.date, today: datetime.date, rng: random.Random) -> int:
        span = max(1, (today - self.since).days)
        progress = min(1.0, max(0.0, (day - self.since).days / span))
        weekend = 1.3 if day.weekday() >= 5 else 1.0
        base = self.start + (self.end - self.start) * progress
        return max(0, round(base * weekend * rng.uniform(0.75, 1.25)))


@dataclass(order=True)
class _Event:
    moment: datetime.datetime
    order: int
    label: str = field(compare=False)
    action: object = field(compare=False)


class History:
    """Builds the demo's past. Story steps are scheduled as (days ago, hour) and run in time
    order, interleaved with each day's routine: visitors in the evening, the schedules at night,
    the monthly close on the 1st at 06:00. Steps never land in the future: today's are moved to
    just before now."""

    def __init__(self, *, sim, now: datetime.datetime | None = None, seed: int = 2026):
        self.sim = sim
        self.people: dict[str, User] = {}
        self.now = (now or timezone.now()).astimezone(datetime.UTC).replace(microsecond=0)
        self.today = self.now.date()
        self.start = datetime.datetime.combine(
            self.today - datetime.timedelta(days=DAYS), datetime.time(8, 0), tzinfo=datetime.UTC
        )
        self.rng = random.Random(seed)
        self._events: list[_Event] = []
        self._order = itertools.count()
        self.campaigns: dict[str, Campaign] = {}
        self.participations: dict[tuple[str, str], PromoterCampaign] = {}
        self.applications: dict[tuple[str, str], CampaignApplication] = {}
        self.milestones: dict[str, object] = {}
        self.works: dict[str, CampaignWork] = {}
        self.reach: dict[int, Reach] = {}

    # ------------------------------------------------------------------ scheduling
    def moment(self, days_ago: int, hour: int, minute: int = 0) -> datetime.datetime:
        moment = datetime.datetime.combine(
            self.today - datetime.timedelta(days=days_ago), datetime.time(hour, minute), tzinfo=datetime.UTC
        )
        return max(self.start, min(moment, self.now - datetime.timedelta(minutes=10)))

    def _push(self, moment, label, action):
        heapq.heappush(self._events, _Event(moment, next(self._order), label, action))

    def _routine(self):
        """Each day: visitors (18:00); every other night and on each month's last night: the
        schedules (23:50), so views are accrued before the close; the 1st: the monthly close
        (06:00). Today's routine happens in the minutes before now.

        The accrual is hourly in production. Here views are counted every day and posted to the
        ledger every other night: the charts and statements look the same, and the build takes
        half the time (each accrual is a ledger posting per participation)."""
        latest = self.now - datetime.timedelta(minutes=1)
        day = self.start.date()
        while day <= self.today:
            moments = {
                "close": datetime.datetime.combine(day, datetime.time(6, 0), tzinfo=datetime.UTC),
                "views": datetime.datetime.combine(day, datetime.time(18, 0), tzinfo=datetime.UTC),
                "tasks": datetime.datetime.combine(day, datetime.time(23, 50), tzinfo=datetime.UTC),
            }
            if day == self.today:
                moments["views"] = min(moments["views"], latest - datetime.timedelta(minutes=3))
                moments["tasks"] = min(moments["tasks"], latest - datetime.timedelta(minutes=2))
            if day.day == 1 and self.start < moments["close"] <= latest - datetime.timedelta(minutes=4):
                self._push(moments["close"], f"monthly close {day:%Y-%m-%d}", self._monthly_schedules)
            if self.start < moments["views"]:
                fraction = 1.0
                if day == self.today:
                    midnight = datetime.datetime.combine(day, datetime.time(0), tzinfo=datetime.UTC)
                    fraction = max(0.05, (moments["views"] - midnight) / datetime.timedelta(days=1))
                self._push(moments["views"], f"visitors {day}", lambda d=day, f=fraction: self._visitors(d, f))
            month_end = (day + datetime.timedelta(days=1)).day == 1
            if self.start < moments["tasks"] and ((self.today - day).days % 2 == 0 or month_end):
                self._push(moments["tasks"], f"schedules {day}", self._daily_schedules)
            day += datetime.timedelta(days=1)

    def build(self) -> None:
        import time_machine  # development tool (requirements-dev.txt); checked by the command
        from django_q.models import Failure

        failures_before = set(Failure.objects.values_list("pk", flat=True))
        self._story()
        self._routine()
        email = "django.core.mail.backends.locmem.EmailBackend"  # old news: nobody is emailed
        # Tasks queued by the services (transfers, the cap, notification emails) run at once, in
        # this process and at this simulated moment, as a worker would have run them then.
        # DEBUG off: no query log of the tens of thousands of statements.
        with (
            time_machine.travel(self.start, tick=True) as traveller,
            override_settings(EMAIL_BACKEND=email, DEBUG=False),
            _tasks_run_inline(),
            _quiet("stripe", "django-q"),
        ):
            while self._events:
                event = heapq.heappop(self._events)
                if event.moment > timezone.now():
                    traveller.move_to(event.moment)
                try:
                    event.action()
                except Exception as error:
                    raise DemoError(f"{event.label} ({event.moment:%Y-%m-%d %H:%M}): {error!r}") from error
        failed = list(Failure.objects.exclude(pk__in=failures_before).values_list("func", "result")[:5])
        if failed:
            raise DemoError(f"background tasks failed while building the demo: {failed}")

    def _people(self) -> None:
        self.people = users_ensure()

    # ------------------------------------------------------------------ routine
    def _visitors(self, day: datetime.date, fraction: float) -> None:
        """One day of people (and bots) following tracking links, through the real counter."""
        from tracking.services import link_lookup, view_track

        rows = (
            PromoterCampaign.objects.filter(pk__in=list(self.reach))
            .filter(campaign__status__in=[CampaignStatus.ACTIVE, CampaignStatus.PAUSED])
            .values_list("pk", "tracking_code", "campaign__status", "promoter_id")
            .order_by("pk")
        )
        for pk, code, status, promoter_id in rows:
            reach = self.reach[pk]
            if day < reach.since:
                continue
            people = round(reach.on(day, self.today, self.rng) * fraction)
            if status == CampaignStatus.PAUSED:
                people //= 6  # old posts still get clicks: counted as "campaign not active"
            requests = ["person"] * people
            requests += ["repeat"] * round(people * self.rng.uniform(0.04, 0.12))
            requests += ["bot"] * round(people * self.rng.uniform(0.03, 0.09))
            requests += ["prefetch"] * round(people * self.rng.uniform(0.0, 0.03))
            if people and self.rng.random() < 0.3:
                requests.append("self")
            self.rng.shuffle(requests)
            link = link_lookup(code)
            seen: list[tuple[str, str]] = []
            # One transaction per link and day: the same counting statements, one commit.
            with transaction.atomic():
                for kind in requests:
                    user_id, prefetch = None, False
                    if kind == "repeat" and seen:
                        ip, agent = self.rng.choice(seen)
                    elif kind == "bot":
                        ip, agent = self._ip(), self.rng.choice(BOTS)
                    else:
                        ip, agent = self._ip(), self.rng.choice(BROWSERS)
                        prefetch = kind == "prefetch"
                        user_id = promoter_id if kind == "self" else None
                        if kind == "person":
                            seen.append((ip, agent))
                    view_track(link=link, ip=ip, user_agent=agent, user_id=user_id, prefetch=prefetch)

    def _ip(self) -> str:
        rng = self.rng
        return f"{rng.randint(11, 223)}.{rng.getrandbits(8)}.{rng.getrandbits(8)}.{rng.randint(1, 254)}"

    def burst(self, key: str, promoter: str, requests: int = 130) -> None:
        """A script reloading a link from one address: one view is paid, the rest are repeats,
        and past the per-minute limit they are not even looked at."""
        from tracking.services import link_lookup, view_track

        link = link_lookup(self.participations[key, promoter].tracking_code)
        ip = self._ip()
        with transaction.atomic():
            for _ in range(requests):
                view_track(link=link, ip=ip, user_agent=BROWSERS[0], user_id=None, prefetch=False)

    def _daily_schedules(self) -> None:
        from django_q.models import Schedule

        from campaignplatform.schedules import SCHEDULES

        for spec in SCHEDULES:
            if spec["schedule_type"] != Schedule.MONTHLY:
                self._run_schedule(spec)

    def _monthly_schedules(self) -> None:
        from django_q.models import Schedule

        from campaignplatform.schedules import SCHEDULES

        for spec in SCHEDULES:
            if spec["schedule_type"] == Schedule.MONTHLY:
                self._run_schedule(spec)

    def _run_schedule(self, spec) -> None:
        module, _, name = spec["func"].rpartition(".")
        function = getattr(importlib.import_module(module), name)
        args = ast.literal_eval(f"({spec['args']},)") if spec.get("args") else ()
        function(*args)

    # ------------------------------------------------------------------ actions (services only)
    def campaign(self, key: str, owner: str, campaign_type: str, title: str, *, description: str, **terms) -> None:
        from campaigns import services
        from campaigns.forms import campaign_form_class

        today = timezone.localdate()
        data = {
            "title": title,
            "description": description,
            "target_url": terms.pop("url"),
            "requirements": terms.pop("requirements", ""),
            "category": AdvertiserType.objects.filter(slug=terms.pop("category", "retail")).values_list(
                "pk", flat=True
            )[0],
            "languages": list(
                Language.objects.filter(code__in=terms.pop("languages", ["en"])).values_list("pk", flat=True)
            ),
            "start_date": today.isoformat(),
            "end_date": (today + datetime.timedelta(days=terms.pop("days", 90))).isoformat(),
        }
        if "cpv" in terms:
            data["cpv_dollars"] = _dollars(terms.pop("cpv"))
            data["max_views"] = terms.pop("max_views")
        if "budget" in terms:
            low, high = terms.pop("budget")
            data.update(
                min_budget_dollars=_dollars(low),
                max_budget_dollars=_dollars(high),
                deliverables=terms.pop("deliverables"),
                timeline=terms.pop("timeline"),
            )
        if "commission" in terms:
            data.update(commission_per_sale=terms.pop("commission"), tracking_method=terms.pop("tracking"))
        if terms:
            raise DemoError(f"{title}: unknown terms {sorted(terms)}")
        form = campaign_form_class(campaign_type)(data=data)
        if not form.is_valid():
            raise DemoError(f"{title}: {form.errors.as_text()}")
        self.campaigns[key] = services.campaign_create(advertiser=self.people[owner], form=form)

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

    def revise(self, name: str, comment: str) -> None:
        from campaigns import services

        work = self.works[name]
        services.work_request_revision(work=work, actor=self._advertiser_of_work(work), comment=comment)

    def pause(self, key: str, reason: str) -> None:
        from campaigns import services

        campaign = self._fresh(key)
        services.campaign_pause(campaign=campaign, actor=campaign.advertiser, reason=reason)

    def end(self, key: str, reason: str) -> None:
        from billing import services

        campaign = self._fresh(key)
        services.campaign_end(campaign=campaign, actor=campaign.advertiser, reason=reason)

    def cancel(self, key: str, reason: str) -> None:
        from billing import services

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

    def reject(self, key: str, order: str, reason: str) -> None:
        from tracking.services import sale_reject

        sale_reject(sale=self._sale(key, order), actor=self._fresh(key).advertiser, reason=reason)

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

    # ------------------------------------------------------------------ the story
    def at(self, days_ago: int, hour: int, minute: int = 0) -> _Later:
        """`self.at(58, 9).publish("shoes")`: publish 58 days ago at 09:00 (today: just before now)."""
        return _Later(self, self.moment(days_ago, hour, minute))

    def _story(self) -> None:
        at = self.at
        at(60, 8)._people()
        at(60, 9).card_add("acme")
        at(60, 10).api_key("acme", "Shop backend")
        at(57, 8).onboard("pat")
        at(55, 8).onboard("riley")
        at(55, 9).onboard("sam")
        at(49, 8).onboard("jo")
        at(45, 8).onboard("alex", finish=False)  # started, never finished: "onboarding incomplete"
        at(40, 8).onboard("morgan")
        self._acme_visibility()
        self._acme_applications()
        self._acme_sales()
        self._northwind_campaigns()
        self._push(self.moment(1, 12), "matching", lambda: demo_matching.build(self.people))

    def _acme_visibility(self) -> None:
        at, vis = self.at, CampaignType.VISIBILITY
        # Active since the start and topped up once, at the seed's rate ($3 per 100 views).
        at(58, 9).campaign(
            "shoes", "acme", vis, "Trail Running Shoes Launch", cpv=300, max_views=1_500, days=120,
            description="Our new Ridgeline trail shoe is out. Share your honest first run in them.",
            url="https://acme-outdoor.example/ridgeline?utm_source=promoters", category="sports-outdoors",
            languages=["en", "es"], requirements="Link in the first line of the description; no paid traffic.",
        )  # fmt: skip
        at(58, 10).publish("shoes")
        at(58, 11).fund("shoes")
        at(57, 12).join("shoes", "pat", reach=(10, 28))
        at(55, 12).join("shoes", "riley", reach=(5, 14))
        at(50, 12).join("shoes", "jo", reach=(1, 2))
        at(45, 12).join("shoes", "alex", reach=(6, 12))
        at(20, 18, 30).burst("shoes", "pat")  # one address hammering the link: rate limited
        at(16, 9).fund("shoes", views=3_000)  # top-up

        # The seed's example: $3 per 100 views x 2,000 views = $60, until the cap completes it.
        at(52, 9).campaign(
            "tents", "acme", vis, "Summer Tent Sale", cpv=300, max_views=2_000, days=45,
            description="Two-person tents at 30% off while stock lasts.",
            url="https://acme-outdoor.example/sale/tents", category="sports-outdoors",
        )  # fmt: skip
        at(52, 10).publish("tents")
        at(52, 11).fund("tents", page=True)
        at(51, 12).join("tents", "pat", reach=(85, 95))
        at(51, 13).join("tents", "riley", reach=(60, 70))
        at(50, 12).join("tents", "alex", reach=(25, 30))

        at(34, 9).campaign(
            "jackets", "acme", vis, "Winter Jacket Teaser", cpv=250, max_views=6_000, days=60,
            description="A first look at the Summit down jacket before it ships.",
            url="https://acme-outdoor.example/summit",
        )  # fmt: skip
        at(34, 10).publish("jackets")
        at(34, 11).fund("jackets")
        at(33, 12).join("jackets", "pat", reach=(8, 12))
        at(32, 12).join("jackets", "riley", reach=(4, 6))
        at(22, 15).cancel("jackets", "The Summit jacket launch moved to spring; we will run a new campaign then.")

        at(26, 9).campaign(
            "headlamps", "acme", vis, "Headlamp Night Hikes", cpv=400, max_views=5_000, days=90,
            description="Show the Lumen 400 headlamp on a night hike.", url="https://acme-outdoor.example/lumen-400",
        )  # fmt: skip
        at(26, 10).publish("headlamps")
        at(26, 11).fund("headlamps")
        at(25, 12).join("headlamps", "pat", reach=(8, 15))
        at(24, 12).join("headlamps", "jo", reach=(1, 1))
        at(4, 10).pause("headlamps", "Pausing over the holidays while the Lumen 400 is restocked.")

        at(3, 9).campaign(
            "kayaks", "acme", vis, "Kayak Season Preview", cpv=350, max_views=4_000, days=90,
            description="Early looks at next season's touring kayaks.", url="https://acme-outdoor.example/kayaks",
        )  # fmt: skip
        at(3, 10).publish("kayaks")  # not funded yet
        at(1, 16).campaign(
            "cleanup", "acme", vis, "Spring Trail Cleanup Day", cpv=200, max_views=3_000, days=150,
            description="Invite your audience to our trail cleanup days in April.",
            url="https://acme-outdoor.example/cleanup",
        )  # fmt: skip

    def _acme_applications(self) -> None:
        at, consultant, seller = self.at, CampaignType.CONSULTANT, CampaignType.SELLER
        # Consultant, active: three review videos; one paid, one sent back, one waiting for review.
        at(48, 9).campaign(
            "reviews", "acme", consultant, "Gear Review Video Series", budget=(80_000, 200_000), days=75,
            description="Three in-depth review videos of our best sellers, filmed on real trails.",
            url="https://acme-outdoor.example", category="sports-outdoors",
            deliverables="Three 8-12 minute videos, published on your channel, with a link to the product.",
            timeline="6 weeks, one video every two weeks",
        )  # fmt: skip
        at(48, 10).publish("reviews")
        at(47, 11).apply("reviews", "pat", 150_000, "I review gear every week for 48k subscribers; I'd film all "
                         "three on the Colorado Trail with long-term follow-ups.")  # fmt: skip
        at(47, 15).apply("reviews", "riley", 110_000, "A trail runner's angle: 100 miles on the shoes first.")
        at(46, 10).counter("reviews", "pat", "acme", 120_000, "We love the plan. Could you do the three for $1,200?")
        at(45, 9).accept("reviews", "pat", by="pat")
        at(45, 11).fund("reviews")
        at(45, 12).milestone("reviews", "pat", "video1", "Video 1: four-season tent review", 40_000)
        at(45, 12).milestone("reviews", "pat", "video2", "Video 2: 40 L backpack review", 40_000)
        at(45, 12).milestone("reviews", "pat", "video3", "Video 3: trail shoe 100-mile test", 40_000)
        at(38, 16).submit("video1", "Filmed over two nights at 11,000 ft.", "https://video.example/pat/tent-review")
        at(36, 10).approve("video1")  # paid at once to Pat's Connect account
        at(14, 17).submit("video3", "First cut after 50 miles.", "https://video.example/pat/ridgeline-50")
        at(12, 11).revise("video3", "Great footage! Please show the tread after the full 100 miles, as agreed.")
        at(2, 18).submit("video2", "Backpack review with a 20 kg load test.", "https://video.example/pat/pack-40")

        # Consultant, awaiting funding: a counter-offer waits for Pat, Riley's offer waits for Acme.
        at(10, 9).campaign(
            "workshops", "acme", consultant, "Trail Safety Workshop Series", budget=(50_000, 120_000), days=120,
            description="Host three evening workshops in our Denver store: navigation, layering, first aid.",
            url="https://acme-outdoor.example/workshops",
            deliverables="Three 90-minute in-store workshops with slides and a handout.",
            timeline="January to March, one a month",
        )  # fmt: skip
        at(10, 10).publish("workshops")
        at(8, 14).apply("workshops", "pat", 95_000, "I teach a navigation course twice a year and live in Denver.")
        at(7, 10).apply("workshops", "riley", 70_000, "I can run the layering session with a live demo.")
        at(6, 15).counter("workshops", "pat", "acme", 75_000, "Could you do all three for $750? Room and snacks on us.")
        at(3, 11).campaign(
            "ambassador", "acme", consultant, "Brand Ambassador Program 2027", budget=(300_000, 600_000), days=365,
            description="A year-long ambassador role: monthly content and two events.",
            url="https://acme-outdoor.example/ambassadors",
            deliverables="12 monthly posts, two event appearances.", timeline="12 months",
        )  # fmt: skip

        # Seller, completed: photos delivered (one revision), then ended; the unplanned rest refunded.
        at(56, 9).campaign(
            "catalog", "acme", seller, "Autumn Catalog Product Photos", budget=(30_000, 60_000), days=40,
            description="Product photos for the autumn catalog and web shop.",
            url="https://acme-outdoor.example/catalog",
            deliverables="20 studio photos on white, 6 lifestyle photos outdoors, full rights.", timeline="3 weeks",
        )  # fmt: skip
        at(56, 10).publish("catalog")
        at(55, 11).apply("catalog", "sam", 45_000, "Product photography is my day job; portfolio linked.")
        at(55, 14).apply("catalog", "pat", 52_000, "I shoot all my gear reviews myself and know your range well.")
        at(54, 10).accept("catalog", "sam", by="acme")
        at(54, 11).fund("catalog")
        at(54, 12).milestone("catalog", "sam", "studio", "20 studio product photos", 25_000)
        at(54, 12).milestone("catalog", "sam", "lifestyle", "6 lifestyle photos on the trail", 15_000)
        at(48, 17).submit("studio", "20 photos, 6000 px, TIFF and JPEG.", "https://files.example/sam/acme-studio")
        at(46, 10).approve("studio")
        at(42, 17).submit("lifestyle", "6 photos from the Maroon Bells trail.", "https://files.example/sam/acme-trail")
        at(41, 9).revise("lifestyle", "Lovely set. Could one of them be at golden hour?")
        at(39, 18).submit("lifestyle", "Photo 4 is now a golden-hour shot.", "https://files.example/sam/acme-trail-2")
        at(38, 10).approve("lifestyle")
        at(37, 11).end("catalog", "All photos delivered.")

        # Seller, active: the maps wait for review.
        at(21, 9).campaign(
            "maps", "acme", seller, "Trail Map Illustrations", budget=(40_000, 90_000), days=60,
            description="Illustrated maps of three state parks for our store walls and web shop.",
            url="https://acme-outdoor.example/maps",
            deliverables="Three print-ready illustrated maps (PDF, A1).", timeline="3 weeks",
        )  # fmt: skip
        at(21, 10).publish("maps")
        at(20, 11).apply("maps", "sam", 60_000, "Hand-drawn, then vectorised; three sketches before the final art.")
        at(19, 10).accept("maps", "sam", by="acme")
        at(19, 11).fund("maps")
        at(19, 12).milestone("maps", "sam", "parkmaps", "Three park maps, print-ready", 60_000)
        at(3, 16).submit("parkmaps", "Final art for all three parks.", "https://files.example/sam/acme-maps")
        at(2, 11).campaign(
            "giftguide", "acme", seller, "Gift Guide Photo Set", budget=(20_000, 40_000), days=30,
            description="Flat-lay photos of 12 gift ideas for the holiday guide.",
            url="https://acme-outdoor.example/gifts", deliverables="12 flat-lay photos.", timeline="1 week",
        )  # fmt: skip

    def _acme_sales(self) -> None:
        at, salesman = self.at, CampaignType.SALESMAN
        at(57, 9).campaign(
            "packs", "acme", salesman, "Backpack Referral Program", commission="12.50", tracking="referral_link",
            description="12.5% on every backpack sold through your referral link.",
            url="https://acme-outdoor.example/packs", days=180,
        )  # fmt: skip
        at(57, 10).publish("packs")
        at(57, 11).fund("packs", budget=75_000)
        at(56, 12).join("packs", "pat")
        at(54, 12).join("packs", "riley")
        at(40, 12).join("packs", "jo")
        # A sale on about half the days; each gets the fate sales have.
        prices = [8_999, 12_999, 15_999, 21_999, 6_499, 24_999, 18_999]
        numbers = itertools.count(10_231)
        special = {}
        for days_ago in range(55, 0, -1):
            if self.rng.random() > 0.45 and days_ago > 3:  # the last days' sales wait for Acme
                continue
            # Riley joined two days after Pat; Jo's blog sells none.
            promoter = self.rng.choice(["pat", "pat", "pat"] + (["riley", "riley"] if days_ago < 54 else []))
            order = f"ACME-{next(numbers)}"
            at(days_ago, self.rng.randint(9, 20)).sale("packs", promoter, order, self.rng.choice(prices))
            if 20 <= days_ago < 30 and "rejected" not in special:
                special["rejected"] = order
                at(days_ago - 1, 10).reject("packs", order, "Order cancelled before shipping.")
            elif 10 <= days_ago < 20 and "refunded pending" not in special:
                special["refunded pending"] = order
                at(days_ago - 2, 10).refund_sale("packs", order, "Customer returned the pack unopened.")
            elif 6 <= days_ago < 12 and "refunded verified" not in special:
                # Verified and refunded the same day: the commission is still pending, so it is
                # reversed (after the monthly release it would become a deduction instead).
                special["refunded verified"] = order
                at(days_ago - 1, 10).verify("packs", order)
                at(days_ago - 1, 16).refund_sale("packs", order, "Customer returned the pack (wrong size).")
            elif days_ago >= 34 and self.rng.random() < 0.4:
                pass  # never reviewed: the schedule verifies it after SALE_AUTO_VERIFY_DAYS
            elif days_ago >= 5:
                at(days_ago - self.rng.randint(1, 3), 9).verify("packs", order)
            # else: recent, still waiting for Acme
        # Verified this morning: this month's commission is waiting in Pat's wallet, whatever the day.
        order = f"ACME-{next(numbers)}"
        at(2, 16).sale("packs", "pat", order, 21_999)
        at(0, 9).verify("packs", order)

        # Paused for budget: $20 of budget pays the first commission; the second waits for a top-up.
        at(30, 9).campaign(
            "coupon", "acme", salesman, "Trail Shoe Coupon", commission="15.00", tracking="coupon_code", days=90,
            description="15% on every pair sold with your coupon code.", url="https://acme-outdoor.example/ridgeline",
        )  # fmt: skip
        at(30, 10).publish("coupon")
        at(30, 11).fund("coupon", budget=2_000)
        at(29, 12).join("coupon", "pat")
        at(25, 14).sale("coupon", "pat", "ACME-C-501", 8_000)
        at(23, 10).verify("coupon", "ACME-C-501")
        at(15, 14).sale("coupon", "pat", "ACME-C-502", 6_000)
        at(13, 10).verify("coupon", "ACME-C-502")  # $9 commission, $8 left: awaiting budget, paused

        at(2, 9).campaign(
            "stoves", "acme", salesman, "Camp Stove Referral", commission="10.00", tracking="both", days=120,
            description="10% on every camp stove sold through your link.", url="https://acme-outdoor.example/stoves",
        )  # fmt: skip
        at(2, 10).publish("stoves")  # not funded yet

    def _northwind_campaigns(self) -> None:
        at = self.at
        vis, consultant = CampaignType.VISIBILITY, CampaignType.CONSULTANT
        seller, salesman = CampaignType.SELLER, CampaignType.SALESMAN
        at(44, 9).campaign(
            "coldbrew", "northwind", vis, "Cold Brew Summer", cpv=200, max_views=3_000, days=120,
            description="Our cold brew concentrate, in your summer routine.",
            url="https://northwind-coffee.example/cold-brew", category="food-drink",
        )  # fmt: skip
        at(44, 10).publish("coldbrew")
        at(44, 11).fund("coldbrew", page=True)
        at(43, 12).join("coldbrew", "riley", reach=(6, 10))
        at(42, 12).join("coldbrew", "alex", reach=(4, 8))
        at(41, 12).join("coldbrew", "jo", reach=(1, 1))
        at(30, 12).join("coldbrew", "pat", reach=(4, 8))

        # Consultant, paused mid-project with month 2 waiting for review.
        at(41, 9).campaign(
            "socials", "northwind", consultant, "Cafe Social Media Management", budget=(60_000, 150_000), days=90,
            description="Run our Instagram for two months: calendar, posts, replies.",
            url="https://northwind-coffee.example", category="food-drink",
            deliverables="A monthly content calendar and 12 posts a month.", timeline="2 months",
        )  # fmt: skip
        at(41, 10).publish("socials")
        at(40, 11).apply("socials", "morgan", 100_000, "I ran socials for three Seattle cafes: engagement up 40%.")
        at(39, 10).accept("socials", "morgan", by="northwind")
        at(39, 11).fund("socials", page=True)
        at(39, 12).milestone("socials", "morgan", "month1", "Month 1 content calendar and posts", 50_000)
        at(39, 12).milestone("socials", "morgan", "month2", "Month 2 content calendar and posts", 50_000)
        at(33, 17).submit("month1", "Calendar and 12 posts scheduled.", "https://docs.example/morgan/northwind-m1")
        at(31, 10).approve("month1")
        at(12, 17).submit("month2", "Calendar, 12 posts and two reels.", "https://docs.example/morgan/northwind-m2")
        at(10, 9).pause("socials", "On hold during the cafe renovation; back in January.")

        # Consultant, completed: the promoter accepted a counter-offer; both videos paid.
        at(36, 9).campaign(
            "latte", "northwind", consultant, "Latte Art Workshop Videos", budget=(30_000, 80_000), days=40,
            description="Two short workshop videos for our online shop's education page.",
            url="https://northwind-coffee.example/learn", category="food-drink",
            deliverables="Two 6-minute videos: hearts and rosettas.", timeline="3 weeks",
        )  # fmt: skip
        at(36, 10).publish("latte")
        at(35, 11).apply("latte", "morgan", 60_000, "I teach latte art every Saturday; I'd film in your cafe.")
        at(34, 10).counter("latte", "morgan", "northwind", 50_000, "Our budget is $500 for both; we cover the milk!")
        at(33, 9).accept("latte", "morgan", by="morgan")
        at(33, 11).fund("latte", page=True)
        at(33, 12).milestone("latte", "morgan", "hearts", "Video 1: hearts", 25_000)
        at(33, 12).milestone("latte", "morgan", "rosettas", "Video 2: rosettas", 25_000)
        at(28, 17).submit("hearts", "Hearts, in three levels.", "https://video.example/morganpours/hearts")
        at(25, 10).approve("hearts")
        at(22, 17).submit("rosettas", "Rosettas, slow motion included.", "https://video.example/morganpours/rosettas")
        at(20, 10).approve("rosettas")
        at(18, 11).end("latte", "Both videos delivered.")

        # Consultant, cancelled before anyone was selected.
        at(20, 9).campaign(
            "popup", "northwind", consultant, "Holiday Pop-up Event Host", budget=(30_000, 60_000), days=30,
            description="Host our holiday pop-up market for one weekend.",
            url="https://northwind-coffee.example/popup", category="food-drink",
            deliverables="Two days of hosting, a short recap video.", timeline="One weekend",
        )  # fmt: skip
        at(20, 10).publish("popup")
        at(19, 12).apply("popup", "pat", 40_000, "I've hosted two gear swaps; happy to bring the trail crowd.")
        at(15, 10).cancel("popup", "The pop-up was called off: the venue fell through.")

        # Seller, awaiting funding: Pat's and Sam's applications wait for Northwind.
        at(6, 9).campaign(
            "bags", "northwind", seller, "Bag Design Illustrations", budget=(25_000, 70_000), days=60,
            description="Illustrations for our new 1 kg coffee bags.",
            url="https://northwind-coffee.example/bags", category="food-drink",
            deliverables="Four illustrations, one per origin.", timeline="4 weeks",
        )  # fmt: skip
        at(6, 10).publish("bags")
        at(5, 13).apply("bags", "pat", 45_000, "Trail sketches are my other hobby; each origin's landscape.")
        at(4, 15).apply("bags", "sam", 50_000, "Packaging art is what I do; three sketches per bag before final.")

        # Seller, paused with a revision requested.
        at(29, 9).campaign(
            "labels", "northwind", seller, "Coffee Bag Label Art", budget=(30_000, 60_000), days=60,
            description="Label art for four single-origin roasts.",
            url="https://northwind-coffee.example/origins", category="food-drink",
            deliverables="Four labels, print-ready.", timeline="2 weeks",
        )  # fmt: skip
        at(29, 10).publish("labels")
        at(28, 11).apply("labels", "sam", 50_000, "Four labels with a shared system, as print-ready PDFs.")
        at(27, 10).accept("labels", "sam", by="northwind")
        at(27, 11).fund("labels", page=True)
        at(27, 12).milestone("labels", "sam", "labelset", "Label set for four roasts", 50_000)
        at(24, 17).submit("labelset", "Four labels, CMYK, with bleed.", "https://files.example/sam/northwind-labels")
        at(22, 10).revise("labelset", "Please use the darker roast colours from the brand guide.")
        at(8, 10).pause("labels", "Waiting for our new logo before the labels are finished.")

        # Seller, cancelled after funding: everything refunded.
        at(37, 9).campaign(
            "menu", "northwind", seller, "Menu Board Photos", budget=(20_000, 40_000), days=30,
            description="Photos of our drinks for the new menu boards.",
            url="https://northwind-coffee.example/menu", category="food-drink",
            deliverables="15 drink photos.", timeline="1 week",
        )  # fmt: skip
        at(37, 10).publish("menu")
        at(36, 11).apply("menu", "sam", 30_000, "Drinks are tricky to shoot; I bring my own lights and props.")
        at(35, 10).accept("menu", "sam", by="northwind")
        at(35, 11).fund("menu", page=True)
        at(30, 10).cancel("menu", "The menu changed; we will re-shoot in spring.")

        # Salesman, completed: ended by Northwind, the unused budget refunded.
        at(50, 9).campaign(
            "espresso", "northwind", salesman, "Espresso Machine Referral", commission="8.00",
            tracking="referral_link", days=60, category="food-drink",
            description="8% on every espresso machine sold through your link.",
            url="https://northwind-coffee.example/machines",
        )  # fmt: skip
        at(50, 10).publish("espresso")
        at(50, 11).fund("espresso", budget=40_000, page=True)
        at(49, 12).join("espresso", "riley")
        at(48, 12).join("espresso", "pat")
        sales = [(47, "riley", 39_900), (44, "pat", 54_900), (40, "riley", 39_900), (35, "riley", 74_900),
                 (31, "pat", 39_900), (27, "riley", 54_900), (24, "pat", 39_900)]  # fmt: skip
        for number, (days_ago, promoter, amount) in enumerate(sales, start=7_400):
            at(days_ago, 15).sale("espresso", promoter, f"NW-{number}", amount)
            at(days_ago - 2, 10).verify("espresso", f"NW-{number}")
        at(21, 11).end("espresso", "Machine promotion over for this year.")

        # Salesman, cancelled: refunded in full.
        at(19, 9).campaign(
            "club", "northwind", salesman, "Coffee Club Coupon", commission="10.00", tracking="coupon_code",
            days=90, category="food-drink", description="10% on coffee club sign-ups with your code.",
            url="https://northwind-coffee.example/club",
        )  # fmt: skip
        at(19, 10).publish("club")
        at(19, 11).fund("club", budget=10_000, page=True)
        at(18, 12).join("club", "morgan")
        at(12, 10).cancel("club", "The coffee club relaunch is postponed.")
        at(2, 14).campaign(
            "subscription", "northwind", salesman, "Subscription Referral", commission="20.00",
            tracking="referral_link", days=120, category="food-drink",
            description="A month free for them, 20% of the first three months for you.",
            url="https://northwind-coffee.example/subscribe",
        )  # fmt: skip


class _Later:
    """Schedules a History action instead of running it: `history.at(3, 9).publish("kayaks")`."""

    def __init__(self, history: History, moment: datetime.datetime):
        self._history, self._moment = history, moment

    def __getattr__(self, name: str):
        action = getattr(self._history, name)

        def schedule(*args, **kwargs):
            label = " ".join([name.strip("_"), *(str(arg) for arg in args[:3])])
            self._history._push(self._moment, label, lambda: action(*args, **kwargs))

        return schedule


def _dollars(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


@contextlib.contextmanager
def _quiet(*names):
    """Each Stripe request and each inline task would log a line: thousands, of no interest here."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@contextlib.contextmanager
def _tasks_run_inline():
    from django_q.conf import Conf

    previous = Conf.SYNC
    Conf.SYNC = True
    try:
        yield
    finally:
        Conf.SYNC = previous


# --- What there is -----------------------------------------------------------------------------


def summary() -> list[str]:
    """What the demo holds, in a few lines (the same after building and when it was there)."""
    from billing.models import AdvertiserCharge, ChargeKind, ChargeStatus
    from payouts.models import BillingPeriodSummary, PayoutRecord, PayoutStatus, PeriodClose, StripeTransfer
    from tracking.models import SaleRecord, ViewStat

    lines = []
    by_type = Counter(Campaign.objects.values_list("campaign_type", "status"))
    for campaign_type in CampaignType:
        statuses = [
            f"{by_type[campaign_type.value, status.value]} {status.label.lower()}"
            for status in CampaignStatus
            if by_type[campaign_type.value, status.value]
        ]
        total = sum(count for (kind, _), count in by_type.items() if kind == campaign_type.value)
        lines.append(f"{campaign_type.label:<11} {total:>3} campaigns: {', '.join(statuses)}")
    applications = Counter(CampaignApplication.objects.values_list("status", flat=True))
    lines.append("applications: " + _counts(applications))
    works = Counter(CampaignWork.objects.values_list("status", flat=True))
    lines.append("work: " + _counts(works))
    stats = ViewStat.objects.aggregate(
        requests=Sum("requests"),
        paid=Sum("paid_views"),
        days=Count("day", distinct=True),
        **{column: Sum(column) for column in ViewStat.REJECT_FIELDS.values()},
    )
    rejected = {reason: stats[column] or 0 for reason, column in ViewStat.REJECT_FIELDS.items()}
    lines.append(
        f"views: {stats['paid'] or 0:,} paid of {stats['requests'] or 0:,} requests over {stats['days']} days "
        f"(not counted: {_counts(rejected)})"
    )
    lines.append("sales: " + _counts(Counter(SaleRecord.objects.values_list("status", flat=True))))
    charges = AdvertiserCharge.objects.filter(status=ChargeStatus.SUCCEEDED)
    funded = charges.filter(kind=ChargeKind.CHARGE).aggregate(total=Sum("amount"), count=Count("pk"))
    refunded = charges.filter(kind=ChargeKind.REFUND).aggregate(total=Sum("amount"), count=Count("pk"))
    lines.append(
        f"payments: {funded['count']} ({_money(funded['total'])}), refunds: {refunded['count']} "
        f"({_money(refunded['total'])})"
    )
    paid = PayoutRecord.objects.filter(status=PayoutStatus.PAID).aggregate(total=Sum("amount"), count=Count("pk"))
    immediate = StripeTransfer.objects.filter(kind="immediate", status="succeeded").aggregate(
        total=Sum("amount"), count=Count("pk")
    )
    closed = [f"{period:%Y-%m}" for period in PeriodClose.objects.order_by("period").values_list("period", flat=True)]
    lines.append(
        f"months closed: {', '.join(closed) or 'none'} ({BillingPeriodSummary.objects.count()} statements); "
        f"payouts paid: {paid['count']} ({_money(paid['total'])}); immediate payments: {immediate['count']} "
        f"({_money(immediate['total'])})"
    )
    lines.append(f"notifications: {Notification.objects.count()}")
    return lines


def _counts(counter) -> str:
    return (
        ", ".join(f"{count:,} {name.replace('_', ' ')}" for name, count in sorted(counter.items()) if count) or "none"
    )


def _money(cents) -> str:
    cents = cents or 0
    return f"${cents / 100:,.2f}"


def seconds_since(start: float) -> str:
    return f"{time.monotonic() - start:.1f} s"


__all__ = [
    "DAYS",
    "DEMO_ADVERTISER",
    "DEMO_PROMOTER",
    "DEMO_STAFF",
    "DemoError",
    "History",
    "history_exists",
    "stripe_simulator",
    "summary",
    "users_ensure",
]
