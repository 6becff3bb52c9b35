"""Least privilege for staff: roles of named permissions, money actions that ask why and leave an
append-only audit row, and nothing for staff who were given no role."""

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission
from django.db import DatabaseError, transaction
from django.urls import reverse

from accounts.models import AdvertiserDetails, StaffAction, VerificationStatus
from accounts.roles import ROLES, roles_sync
from accounts.tests.factories import AdvertiserFactory, PromoterFactory, StaffFactory
from billing.models import StripeWebhookEvent, WebhookStatus
from payouts.models import Wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def role(db):
    """A staff client in the named role (roles re-made in case a flushing test emptied them)."""
    roles_sync(django_apps)

    def login(client, name):
        staff = StaffFactory(groups=[Group.objects.get(name=name)])
        client.force_login(staff)
        return staff

    return login


@pytest.fixture
def wallet():
    return Wallet.objects.create(user=PromoterFactory())


def _hold(client, wallet, **extra):
    data = {"payout_hold": "on", "payout_hold_reason_code": "chargeback_review", **extra}
    return client.post(reverse("admin:payouts_wallet_change", args=[wallet.pk]), data)


def test_the_migration_made_the_three_roles_with_their_permissions():
    for name, codes in ROLES.items():
        group = Group.objects.get(name=name)
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
        assert held == set(codes), name
    assert "billing.view_finance_overview" not in ROLES["support"]
    assert "payouts.hold_payouts" not in ROLES["support"]


def test_staff_without_a_role_see_no_money_and_cannot_act(client, wallet):
    client.force_login(StaffFactory())
    assert client.get(reverse("finance_overview")).status_code == 403
    assert client.get(reverse("admin:payouts_wallet_changelist")).status_code == 403
    assert _hold(client, wallet, staff_reason="x").status_code == 403
    wallet.refresh_from_db()
    assert not wallet.payout_hold and not StaffAction.objects.exists()


def test_support_cannot_see_the_finance_overview_or_hold_payouts(client, role, wallet):
    role(client, "support")
    assert client.get(reverse("finance_overview")).status_code == 403
    assert _hold(client, wallet, staff_reason="x").status_code == 403
    wallet.refresh_from_db()
    assert not wallet.payout_hold


def test_finance_holds_and_releases_payouts_and_each_change_is_recorded(client, role, wallet):
    staff = role(client, "finance")
    assert client.get(reverse("finance_overview")).status_code == 200

    refused = _hold(client, wallet)  # no reason for the audit log
    wallet.refresh_from_db()
    assert refused.status_code == 200 and not wallet.payout_hold and not StaffAction.objects.exists()

    assert _hold(client, wallet, staff_reason="dispute opened on their sales").status_code == 302
    released = client.post(
        reverse("admin:payouts_wallet_change", args=[wallet.pk]),
        {"payout_hold_reason_code": "chargeback_review", "staff_reason": "cleared"},
    )
    assert released.status_code == 302

    wallet.refresh_from_db()
    assert not wallet.payout_hold
    rows = list(StaffAction.objects.order_by("pk").values_list("actor", "action", "target_id", "reason", "outcome"))
    assert rows == [
        (
            staff.pk,
            "payouts.hold_payouts",
            str(wallet.pk),
            "dispute opened on their sales",
            "held: Chargebacks or refunds under review",
        ),
        (staff.pk, "payouts.hold_payouts", str(wallet.pk), "cleared", "released"),
    ]


def test_a_money_action_is_offered_only_to_its_permission(client, role):
    event = StripeWebhookEvent.objects.create(stripe_event_id="evt_x", type="unknown.type", payload={})
    changelist = reverse("admin:billing_stripewebhookevent_changelist")
    role(client, "support")
    assert client.get(changelist).status_code == 403

    viewer = StaffFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_stripewebhookevent"))
    client.force_login(viewer)
    page = client.get(changelist)
    assert page.status_code == 200 and "reprocess" not in page.content.decode()
    client.post(changelist, {"action": "reprocess", "_selected_action": [event.pk], "reason": "try"})
    event.refresh_from_db()
    assert event.attempts == 0 and event.status == WebhookStatus.RECEIVED
    assert not StaffAction.objects.exists()


def test_a_staff_action_asks_why_first_and_records_who_and_why(client, role):
    details = AdvertiserFactory().advertiser_details
    staff = role(client, "support")
    changelist = reverse("admin:accounts_advertiserdetails_changelist")

    asked = client.post(changelist, {"action": "verify_advertisers", "_selected_action": [details.pk]})
    assert asked.status_code == 200 and 'name="reason"' in asked.content.decode()
    assert AdvertiserDetails.objects.get(pk=details.pk).verification_status != VerificationStatus.VERIFIED

    client.post(changelist, {"action": "verify_advertisers", "_selected_action": [details.pk], "reason": "KYC done"})

    assert AdvertiserDetails.objects.get(pk=details.pk).verification_status == VerificationStatus.VERIFIED
    row = StaffAction.objects.get()
    assert (row.actor, row.action, row.reason, row.outcome) == (
        staff,
        "accounts.verify_advertiser",
        "KYC done",
        "verified",
    )
    assert row.target_type == "accounts.advertiserdetails" and row.target_id == str(details.pk)


def test_the_audit_log_is_readable_and_never_editable(client, role):
    staff = role(client, "finance")
    row = StaffAction.objects.create(
        actor=staff, action="billing.retry_refund", target_type="x.y", target_id="1", target_repr="r", reason="why"
    )
    assert client.get(reverse("admin:accounts_staffaction_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_staffaction_add")).status_code == 403
    delete = client.post(reverse("admin:accounts_staffaction_delete", args=[row.pk]), {"post": "yes"})
    assert delete.status_code == 403
    edit = client.post(reverse("admin:accounts_staffaction_change", args=[row.pk]), {"reason": "other"})
    assert edit.status_code == 403
    row.refresh_from_db()
    assert row.reason == "why"


def test_postgres_refuses_to_update_or_delete_the_audit_log():
    staff = StaffFactory()
    row = StaffAction.objects.create(
        actor=staff, action="a", target_type="x.y", target_id="1", target_repr="r", reason="why"
    )
    for change in (lambda: StaffAction.objects.filter(pk=row.pk).update(reason="no"), row.delete):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change()
    assert StaffAction.objects.get(pk=row.pk).reason == "why"


def test_the_admin_index_links_the_finance_overview_only_for_its_permission(client, role):
    role(client, "support")
    assert reverse("finance_overview") not in client.get(reverse("admin:index")).content.decode()
    role(client, "finance")
    assert reverse("finance_overview") in client.get(reverse("admin:index")).content.decode()


def test_the_admin_role_cannot_make_a_superuser_or_verify_outside_the_action(client, role):
    staff = role(client, "admin")
    staff.user_permissions.add(Permission.objects.get(codename="change_advertiserdetails"))
    details = AdvertiserFactory().advertiser_details
    page = client.get(reverse("admin:accounts_user_change", args=[staff.pk])).content.decode()
    assert 'name="groups"' in page
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    form = client.get(reverse("admin:accounts_advertiserdetails_change", args=[details.pk])).content.decode()
    assert 'name="company_name"' in form and 'name="verification_status"' not in form


def test_finance_adds_a_fee_plan_and_edits_a_reference_rate_but_support_cannot(client, role):
    from billing.models import FeePlan
    from campaigns.models import PlatformReferenceRate

    rate = PlatformReferenceRate.objects.order_by("pk").first()
    role(client, "support")
    assert client.get(reverse("admin:billing_feeplan_add")).status_code == 403
    assert client.get(reverse("admin:campaigns_platformreferencerate_change", args=[rate.pk])).status_code == 200
    refused = client.post(
        reverse("admin:campaigns_platformreferencerate_change", args=[rate.pk]),
        {"platform": rate.platform, "cents_per_thousand_followers": 1, "note": "x"},
    )
    rate.refresh_from_db()
    assert refused.status_code == 403 and rate.cents_per_thousand_followers != 1

    client.logout()
    staff = role(client, "finance")
    added = client.post(
        reverse("admin:billing_feeplan_add"),
        {"name": "Launch offer", "campaign_type": "salesman", "percent_bp": 800, "fixed_cents": 0, "active": "on"},
    )
    assert added.status_code == 302, added.content[:2000]
    plan = FeePlan.objects.get(name="Launch offer")
    assert plan.created_by == staff and plan.percent_bp == 800
    changed = client.post(
        reverse("admin:campaigns_platformreferencerate_change", args=[rate.pk]),
        {"platform": rate.platform, "cents_per_thousand_followers": 1234, "note": "market survey"},
    )
    rate.refresh_from_db()
    assert changed.status_code == 302 and rate.cents_per_thousand_followers == 1234


def test_every_registered_admin_page_opens_for_some_role(client, role):
    """A model added to admin but to no role is invisible to every staff member but superusers."""
    from django.contrib import admin

    held = {code for codes in ROLES.values() for code in codes}
    missing = [
        f"{model._meta.app_label}.view_{model._meta.model_name}"
        for model in admin.site._registry
        if model._meta.app_label in {"accounts", "campaigns", "billing", "payouts", "tracking"}
        and f"{model._meta.app_label}.view_{model._meta.model_name}" not in held
    ]
    assert missing == []
