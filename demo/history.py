"""The demo's past: two months of marketplace history made through the real services.

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

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts.models import (
    User,
)
from campaigns.models import (
    Campaign,
    CampaignApplication,
    CampaignStatus,
    CampaignWork,
    PromoterCampaign,
)
from demo.actions import Actions
from demo.people import DAYS, DemoError, users_ensure
from demo.story import Story
from demo.timeline import Event, Reach

logger = logging.getLogger(__name__)


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


class History(Story, Actions):
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
        self._events: list[Event] = []
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
        heapq.heappush(self._events, Event(moment, next(self._order), label, action))

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
