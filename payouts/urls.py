from django.urls import path, register_converter

from payouts import services, views


class StatementPeriodConverter:
    """`2026-10` <-> date(2026, 10, 1); a month that does not exist (2026-13) matches nothing (404)."""

    regex = r"[0-9]{4}-[0-9]{2}"

    def to_python(self, value):
        try:
            return services.parse_period(value)
        except services.PayoutError as error:
            raise ValueError(value) from error

    def to_url(self, value):
        return value if isinstance(value, str) else f"{value:%Y-%m}"


register_converter(StatementPeriodConverter, "statement_period")

app_name = "payouts"

urlpatterns = [
    path("", views.wallet, name="wallet"),
    path("get-paid/", views.get_paid, name="get_paid"),
    path("get-paid/start/", views.onboarding_start, name="onboarding_start"),
    path("get-paid/return/", views.onboarding_return, name="onboarding_return"),
    path("get-paid/refresh/", views.onboarding_refresh, name="onboarding_refresh"),
    path("statements/", views.statement_list, name="statement_list"),
    path("statements/<statement_period:period>/", views.statement_detail, name="statement_detail"),
    path("statements/<statement_period:period>/csv", views.statement_csv, name="statement_csv"),
]
