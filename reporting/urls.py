from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("advertiser/", views.advertiser_dashboard, name="advertiser_dashboard"),
    path("promoter/", views.promoter_dashboard, name="promoter_dashboard"),
]
