"""Rules the database itself enforces, whatever code writes the rows."""

import pytest
from django.db import IntegrityError, transaction

from accounts.models import FollowerEstimate, PromoterDetails, User
from accounts.tests.factories import PromoterFactory, UserFactory

pytestmark = pytest.mark.django_db


def violates(write):
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def test_role_must_be_known():
    user = UserFactory()
    violates(lambda: User.objects.filter(pk=user.pk).update(role="superhero"))


def test_firebase_uid_is_unique():
    UserFactory(firebase_uid="same")
    violates(lambda: UserFactory(firebase_uid="same"))


def test_wallet_balance_cannot_go_negative():
    user = UserFactory()
    violates(lambda: User.objects.filter(pk=user.pk).update(wallet_balance=-1))


def test_one_follower_estimate_per_platform_and_never_negative():
    details = PromoterFactory().promoter_details
    FollowerEstimate.objects.create(promoter=details, platform="tiktok", followers=5)
    violates(lambda: FollowerEstimate.objects.create(promoter=details, platform="tiktok", followers=6))
    violates(lambda: FollowerEstimate.objects.create(promoter=details, platform="youtube", followers=-1))


def test_country_is_an_iso_code():
    details = PromoterFactory().promoter_details
    violates(lambda: PromoterDetails.objects.filter(pk=details.pk).update(country="us"))
