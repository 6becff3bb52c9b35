from django import forms

from campaigns.forms import DollarField
from campaigns.models import MAX_VIEWS


class FundForm(forms.Form):
    """What the advertiser chooses: a Salesman budget or extra Visibility views, and how to pay."""

    METHOD_CHOICES = [("checkout", "Secure payment page"), ("card", "My saved card")]

    budget_dollars = DollarField(label="Commission budget ($)", required=False, min_cents=1)
    views = forms.IntegerField(label="Extra views", required=False, min_value=1, max_value=MAX_VIEWS)
    method = forms.ChoiceField(choices=METHOD_CHOICES, required=False, widget=forms.RadioSelect)
