from django.urls import path

from tracking import api, views

app_name = "tracking"

urlpatterns = [
    # Public: tracking links and the conversion API
    path("v/<str:code>", views.view_link, name="view_link"),
    path("r/<str:code>", views.referral_link, name="referral_link"),
    path("api/v1/sales", api.sales_create, name="api_sales"),
    path("api/v1/sales/<str:order_id>/refund", api.sale_refund, name="api_sale_refund"),
    # Promoters
    path("tracking/links/", views.promoter_links, name="promoter_links"),
    path("tracking/links/<uuid:public_id>/", views.promoter_participation, name="promoter_participation"),
    # Advertisers
    path("tracking/", views.advertiser_overview, name="advertiser_overview"),
    path("tracking/campaigns/<uuid:public_id>/", views.advertiser_campaign, name="advertiser_campaign"),
    path("tracking/campaigns/<uuid:public_id>/sales/new/", views.sale_create, name="sale_create"),
    path("tracking/campaigns/<uuid:public_id>/sales/import/", views.sales_import, name="sales_import"),
    path("tracking/sales/import-template.csv", views.sales_import_template, name="sales_import_template"),
    path("tracking/sales/", views.sales_queue, name="sales_queue"),
    path("tracking/sales/bulk/", views.sales_bulk, name="sales_bulk"),
    path("tracking/sales/<uuid:public_id>/<str:action>/", views.sale_action, name="sale_action"),
    path("tracking/api-keys/", views.api_keys, name="api_keys"),
    path("tracking/api-keys/<uuid:public_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
]
