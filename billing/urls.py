from django.urls import path

from billing import cost_preview, views

app_name = "billing"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("payment-methods/add/", views.payment_method_add, name="payment_method_add"),
    path("payment-methods/return/", views.payment_method_return, name="payment_method_return"),
    path("payment-methods/<uuid:public_id>/default/", views.payment_method_default, name="payment_method_default"),
    path("payment-methods/<uuid:public_id>/remove/", views.payment_method_remove, name="payment_method_remove"),
    path("campaigns/<uuid:public_id>/fund/", views.fund, name="fund"),
    path("campaigns/<uuid:public_id>/fund/return/", views.fund_return, name="fund_return"),
    path("cost-preview/", cost_preview.cost_preview, name="cost_preview"),
    path("receipts/<uuid:public_id>/", views.receipt, name="receipt"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
