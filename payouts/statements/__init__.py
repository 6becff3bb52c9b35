"""Monthly statements: the itemised lines behind each `billing_period_summaries` row.

Read-only. The monthly close writes a summary from the month's ledger rows
(`payouts.services.period_summaries_write`); the lines here are read from the same immutable
rows with the same rules, so they add up to the summary's totals however long after the close a
statement is opened. Mutable projections (`advertiser_spends`, transfer and charge rows) only
describe a line (card, status, number of spends), never its amount.

Every builder issues a fixed number of grouped queries, whatever the number of campaigns.

One module per concern; this package re-exports their public functions so callers
import `payouts.statements` whatever module a function lives in.
"""

from payouts.statements.advertiser import (
    AdvertiserStatement,
    CampaignActivity,
    ChargeLine,
    advertiser_activity_by_campaign,
    advertiser_ledger_by_campaign,
    advertiser_payments,
    advertiser_spends_by_campaign,
    advertiser_statement,
)
from payouts.statements.base import (
    ADVERTISER_KINDS,
    EARNING_ACCOUNTS,
    StatementNotClosed,
    StatementNotFound,
    period_close_time,
    period_is_closed,
)
from payouts.statements.csv import (
    CSV_HEADER,
    csv_amount,
    csv_text,
    statement_csv_filename,
    statement_csv_rows,
)
from payouts.statements.promoter import (
    EarningLine,
    PayoutLine,
    PromoterStatement,
    promoter_balances,
    promoter_direct_payments,
    promoter_earnings_by_campaign,
    promoter_monthly_payout,
    promoter_statement,
)
from payouts.statements.reading import (
    statement_get,
    statement_next_ready,
    statements_for_user,
)

__all__ = [
    "ADVERTISER_KINDS",
    "CSV_HEADER",
    "EARNING_ACCOUNTS",
    "AdvertiserStatement",
    "CampaignActivity",
    "ChargeLine",
    "EarningLine",
    "PayoutLine",
    "PromoterStatement",
    "StatementNotClosed",
    "StatementNotFound",
    "advertiser_activity_by_campaign",
    "advertiser_ledger_by_campaign",
    "advertiser_payments",
    "advertiser_spends_by_campaign",
    "advertiser_statement",
    "csv_amount",
    "csv_text",
    "period_close_time",
    "period_is_closed",
    "promoter_balances",
    "promoter_direct_payments",
    "promoter_earnings_by_campaign",
    "promoter_monthly_payout",
    "promoter_statement",
    "statement_csv_filename",
    "statement_csv_rows",
    "statement_get",
    "statement_next_ready",
    "statements_for_user",
]
