"""Fee plans and the terms fixed on each campaign when it is funded."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class FeePlan(models.Model):
    """A platform fee plan (the seed's `platform_fees` "as percentage or fixed amount"): a default
    for a campaign type (no advertiser) or an advertiser's override (for one type, or every type
    when blank). Never edited: staff add a newer plan, or deactivate one; who and when are kept."""

    name = models.CharField(max_length=100)
    campaign_type = models.CharField(
        max_length=20,
        blank=True,
        choices=[
            ("visibility", "Visibility"),
            ("consultant", "Consultant"),
            ("seller", "Seller"),
            ("salesman", "Salesman"),
        ],
        help_text="Blank: every type (advertiser overrides only).",
    )
    advertiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="fee_plans"
    )
    percent_bp = models.PositiveIntegerField(default=0, help_text="Percentage in basis points: 1000 = 10%.")
    fixed_cents = models.PositiveIntegerField(
        default=0,
        help_text="Cents per 100 views (Visibility: charged on top at funding), per sale (Salesman) or per "
        "milestone payment (Consultant, Seller): taken from the campaign budget as each is paid.",
    )
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "fee_plans"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(advertiser__isnull=False) | ~Q(campaign_type=""), name="fee_plan_default_names_a_type"
            ),
            models.CheckConstraint(condition=Q(percent_bp__lte=5_000), name="fee_plan_percent_at_most_half"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if not self.advertiser_id and not self.campaign_type:
            raise ValidationError({"campaign_type": "A default plan is for one campaign type."})


class CampaignFeeTerms(models.Model):
    """The fee plan fixed on a campaign when its funding started: later plan changes apply to
    new campaigns only."""

    campaign = models.OneToOneField("campaigns.Campaign", on_delete=models.PROTECT, related_name="fee_terms")
    plan = models.ForeignKey(FeePlan, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    percent_bp = models.PositiveIntegerField()
    fixed_cents = models.PositiveIntegerField(default=0)
    fixed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "campaign_fee_terms"

    def __str__(self):
        return f"Fee terms of campaign {self.campaign_id}"
