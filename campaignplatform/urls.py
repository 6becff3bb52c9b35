from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import TemplateView

from accounts.limits import admin_login_limited
from billing import admin as billing_admin
from campaignplatform.health import healthz

# Staff sign in with a password here: limited per IP and per email typed, like the site's sign-in.
admin.site.login = admin_login_limited(admin.site.login)

urlpatterns = [
    # Tracking: /v/<code>, /r/<code>, /api/v1/sales..., /tracking/... First, because every click on
    # a promoter's link resolves its URL: it should not try every other app's patterns on the way.
    path("", include("tracking.urls")),
    path("", login_not_required(TemplateView.as_view(template_name="landing.html")), name="landing"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("billing/", include("billing.urls")),
    path("payouts/", include("payouts.urls")),
    path("admin/finance/", admin.site.admin_view(billing_admin.finance_overview), name="finance_overview"),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Campaign Platform operations"
admin.site.site_title = "Campaign Platform admin"
