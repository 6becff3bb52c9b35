from urllib.parse import urlsplit

from django import forms

from accounts.models import (
    AdvertiserDetails,
    AdvertiserType,
    Language,
    PromoterDetails,
    Role,
    Skill,
    SocialPlatform,
)

MAX_FOLLOWERS = 10_000_000_000


def validate_http_url(value):
    """Only http(s) links: a `javascript:` or `data:` URL on a profile would run in visitors' browsers."""
    if value and urlsplit(value).scheme.lower() not in ("http", "https"):
        raise forms.ValidationError("Enter a web address starting with http:// or https://.")


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        choices=Role.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose how you will use the platform.",
            "invalid_choice": "Choose one of the two account types.",
        },
    )


class AdvertiserProfileForm(forms.ModelForm):
    website = forms.URLField(required=False, assume_scheme="https", max_length=200)
    business_types = forms.ModelMultipleChoiceField(
        queryset=AdvertiserType.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Business categories",
    )

    class Meta:
        model = AdvertiserDetails
        fields = ["company_name", "website", "description", "business_types"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        labels = {"description": "What your company does"}

    def profile(self) -> dict:
        """The valid form as `services.advertiser_profile_save` takes it."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def clean_website(self):
        website = self.cleaned_data["website"]
        validate_http_url(website)
        return website


class PromoterProfileForm(forms.ModelForm):
    languages = forms.ModelMultipleChoiceField(
        queryset=Language.objects.all(), widget=forms.CheckboxSelectMultiple, required=False
    )
    skills = forms.ModelMultipleChoiceField(
        queryset=Skill.objects.all(), widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = PromoterDetails
        fields = ["display_name", "bio", "country", "city", "age_range", "audience_description", "languages", "skills"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        existing = {}
        if self.instance.pk:
            existing = {e.platform: e for e in self.instance.follower_estimates.all()}
        # One pair of fields per platform reads better than a formset for eight fixed platforms.
        for platform, label in SocialPlatform.choices:
            estimate = existing.get(platform)
            self.fields[f"followers_{platform}"] = forms.IntegerField(
                label=f"{label} followers",
                required=False,
                min_value=0,
                max_value=MAX_FOLLOWERS,
                initial=estimate.followers if estimate else None,
                # The table's columns label these visually; screen readers need a name of their own.
                widget=forms.NumberInput(attrs={"aria-label": f"{label} followers"}),
            )
            self.fields[f"handle_{platform}"] = forms.CharField(
                label=f"{label} handle",
                required=False,
                max_length=100,
                initial=estimate.handle if estimate else "",
                widget=forms.TextInput(attrs={"aria-label": f"{label} handle"}),
            )

    def platform_fields(self):
        """(label, followers field, handle field) per platform, for the template."""
        return [
            (label, self[f"followers_{platform}"], self[f"handle_{platform}"])
            for platform, label in SocialPlatform.choices
        ]

    def profile(self) -> dict:
        """The valid form as `services.promoter_profile_save` takes it."""
        return {**{name: self.cleaned_data[name] for name in self.Meta.fields}, "followers": self.follower_counts()}

    def follower_counts(self) -> dict:
        """{platform: (handle, followers)} for every platform with a follower count."""
        counts = {}
        for platform in SocialPlatform.values:
            followers = self.cleaned_data.get(f"followers_{platform}")
            if followers is not None:
                counts[platform] = (self.cleaned_data.get(f"handle_{platform}", "").strip(), followers)
        return counts
