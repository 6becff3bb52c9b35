from django.apps import AppConfig


class CampaignPlatformConfig(AppConfig):
    """Project-wide commands (schedules, demo data) and the worker's heartbeat."""

    name = "campaignplatform"
    verbose_name = "Campaign Platform"
