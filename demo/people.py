"""The demo's people: advertisers, promoters and staff, created through accounts' services."""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

from django.db import transaction

from accounts import services as account_services
from accounts.models import (
    AdvertiserDetails,
    AdvertiserType,
    Language,
    PromoterDetails,
    Role,
    Skill,
    User,
    VerificationStatus,
)
from campaigns.models import (
    Campaign,
)

logger = logging.getLogger(__name__)


DAYS = 60
# The people themselves are data (people.toml).
PEOPLE = tomllib.loads(Path(__file__).with_name("people.toml").read_text())
ADVERTISERS = PEOPLE["advertisers"]
PROMOTERS = PEOPLE["promoters"]
DEMO_ADVERTISER = ADVERTISERS["acme"]["spec"]
DEMO_PROMOTER = PROMOTERS["pat"]["spec"]
DEMO_STAFF = PEOPLE["staff"]
DEMO_ADVERTISER_EMAIL = DEMO_ADVERTISER["email"]


class DemoError(Exception):
    pass


# --- People -----------------------------------------------------------------------------------


@transaction.atomic
def users_ensure() -> dict[str, User]:
    """Every demo user, created when missing. Existing rows and profiles are left as they are
    (someone may have edited them in the running demo), so running this again changes nothing."""
    people = {}
    for key, advertiser in ADVERTISERS.items():
        people[key] = _user_with_profile(advertiser, Role.ADVERTISER, AdvertiserDetails, _advertiser_profile_make)
    for key, promoter in PROMOTERS.items():
        people[key] = _user_with_profile(promoter, Role.PROMOTER, PromoterDetails, _promoter_profile_make)
    staff, created = User.objects.get_or_create(
        email=DEMO_STAFF["email"],
        defaults={"full_name": DEMO_STAFF["name"], "is_staff": True, "is_superuser": True},
    )
    if created or not staff.check_password(DEMO_STAFF["password"]):
        staff.set_password(DEMO_STAFF["password"])
        staff.save()
    people["staff"] = staff
    return people


def _user_with_profile(person: dict, role: str, details, profile_make) -> User:
    """The person's user; their profile (a `details` row) is made by `profile_make` unless they have one."""
    user = _user(person["spec"], role=role)
    if not details.objects.filter(user=user).exists():
        profile_make(user, person)
    return user


def _advertiser_profile_make(user: User, advertiser: dict) -> None:
    account_services.advertiser_profile_save(
        user=user,
        company_name=advertiser["company_name"],
        website=advertiser["website"],
        description=advertiser["description"],
        business_types=AdvertiserType.objects.filter(slug__in=advertiser["types"]),
    )
    account_services.advertisers_set_verification(
        queryset=AdvertiserDetails.objects.filter(user=user),
        status=VerificationStatus(advertiser["status"]),
    )


def _promoter_profile_make(user: User, promoter: dict) -> None:
    account_services.promoter_profile_save(
        user=user,
        display_name=promoter["display_name"],
        bio=promoter["bio"],
        country="GB" if promoter["city"] == "Leeds" else "FR" if promoter["city"] == "Lyon" else "US",
        city=promoter["city"],
        age_range=promoter["age_range"],
        audience_description=promoter["audience"],
        languages=Language.objects.filter(code__in=promoter["languages"]),
        skills=Skill.objects.filter(slug__in=promoter["skills"]),
        followers={platform: (handle, followers) for platform, handle, followers in promoter["followers"]},
    )


def _user(spec, *, role) -> User:
    user, created = User.objects.get_or_create(
        email=spec["email"], defaults={"firebase_uid": spec["uid"], "full_name": spec["name"], "role": role}
    )
    if not created and (user.firebase_uid != spec["uid"] or user.role != role):
        # Sign-in finds the user by Firebase uid: keep it the emulator's.
        User.objects.filter(pk=user.pk).update(firebase_uid=spec["uid"], role=role)
        user.refresh_from_db()
    return user


def history_exists() -> bool:
    return Campaign.objects.filter(advertiser__email=DEMO_ADVERTISER_EMAIL).exists()
