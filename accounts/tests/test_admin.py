import pytest
from django.urls import reverse

from accounts.models import AdvertiserDetails, VerificationStatus
from accounts.tests.factories import AdvertiserFactory, PromoterFactory, UserFactory


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True, email="ops@example.test"))
    return client


def test_staff_can_verify_and_reject_advertisers(staff_client):
    first, second = AdvertiserFactory(), AdvertiserFactory()
    changelist = reverse("admin:accounts_advertiserdetails_changelist")

    staff_client.post(
        changelist,
        {"action": "verify_advertisers", "_selected_action": [first.advertiser_details.pk], "reason": "KYC ok"},
    )
    staff_client.post(
        changelist,
        {"action": "reject_advertisers", "_selected_action": [second.advertiser_details.pk], "reason": "fake"},
    )

    verified = AdvertiserDetails.objects.get(user=first)
    assert verified.verification_status == VerificationStatus.VERIFIED
    assert verified.verified_at is not None
    assert AdvertiserDetails.objects.get(user=second).verification_status == VerificationStatus.REJECTED


@pytest.mark.parametrize(
    "model",
    [
        "user",
        "advertiserdetails",
        "promoterdetails",
        "advertisertype",
        "language",
        "skill",
        "followerestimate",
        "promoterlanguage",
        "promoterskill",
    ],
)
def test_every_accounts_admin_list_and_search_works(staff_client, model):
    AdvertiserFactory()
    PromoterFactory()
    url = reverse(f"admin:accounts_{model}_changelist")

    assert staff_client.get(url).status_code == 200
    assert staff_client.get(url, {"q": "example"}).status_code == 200


def test_staff_signs_in_to_admin_with_a_password(client, db):
    boss = UserFactory(email="boss@example.test", is_staff=True, firebase_uid=None)
    boss.set_password("pass-word-1")
    boss.save()

    response = client.post(
        reverse("admin:login"), {"username": "boss@example.test", "password": "pass-word-1", "next": "/admin/"}
    )

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_non_staff_cannot_use_admin(advertiser_client):
    response = advertiser_client.get("/admin/")

    assert response.status_code == 302
    assert "/admin/login/" in response.url
