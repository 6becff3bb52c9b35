"""The demo's story: who does what, and when, over the last `DAYS` days.

The story itself is data (story.toml): the steps before any campaign, then each campaign with
its terms and what happens to it. This module schedules each step with `self.at(days_ago, hour)`;
a scene the data cannot say (sales drawn at random) is a method here, named by the campaign's
`then`.
"""

from __future__ import annotations

import itertools
import logging
import tomllib
from pathlib import Path

from campaigns.models import CampaignType
from demo import matching as demo_matching
from demo.timeline import Later

logger = logging.getLogger(__name__)

STORY_FILE = Path(__file__).with_name("story.toml")


class Story:
    """History's story, mixed into `History`: steps scheduled with `self.at(days_ago, hour)`."""

    def at(self, days_ago: int, hour: int, minute: int = 0) -> Later:
        """`self.at(58, 9).publish("shoes")`: publish 58 days ago at 09:00 (today: just before now)."""
        return Later(self, self.moment(days_ago, hour, minute))

    def _at(self, days_ago: int, time: str) -> Later:
        """`self.at`, with the time of day as the story file writes it ("18:30")."""
        hour, minute = time.split(":")
        return self.at(days_ago, int(hour), int(minute))

    def _launch(self, days_ago: int, key: str, *campaign, fund: bool | dict = False, **terms) -> None:
        """Create a campaign at 09:00 and publish it at 10:00, as most of the story's campaigns start;
        with `fund`, fund it at 11:00 too (a dict: `fund`'s options, e.g. `{"page": True}`)."""
        self.at(days_ago, 9).campaign(key, *campaign, **terms)
        self.at(days_ago, 10).publish(key)
        if fund:
            self.at(days_ago, 11).fund(key, **(fund if isinstance(fund, dict) else {}))

    def _story(self) -> None:
        story = tomllib.loads(STORY_FILE.read_text())
        for step in story["prologue"]:
            self._step(*step)
        for campaign in story["campaigns"]:
            self._campaign(**campaign)
        self._push(self.moment(1, 12), "matching", lambda: demo_matching.build(self.people))

    def _step(self, days_ago: int, time: str, action: str, *args) -> None:
        """One step of the story file: `[57, "12:00", "join", "shoes", "pat", {reach = [10, 28]}]`
        joins 57 days ago at 12:00; a last table holds the action's keyword options."""
        options = {}
        if args and isinstance(args[-1], dict):
            *args, options = args
        getattr(self._at(days_ago, time), action)(*args, **options)

    def _campaign(
        self, *, key, owner, campaign_type, title, steps=(), then=None, launch=None, draft=None, **terms
    ) -> None:
        """One campaign of the story file: launched (or left a draft), then its steps."""
        campaign = (owner, CampaignType(campaign_type), title)
        if launch is not None:
            self._launch(launch, key, *campaign, **terms)
        else:
            self._at(*draft).campaign(key, *campaign, **terms)
        for step in steps:
            self._step(*step)
        if then:
            getattr(self, then)()

    def _packs_sales(self) -> None:
        """The backpack referral's sales: drawn with the history's seeded random numbers, so the
        demo is the same on every build."""
        at = self.at
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
                at(days_ago - 1, 10).reject("packs", order, "order_cancelled", "Cancelled before shipping.")
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
