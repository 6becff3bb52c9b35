import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from django import forms
from django.utils import timezone

from accounts.forms import validate_http_url
from accounts.models import AdvertiserType, Language, Skill, SocialPlatform
from campaignplatform.money import dollars
from campaignplatform.payment_limits import largest_budget_in_one_payment, too_large_for_one_payment_message
from campaignplatform.reasons import CodedReasonForm
from campaigns.models import (
    APPLICATION_REJECTION_REASONS,
    CAMPAIGN_TERMS,
    MAX_BUDGET_CENTS,
    MAX_COMMISSION_PERCENT,
    MAX_CPV_CENTS,
    MAX_VIEWS,
    Campaign,
    CampaignType,
    TrackingMethod,
    WorkReviewReason,
)
from campaigns.widgets import PlainSelect

MAX_CAMPAIGN_YEARS = 5
MAX_WORK_FILE_BYTES = 10 * 1024 * 1024
_DOLLARS = re.compile(r"^\d+(\.\d{1,2})?$")


class DollarField(forms.Field):
    """Dollars typed as text ("125.50", "$1,250") to integer cents, exactly (Decimal, never float)."""

    def __init__(self, *, min_cents=1, max_cents=MAX_BUDGET_CENTS, **kwargs):
        self.min_cents, self.max_cents = min_cents, max_cents
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00", "maxlength": 20})
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        # Initial values are cents (from the model); bound values are what the user typed.
        if isinstance(value, int):
            return f"{Decimal(value) / 100:.2f}"
        return value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = str(value).strip().replace(",", "").replace(" ", "").removeprefix("$")
        if not value:
            return None
        if len(value) > 20:
            raise forms.ValidationError(f"Enter at most {dollars(self.max_cents)}.", code="max_value")
        if value.startswith("-"):
            raise forms.ValidationError("Enter a positive amount.", code="negative")
        if not _DOLLARS.match(value):
            raise forms.ValidationError("Enter an amount in dollars, like 125.50.", code="invalid")
        try:
            return int(Decimal(value) * 100)
        except InvalidOperation:
            raise forms.ValidationError("Enter an amount in dollars, like 125.50.", code="invalid") from None

    def validate(self, value):
        super().validate(value)
        if value is None:
            return
        if value < self.min_cents:
            raise forms.ValidationError(f"Enter at least {dollars(self.min_cents)}.", code="min_value")
        if value > self.max_cents:
            raise forms.ValidationError(f"Enter at most {dollars(self.max_cents)}.", code="max_value")


class CampaignForm(forms.ModelForm):
    """Fields every campaign type has; `campaign_form_class(type)` adds the type's own fields."""

    campaign_type = None
    type_fields = []

    languages = forms.ModelMultipleChoiceField(
        queryset=Language.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Languages wanted",
    )
    category = forms.ModelChoiceField(queryset=AdvertiserType.objects.all(), required=False, empty_label="Any")
    skills = forms.ModelMultipleChoiceField(
        queryset=Skill.objects.all(), widget=forms.CheckboxSelectMultiple, required=False, label="Skills wanted"
    )
    platforms = forms.MultipleChoiceField(
        choices=SocialPlatform.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Platforms wanted",
        help_text="Where the promoter's audience should be; none means any.",
    )
    target_url = forms.URLField(
        label="Target URL",
        max_length=500,
        assume_scheme="https",
        help_text="Where promoters send people (http or https).",
    )

    class Meta:
        model = Campaign
        fields = [
            "title",
            "description",
            "category",
            "target_url",
            "requirements",
            "languages",
            "skills",
            "platforms",
            "start_date",
            "end_date",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "requirements": forms.Textarea(attrs={"rows": 3}),
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
        }
        error_messages = {"title": {"required": "Give the campaign a title."}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.campaign_type = self.campaign_type

    def terms(self) -> dict:
        """The valid form as `services.campaign_create` / `campaign_update` take it: the terms
        (with what `clean` derived, such as cents from dollars), the languages and skills wanted."""
        campaign = self.save(commit=False)  # fills the instance from the form; saves nothing
        terms = {name: getattr(campaign, name) for name in CAMPAIGN_TERMS}
        return {
            **terms,
            "languages": list(self.cleaned_data.get("languages") or []),
            "skills": list(self.cleaned_data.get("skills") or []),
        }

    def clean_target_url(self):
        url = self.cleaned_data["target_url"]
        if url:
            validate_http_url(url)
        return url

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        today = timezone.localdate()
        if start and not self.instance.pk and start < today:
            self.add_error("start_date", "The start date cannot be in the past.")
        if start and end:
            if end < start:
                self.add_error("end_date", "The end date must be on or after the start date.")
            elif end > today + timedelta(days=365 * MAX_CAMPAIGN_YEARS):
                self.add_error("end_date", f"Campaigns can run for at most {MAX_CAMPAIGN_YEARS} years.")
        return cleaned

    def type_field_list(self):
        return [self[name] for name in self.type_fields]


class VisibilityCampaignForm(CampaignForm):
    campaign_type = CampaignType.VISIBILITY
    type_fields = ["cpv_dollars", "max_views"]

    cpv_dollars = DollarField(
        label="Rate per 100 views ($)", max_cents=MAX_CPV_CENTS, help_text="For example 3.00 for $3 per 100 views."
    )
    max_views = forms.IntegerField(
        label="Maximum views",
        min_value=1,
        max_value=MAX_VIEWS,
        error_messages={"max_value": f"Enter at most {MAX_VIEWS:,} views.", "min_value": "Enter at least 1 view."},
    )

    class Meta(CampaignForm.Meta):
        fields = [*CampaignForm.Meta.fields, "max_views"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.cpv is not None:
            self.initial.setdefault("cpv_dollars", self.instance.cpv)

    def clean(self):
        cleaned = super().clean()
        cpv, max_views = cleaned.get("cpv_dollars"), cleaned.get("max_views")
        if cpv is not None:
            self.instance.cpv = cpv
        if cpv is not None and max_views is not None and cpv * max_views // 100 > MAX_BUDGET_CENTS:
            self.add_error(
                "max_views",
                f"Rate x views would be {dollars(cpv * max_views // 100)}; the most one campaign can hold is "
                f"{dollars(MAX_BUDGET_CENTS)}.",
            )
        elif cpv is not None and max_views is not None and cpv * max_views // 100 > largest_budget_in_one_payment():
            # The whole budget is funded by the first payment: Stripe would refuse it.
            self.add_error(
                "max_views",
                f"Rate x views would be {dollars(cpv * max_views // 100)}. {too_large_for_one_payment_message()} "
                "Start with fewer views and buy more once the campaign runs.",
            )
        return cleaned


class BudgetRangeCampaignForm(CampaignForm):
    type_fields = ["min_budget_dollars", "max_budget_dollars", "deliverables", "timeline"]

    min_budget_dollars = DollarField(label="Minimum budget ($)")
    max_budget_dollars = DollarField(label="Maximum budget ($)")

    class Meta(CampaignForm.Meta):
        fields = [*CampaignForm.Meta.fields, "deliverables", "timeline"]
        widgets = {**CampaignForm.Meta.widgets, "deliverables": forms.Textarea(attrs={"rows": 3})}
        labels = {"timeline": "Timeline (e.g. 6 weeks, 3 milestones)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.min_budget is not None:
            self.initial.setdefault("min_budget_dollars", self.instance.min_budget)
            self.initial.setdefault("max_budget_dollars", self.instance.max_budget)

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_budget_dollars"), cleaned.get("max_budget_dollars")
        if low is not None and high is not None and low > high:
            self.add_error("max_budget_dollars", "The maximum budget must be at least the minimum budget.")
        elif high is not None and high > largest_budget_in_one_payment():
            # The agreed amount is funded by one payment: Stripe would refuse more.
            self.add_error("max_budget_dollars", too_large_for_one_payment_message())
        elif low is not None and high is not None:
            self.instance.min_budget, self.instance.max_budget = low, high
        return cleaned


class ConsultantCampaignForm(BudgetRangeCampaignForm):
    campaign_type = CampaignType.CONSULTANT

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Advice and reviews need not send anyone anywhere.
        self.fields["target_url"].required = False
        self.fields["target_url"].help_text = "Optional: a page promoters should know about (http or https)."


class SellerCampaignForm(BudgetRangeCampaignForm):
    campaign_type = CampaignType.SELLER


class SalesmanCampaignForm(CampaignForm):
    campaign_type = CampaignType.SALESMAN
    type_fields = ["commission_per_sale", "tracking_method"]

    commission_per_sale = forms.DecimalField(
        label="Commission per sale (%)",
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_COMMISSION_PERCENT,
        error_messages={
            # Django formats these with parameters, hence "%%".
            "min_value": "Enter a commission above 0%%.",
            "max_value": "A commission cannot be more than 100%%.",
            "max_digits": "A commission cannot be more than 100%%.",
            "max_whole_digits": "A commission cannot be more than 100%%.",
            "max_decimal_places": "Use at most two decimals, like 12.50.",
        },
    )
    tracking_method = forms.ChoiceField(choices=TrackingMethod.choices, widget=forms.RadioSelect)

    class Meta(CampaignForm.Meta):
        fields = [*CampaignForm.Meta.fields, "commission_per_sale", "tracking_method"]


CAMPAIGN_FORMS = {
    CampaignType.VISIBILITY: VisibilityCampaignForm,
    CampaignType.CONSULTANT: ConsultantCampaignForm,
    CampaignType.SELLER: SellerCampaignForm,
    CampaignType.SALESMAN: SalesmanCampaignForm,
}


def campaign_form_class(campaign_type):
    return CAMPAIGN_FORMS[CampaignType(campaign_type)]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "Reason"}),
        error_messages={"required": "Give a reason."},
    )


class ApplicationRejectForm(CodedReasonForm):
    reasons = APPLICATION_REJECTION_REASONS
    note_help = "The promoter reads the reason and your note."


class WorkReviewForm(CodedReasonForm):
    """Send work back for a revision (the note says what to change) or reject it."""

    reasons = tuple(WorkReviewReason)
    note_max_length = 5000
    note_label = "Note"
    note_help = "What should change (needed for a revision; optional when rejecting)."


class ApplicationForm(forms.Form):
    amount = DollarField(label="Your proposed amount ($)")
    pitch = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Your pitch",
        help_text="Why you, what you will deliver, and how.",
        error_messages={"required": "Tell the advertiser why you are a good fit."},
    )

    def __init__(self, *args, campaign, **kwargs):
        self.campaign = campaign
        super().__init__(*args, **kwargs)
        self.fields["amount"].help_text = f"Between {dollars(campaign.min_budget)} and {dollars(campaign.max_budget)}."

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if not (self.campaign.min_budget <= amount <= self.campaign.max_budget):
            raise forms.ValidationError(
                f"Propose an amount between {dollars(self.campaign.min_budget)} and "
                f"{dollars(self.campaign.max_budget)}."
            )
        if amount > largest_budget_in_one_payment():
            # The agreed amount is funded by one card payment (fee on top): Stripe would refuse
            # it, and a range set before that rule (or in admin) may still reach $10M.
            raise forms.ValidationError(too_large_for_one_payment_message())
        return amount


class CounterOfferForm(ApplicationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].label = "Counter-offer ($)"
        self.fields["pitch"].label = "Message (optional)"
        self.fields["pitch"].required = False
        self.fields["pitch"].help_text = ""
        self.fields["pitch"].widget.attrs["rows"] = 2


class MessageForm(forms.Form):
    body = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Message",
        error_messages={"required": "Write a message first."},
    )


class DeliverableForm(forms.Form):
    title = forms.CharField(max_length=200, error_messages={"required": "Name the milestone."})
    description = forms.CharField(max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    amount = DollarField(label="Amount ($)")
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_due_date(self):
        due = self.cleaned_data["due_date"]
        if due and due < timezone.localdate():
            raise forms.ValidationError("The due date cannot be in the past.")
        if due and due > timezone.localdate() + timedelta(days=365 * MAX_CAMPAIGN_YEARS):
            raise forms.ValidationError(f"Pick a due date within {MAX_CAMPAIGN_YEARS} years.")
        return due


# Extension -> a test on the first bytes. Content is checked, not only the name: a renamed
# executable or HTML page must not be stored as a "pdf".
def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is fine.
        return error.start >= len(head) - 3
    return True


def _is_iso_media(head: bytes) -> bool:
    return head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


FILE_SNIFFERS = {
    "pdf": lambda head: head.startswith(b"%PDF-"),
    "png": lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"),
    "jpg": lambda head: head.startswith(b"\xff\xd8\xff"),
    "jpeg": lambda head: head.startswith(b"\xff\xd8\xff"),
    "gif": lambda head: head[:6] in (b"GIF87a", b"GIF89a"),
    "mp4": _is_iso_media,
    "mov": _is_iso_media,
    "zip": lambda head: head[:4] in (b"PK\x03\x04", b"PK\x05\x06"),
    "docx": lambda head: head[:4] == b"PK\x03\x04",
    "txt": _is_text,
}


def validate_work_file(upload):
    extension = PurePath(upload.name).suffix.lower().lstrip(".")
    if extension not in FILE_SNIFFERS:
        raise forms.ValidationError(
            f"This file type is not accepted. Upload one of: {', '.join(sorted(FILE_SNIFFERS))}."
        )
    if upload.size > MAX_WORK_FILE_BYTES:
        raise forms.ValidationError(
            f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is {MAX_WORK_FILE_BYTES // 1024 // 1024} MB."
        )
    if upload.size == 0:
        raise forms.ValidationError("The file is empty.")
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    if not FILE_SNIFFERS[extension](head):
        raise forms.ValidationError(f"The file's content does not look like a .{extension} file.")


class WorkForm(forms.Form):
    text = forms.CharField(label="Notes", max_length=10000, required=False, widget=forms.Textarea(attrs={"rows": 4}))
    link = forms.URLField(label="Link", max_length=500, required=False, assume_scheme="https")
    file = forms.FileField(required=False, help_text="pdf, png, jpg, gif, mp4, mov, zip, docx or txt; at most 10 MB.")

    def clean_link(self):
        link = self.cleaned_data["link"]
        validate_http_url(link)
        return link

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload:
            validate_work_file(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not (cleaned.get("text", "").strip() or cleaned.get("link") or cleaned.get("file")):
            raise forms.ValidationError("Add notes, a link or a file.")
        return cleaned


class MarketplaceFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    type = forms.ChoiceField(choices=[("", "Any type"), *CampaignType.choices], required=False, widget=PlainSelect)
    category = forms.ModelChoiceField(
        queryset=AdvertiserType.objects.all(), required=False, empty_label="Any category", widget=PlainSelect
    )
    language = forms.ModelChoiceField(
        queryset=Language.objects.all(), required=False, empty_label="Any language", widget=PlainSelect
    )
    min_rate = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        label="Minimum rate",
        help_text="$ per 100 views, $ maximum budget, or % commission.",
    )

    def filter(self, queryset):
        from django.db.models import Q

        # The valid filters apply even when another is invalid; that one shows its error instead.
        self.is_valid()
        data = {name: self.cleaned_data.get(name) for name in self.fields}
        if data["q"]:
            queryset = queryset.filter(Q(title__icontains=data["q"]) | Q(description__icontains=data["q"]))
        if data["type"]:
            queryset = queryset.filter(campaign_type=data["type"])
        if data["category"]:
            queryset = queryset.filter(category=data["category"])
        if data["language"]:
            queryset = queryset.filter(languages=data["language"])
        if data["min_rate"] is not None:
            cents = int(data["min_rate"] * 100)
            queryset = queryset.filter(
                Q(campaign_type=CampaignType.VISIBILITY, cpv__gte=cents)
                | Q(campaign_type__in=[CampaignType.CONSULTANT, CampaignType.SELLER], max_budget__gte=cents)
                | Q(campaign_type=CampaignType.SALESMAN, commission_per_sale__gte=data["min_rate"])
            )
        return queryset
