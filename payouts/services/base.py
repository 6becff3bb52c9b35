"""What every payouts service shares: batch size, errors, reports, telling the promoter."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from accounts.notifications import notify
from billing import gateway
from payouts.models import transfer_failure_code

BATCH_SIZE = 10_000


class PayoutError(Exception):
    """A domain error whose message the user can act on."""


@dataclass
class CloseReport:
    period: datetime.date
    released_promoters: int = 0
    released_cents: int = 0
    deductions_applied: int = 0
    deductions_cents: int = 0
    summaries: int = 0
    run: RunReport | None = None


@dataclass
class RunReport:
    period: datetime.date
    records_created: int = 0
    paid: int = 0
    paid_cents: int = 0
    failed: int = 0
    skipped: dict = field(default_factory=lambda: defaultdict(int))
    unfinished: bool = False  # the slice's time ran out with payouts left to send
    busy: bool = False  # another process was sending this period's run


def transfer_failure(error: gateway.GatewayError) -> dict:
    """The fields that record why Stripe did not send a transfer: our code for its error, and
    its message."""
    unavailable = isinstance(error, gateway.GatewayUnavailable)
    return {
        "failure_reason_code": transfer_failure_code(error.code, unavailable=unavailable),
        "failure_reason": str(error.message)[:500],
    }


def promoter_notify(user, *, kind: str, title: str, body: str, event_key: str, url: str = "") -> None:
    """Tell a promoter (in the app, and by email after commit), once per event."""
    notify(user=user, kind=kind, title=title, body=body, event_key=event_key, url=url)
