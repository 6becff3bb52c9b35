"""Reference lists every installation needs: business categories, languages, skills."""

from django.db import migrations
from django.utils.text import slugify

ADVERTISER_TYPES = [
    "Retail", "E-commerce", "Software", "Finance", "Health & Fitness", "Beauty", "Food & Drink",
    "Travel", "Education", "Gaming", "Sports & Outdoors", "Home & Garden", "Fashion", "Automotive",
    "Entertainment", "Non-profit",
]
LANGUAGES = [
    ("en", "English"), ("es", "Spanish"), ("fr", "French"), ("de", "German"), ("it", "Italian"),
    ("pt", "Portuguese"), ("nl", "Dutch"), ("pl", "Polish"), ("sv", "Swedish"), ("tr", "Turkish"),
    ("ar", "Arabic"), ("hi", "Hindi"), ("zh", "Chinese"), ("ja", "Japanese"), ("ko", "Korean"),
    ("ru", "Russian"), ("uk", "Ukrainian"), ("id", "Indonesian"),
]
SKILLS = [
    "Video production", "Photography", "Copywriting", "Product reviews", "Live streaming",
    "Social media management", "SEO", "Graphic design", "Public speaking", "Sales",
    "Community building", "Email marketing", "Consulting", "Podcasting",
]


def add_reference_data(apps, schema_editor):
    AdvertiserType = apps.get_model("accounts", "AdvertiserType")
    Language = apps.get_model("accounts", "Language")
    Skill = apps.get_model("accounts", "Skill")
    for name in ADVERTISER_TYPES:
        AdvertiserType.objects.get_or_create(slug=slugify(name), defaults={"name": name})
    for code, name in LANGUAGES:
        Language.objects.get_or_create(code=code, defaults={"name": name})
    for name in SKILLS:
        Skill.objects.get_or_create(slug=slugify(name), defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(add_reference_data, migrations.RunPython.noop)]
