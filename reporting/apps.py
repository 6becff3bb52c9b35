from django.apps import AppConfig


class ReportingConfig(AppConfig):
    """Reads only: dashboards and the finance overview, the top of the layering (README, "Layout")."""

    name = "reporting"
