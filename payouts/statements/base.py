"""What every statement shares: the ledger kinds summed, errors, closed periods, row lookups, the line check."""

from __future__ import annotations

import datetime
import logging
import re
from functools import cached_property

from billing.models import AccountKind, Transaction
from billing.models import TransactionKind as Kind
from campaigns.models import Campaign
from payouts.models import PeriodClose
from payouts.reconciliation import Reconciliation, reconciliation_for
from payouts.services import next_payout_at, period_bounds, period_next

logger = logging.getLogger(__name__)


# The ledger kinds an advertiser's summary counts, by summary field (period_summaries_write).
ADVERTISER_KINDS = {Kind.FUNDING: "funded", Kind.SPEND: "spent", Kind.FEE_RECOGNISED: "fees", Kind.REFUND: "refunded"}
EARNING_ACCOUNTS = (AccountKind.PROMOTER_PENDING, AccountKind.PROMOTER_DIRECT)
# Each ledger row's idempotency key names the row it serves (billing and payouts services):
# funding-<payment intent pk>, refund-<advertiser charge pk>, transfer-<stripe transfer pk>.
_KEYED_ROW = re.compile(r"^(funding|refund|transfer)-(\d+)$")


class StatementNotFound(Exception):
    """No statement of this user for this period (never theirs, or nothing to report)."""


class StatementNotClosed(Exception):
    """The period has no statements yet: its monthly close has not run."""

    def __init__(self, period: datetime.date, closes_at: datetime.datetime):
        self.period, self.closes_at = period, closes_at
        super().__init__(f"{period:%B %Y} is not closed yet; statements are written at {closes_at:%Y-%m-%d %H:%M} UTC.")


class StatementMonth:
    """What a statement knows from its summary row (`summary`, `role`): its month and its balance."""

    @property
    def period(self) -> datetime.date:
        return self.summary.period

    @property
    def last_day(self) -> datetime.date:
        return period_next(self.summary.period) - datetime.timedelta(days=1)

    @cached_property
    def reconciliation(self) -> Reconciliation:
        """The balance at the start (held for an advertiser's campaigns, owed to a promoter), each
        movement of the month, and the balance at the end."""
        return reconciliation_for(user_id=self.summary.user_id, role=self.role, period=self.period)


def month_ledger_rows(period: datetime.date, **filters):
    """The ledger rows posted in `period` (UTC month) that match `filters`."""
    start, end = period_bounds(period)
    return Transaction.objects.filter(created_at__gte=start, created_at__lt=end, **filters)


def period_close_time(period: datetime.date) -> datetime.datetime:
    """When the scheduled close of `period` runs: the 1st of the next month, 06:00 UTC."""
    return next_payout_at(datetime.datetime.combine(period, datetime.time(), tzinfo=datetime.UTC))


def period_is_closed(period: datetime.date) -> bool:
    return PeriodClose.objects.filter(period=period, summarised_at__isnull=False).exists()


def keyed_row_ids(keys, prefix: str) -> dict[str, int]:
    """{ledger key: pk of the row it serves} for keys written as `<prefix>-<pk>`."""
    ids = {}
    for key in keys:
        match = _KEYED_ROW.match(key)
        if match and match.group(1) == prefix:
            ids[key] = int(match.group(2))
    return ids


def campaigns_by_pk(pks) -> dict[int, Campaign]:
    fields = ("pk", "public_id", "title", "campaign_type", "status", "currency")
    return {campaign.pk: campaign for campaign in Campaign.objects.filter(pk__in=set(pks)).only(*fields)}


def warn_if_lines_differ(statement) -> None:
    # The lines read the rows the summary was written from; a difference means one of the two
    # rules changed. The page shows the summary's totals; staff get told.
    differences = {name: pair for name, pair in statement.totals_check().items() if pair[0] != pair[1]}
    if differences:
        logger.warning(
            "statement %s %s of user %s: lines differ from the summary: %s",
            statement.summary.role,
            f"{statement.summary.period:%Y-%m}",
            statement.summary.user_id,
            differences,
        )
