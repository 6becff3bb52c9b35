import csv
import io
from datetime import datetime, time

from django import forms
from django.utils import timezone

from campaignplatform.reasons import CodedReasonForm
from campaigns.forms import DollarField
from tracking.models import MAX_SALE_CENTS, ORDER_ID_MAX_LENGTH, SaleRejectionReason

MAX_CSV_BYTES = 1024 * 1024
MAX_CSV_ROWS = 5000
CSV_COLUMNS = ("order_id", "amount", "ref_code", "coupon_code", "occurred_at")


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Where you use it, e.g. “Shopify store”.")


class SaleRejectForm(CodedReasonForm):
    reasons = tuple(SaleRejectionReason)
    note_help = "The promoter reads the reason and your note."


class ManualSaleForm(forms.Form):
    participation = forms.TypedChoiceField(label="Promoter", coerce=int)
    order_id = forms.CharField(max_length=ORDER_ID_MAX_LENGTH, label="Order ID")
    amount = DollarField(max_cents=MAX_SALE_CENTS, label="Sale amount ($)")
    occurred_on = forms.DateField(label="Date of sale", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, participations, **kwargs):
        super().__init__(*args, **kwargs)
        self.participations = {p.pk: p for p in participations}
        self.fields["participation"].choices = [
            (p.pk, f"{p.promoter.display_name} ({p.tracking_code})") for p in participations
        ]

    def clean_occurred_on(self):
        day = self.cleaned_data["occurred_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("The date is in the future.")
        return day

    def occurred_at(self):
        return timezone.make_aware(datetime.combine(self.cleaned_data["occurred_on"], time(12, 0)))


class CsvImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file", help_text=f"Columns: {', '.join(CSV_COLUMNS)} (amount in dollars; one code per row)."
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError("The file is larger than 1 MB; split it.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("Save the file as UTF-8 CSV.") from None
        try:
            rows = list(csv.DictReader(io.StringIO(text)))
        except csv.Error as error:
            raise forms.ValidationError(f"Not a valid CSV file: {error}") from None
        if not rows:
            raise forms.ValidationError("The file has no rows.")
        if len(rows) > MAX_CSV_ROWS:
            raise forms.ValidationError(f"At most {MAX_CSV_ROWS} rows per file.")
        headers = {(name or "").strip().lower() for name in rows[0]}
        missing = {"order_id", "amount"} - headers
        if missing:
            raise forms.ValidationError(f"Missing columns: {', '.join(sorted(missing))}.")
        if not headers & {"ref_code", "coupon_code"}:
            raise forms.ValidationError("Add a ref_code or coupon_code column.")
        return [{(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k} for row in rows]


def parse_csv_row(row: dict) -> dict:
    """One CSV row to `sale_record` arguments; raises ValidationError with a message for the report."""
    amount = DollarField(max_cents=MAX_SALE_CENTS).clean(row.get("amount", ""))
    occurred_at = None
    raw = row.get("occurred_at", "")
    if raw:
        from django.utils.dateparse import parse_date, parse_datetime

        try:
            occurred_at = parse_datetime(raw)
            if occurred_at is None:
                day = parse_date(raw)
                occurred_at = datetime.combine(day, time(12, 0)) if day else None
        except ValueError:
            occurred_at = None
        if occurred_at is None:
            raise forms.ValidationError("occurred_at must be a date (2026-01-31) or an ISO date-time.")
        if timezone.is_naive(occurred_at):
            occurred_at = timezone.make_aware(occurred_at)
    return {
        "order_id": row.get("order_id", ""),
        "amount_cents": amount,
        "currency": row.get("currency", "") or "usd",
        "occurred_at": occurred_at,
        "ref_code": row.get("ref_code", ""),
        "coupon_code": row.get("coupon_code", ""),
    }
