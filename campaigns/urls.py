from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    # Promoters
    path("", views.marketplace, name="marketplace"),
    path("joined/", views.my_campaigns, name="my_campaigns"),
    path("applications/", views.my_applications, name="my_applications"),
    path("<uuid:public_id>/", views.promoter_detail, name="promoter_detail"),
    path("<uuid:public_id>/join/", views.campaign_join, name="join"),
    path("<uuid:public_id>/apply/", views.campaign_apply, name="apply"),
    # Advertisers
    path("mine/", views.advertiser_list, name="advertiser_list"),
    path("new/", views.campaign_create, name="create"),
    path("<uuid:public_id>/manage/", views.advertiser_detail, name="advertiser_detail"),
    path("<uuid:public_id>/edit/", views.campaign_edit, name="edit"),
    path("<uuid:public_id>/status/<str:action>/", views.campaign_action, name="action"),
    path("<uuid:public_id>/status/<str:action>/confirm/", views.campaign_action_confirm, name="action_confirm"),
    path("<uuid:public_id>/suggested/", views.suggested_promoters, name="suggested_promoters"),
    path("<uuid:public_id>/invite/", views.campaign_invite, name="invite"),
    path("promoters/<uuid:public_id>/", views.promoter_profile, name="promoter_profile"),
    # Both parties
    path("applications/<uuid:public_id>/", views.application_detail, name="application_detail"),
    path("applications/<uuid:public_id>/<str:action>/", views.application_action, name="application_action"),
    path("participations/<uuid:public_id>/", views.participation_detail, name="participation_detail"),
    path("participations/<uuid:public_id>/deliverables/", views.deliverable_create, name="deliverable_create"),
    path("deliverables/<uuid:public_id>/submit/", views.work_submit, name="work_submit"),
    path("works/<uuid:public_id>/file/", views.work_file, name="work_file"),
    path("works/<uuid:public_id>/<str:action>/", views.work_review, name="work_review"),
]
