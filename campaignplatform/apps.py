from django.apps import AppConfig


class CampaignPlatformConfig(AppConfig):
    """Project-wide commands (schedules, demo data); no models of its own."""

    name = "campaignplatform"
    verbose_name = "Campaign Platform"
