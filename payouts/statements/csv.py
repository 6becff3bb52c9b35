"""Statements as CSV: one line per item, formula-safe text, amounts in dollars."""

from __future__ import annotations

import datetime

from billing import fees
from payouts.models import SummaryRole

CSV_HEADER = ["period", "section", "item", "campaign", "campaign_type", "date", "status", "amount", "currency"]
# A spreadsheet runs a cell starting with one of these as a formula (OWASP: CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value) -> str:
    """Text for a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def csv_amount(cents: int) -> str:
    """Integer cents as decimal units without floats: 123456 -> "1234.56", -5 -> "-0.05"."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    return f"{sign}{whole}.{part:02d}"


def statement_csv_filename(period: datetime.date) -> str:
    return f"statement-{period:%Y-%m}.csv"


def statement_csv_rows(statement) -> list[list[str]]:
    """The header, one row per line of the statement, then its totals (the summary's figures)."""
    row = _row_writer(statement)
    lines = _promoter_rows if statement.role == SummaryRole.PROMOTER else _advertiser_rows
    return [CSV_HEADER, *_balance_rows(statement, row), *lines(statement, row)]


def _row_writer(statement):
    """`row(section, item, amount, ...)`: one CSV row of this statement (its month and currency)."""
    period = f"{statement.period:%Y-%m}"
    currency = statement.summary.currency.upper()

    def row(section, item, amount, *, campaign=None, date=None, status=""):
        return [
            period,
            section,
            csv_text(item),
            csv_text(campaign.title if campaign else ""),
            campaign.campaign_type if campaign else "",
            f"{date:%Y-%m-%d}" if date else "",
            csv_text(status),
            csv_amount(amount),
            currency,
        ]

    return row


def _balance_rows(statement, row) -> list[list[str]]:
    balance = statement.reconciliation
    rows = [row("balance", "Opening balance", balance.opening, date=statement.period)]
    for line in balance.lines:
        # Unsigned, its direction in the status column: a cell starting with "-" is a formula.
        direction = "in" if line.incoming else "out"
        rows.append(row("balance", line.label, abs(line.amount), campaign=line.campaign, status=direction))
    rows.append(row("balance", "Closing balance", balance.closing, date=statement.last_day))
    return rows


def _promoter_rows(statement, row) -> list[list[str]]:
    summary = statement.summary
    rows = []
    for line in statement.earnings:
        paid = "Paid monthly" if line.paid_monthly else "Paid on approval"
        rows.append(row("earning", f"Earnings ({paid.lower()})", line.amount, campaign=line.campaign))
    for line in statement.payouts:
        rows.append(
            row("payout", line.description, line.amount, campaign=line.campaign, date=line.at, status=line.status)
        )
    for value, label, _ in statement.earned_by_type():
        rows.append(row("total", f"Earned: {label}", getattr(summary, f"earned_{value}")))
    rows.append(row("total", "Earned", summary.earned_total))
    rows.append(row("total", "Platform fees (paid by the advertiser)", statement.fees))
    rows.append(row("total", "Paid out", summary.paid_out))
    rows.append(row("total", "Carried forward", summary.carried_forward))
    rows.append(row("total", "Short of the payout threshold", summary.short_of_threshold, status=summary.note))
    return rows


def _advertiser_rows(statement, row) -> list[list[str]]:
    summary = statement.summary
    rows = [*_payment_rows(statement, row), *_campaign_rows(statement, row)]
    for line in statement.refunds:
        status = line.charge.status if line.charge else ""
        # The refund itemised: the unused budget and its fee, then any unused milestone fees.
        parts = [("Unused budget refunded", line.amount - line.fee_reserve_amount)]
        if line.fee_reserve_amount:
            parts.append(("Unused milestone fees refunded", line.fee_reserve_amount))
        for item, amount in parts:
            rows.append(row("refund", item, amount, campaign=line.campaign, date=line.at, status=status))
    rows.append(row("total", "Funded (budget + platform fee)", summary.funded))
    rows.append(row("total", "Spent", summary.spent))
    rows.append(row("total", "Platform fees", summary.fees))
    rows.append(row("total", "Refunded", summary.refunded))
    return rows


def _payment_rows(statement, row) -> list[list[str]]:
    rows = []
    for line in statement.charges:
        item = f"Payment {line.charge.payment_method_label if line.charge else ''}".strip()
        status = line.charge.status if line.charge else ""
        rows.append(row("funding", item, line.amount, campaign=line.campaign, date=line.at, status=status))
    return rows


def _campaign_rows(statement, row) -> list[list[str]]:
    """Each campaign's spend, then each campaign's platform fee with the plan that set it."""
    activities = statement.campaigns
    rows = [row("spend", "Budget spent", a.spent, campaign=a.campaign) for a in activities if a.spent]
    for activity in activities:
        rows += _fee_rows(activity, row)
    return rows


def _fee_rows(activity, row) -> list[list[str]]:
    """A campaign's platform fee: one row, or two when a fixed fee per sale or milestone was
    taken from the budget (the percentage charged at funding, then the fixed fees)."""
    terms = activity.fee_terms or fees.default_terms(activity.campaign.campaign_type)
    if not activity.fees:
        return []
    if not activity.fixed_fees:
        return [row("platform_fee", f"Platform fee ({terms.describe()})", activity.fees, campaign=activity.campaign)]
    fixed = f"Platform fee ({terms.describe_fixed()}, taken from the budget)"
    rows = [row("platform_fee", fixed, activity.fixed_fees, campaign=activity.campaign)]
    if activity.percent_fees:
        percent = f"Platform fee ({terms.describe_at_funding()})"
        rows.insert(0, row("platform_fee", percent, activity.percent_fees, campaign=activity.campaign))
    return rows
