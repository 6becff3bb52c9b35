"""The demo's timeline: steps scheduled at moments in the past, and the reach of a promoter's link."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from demo.history import History


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
class Event:
    moment: datetime.datetime
    order: int
    label: str = field(compare=False)
    action: object = field(compare=False)


class Later:
    """Schedules a History action instead of running it: `history.at(3, 9).publish("kayaks")`."""

    def __init__(self, history: History, moment: datetime.datetime):
        self._history, self._moment = history, moment

    def __getattr__(self, name: str):
        action = getattr(self._history, name)

        def schedule(*args, **kwargs):
            label = " ".join([name.strip("_"), *(str(arg) for arg in args[:3])])
            self._history._push(self._moment, label, lambda: action(*args, **kwargs))

        return schedule
