from django.urls import path

from payouts import views

app_name = "payouts"

urlpatterns = [
    path("", views.wallet, name="wallet"),
    path("get-paid/", views.get_paid, name="get_paid"),
    path("get-paid/start/", views.onboarding_start, name="onboarding_start"),
    path("get-paid/return/", views.onboarding_return, name="onboarding_return"),
    path("get-paid/refresh/", views.onboarding_refresh, name="onboarding_refresh"),
]
