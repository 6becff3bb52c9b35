"""Seed the per-platform reference rates (staff edit them in admin afterwards).

The defaults follow the rule of thumb agencies publish for sponsored content: about $10 per
1,000 followers for an Instagram post, about $20 per 1,000 subscribers for a YouTube video (longer
to make, longer watched), about $5 for TikTok and Twitch, and less for feeds where a post is seen
by few followers (X, Facebook). They are starting points for a suggestion, shown with their
workings, never a price the platform sets.
"""

from django.db import migrations

DEFAULT_RATES = {
    # platform: (cents per 1,000 followers, note)
    "instagram": (1000, "Rule of thumb: $10 per 1,000 followers per sponsored post."),
    "youtube": (2000, "Rule of thumb: $20 per 1,000 subscribers per sponsored video."),
    "tiktok": (500, "Rule of thumb: $5 per 1,000 followers per sponsored video."),
    "twitch": (500, "Rule of thumb: $5 per 1,000 followers per sponsored stream segment."),
    "blog": (800, "Rule of thumb: $8 per 1,000 monthly readers per sponsored article."),
    "linkedin": (800, "Rule of thumb: $8 per 1,000 followers per sponsored post (B2B reach)."),
    "facebook": (300, "Rule of thumb: $3 per 1,000 followers (low organic reach)."),
    "x": (200, "Rule of thumb: $2 per 1,000 followers per sponsored post."),
}


def seed(apps, schema_editor):
    rate_model = apps.get_model("campaigns", "PlatformReferenceRate")
    for platform, (cents, note) in DEFAULT_RATES.items():
        rate_model.objects.get_or_create(
            platform=platform, defaults={"cents_per_thousand_followers": cents, "note": note}
        )


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0007_matching")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
