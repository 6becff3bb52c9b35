from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import TemplateView

from accounts.limits import admin_login_limited
from campaignplatform.health import healthz
from reporting import views as reporting_views

# Staff sign in with a password here: limited per IP and per email typed, like the site's sign-in.
admin.site.login = admin_login_limited(admin.site.login)

urlpatterns = [
    # Tracking: /v/<code>, /r/<code>, /api/v1/sales..., /tracking/... First, because every click on
    # a promoter's link resolves its URL: it should not try every other app's patterns on the way.
    path("", include("tracking.urls")),
    path("", login_not_required(TemplateView.as_view(template_name="landing.html")), name="landing"),
    path("healthz", healthz, name="healthz"),
    # Dashboards keep their addresses under accounts/ (bookmarks); they live in reporting.
    path("accounts/", include("reporting.urls")),
    path("accounts/", include("accounts.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("billing/", include("billing.urls")),
    path("payouts/", include("payouts.urls")),
    path("admin/finance/", admin.site.admin_view(reporting_views.finance_overview), name="finance_overview"),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Campaign Platform operations"
admin.site.site_title = "Campaign Platform admin"
