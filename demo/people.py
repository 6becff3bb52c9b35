"""The demo's people: advertisers, promoters and staff, created through accounts' services."""

from __future__ import annotations

import logging

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
DEMO_ADVERTISER_EMAIL = "advertiser@demo.test"

DEMO_ADVERTISER = {
    "uid": "demo-advertiser",
    "email": DEMO_ADVERTISER_EMAIL,
    "password": "demo-advertiser-1",
    "name": "Ada Advertiser",
}
DEMO_PROMOTER = {
    "uid": "demo-promoter",
    "email": "promoter@demo.test",
    "password": "demo-promoter-1",
    "name": "Pat Promoter",
}
DEMO_STAFF = {"email": "staff@demo.test", "password": "demo-staff-1", "name": "Sam Staff"}

# The rest of the marketplace: they cannot sign in (no Firebase account), they make the lists alive.
ADVERTISERS = {
    "acme": {
        "spec": DEMO_ADVERTISER,
        "company_name": "Acme Outdoor Gear",
        "website": "https://acme-outdoor.example",
        "description": "Tents, packs and trail shoes for weekend adventurers.",
        "types": ["retail", "sports-outdoors"],
        "status": VerificationStatus.VERIFIED,
    },
    "northwind": {
        "spec": {"uid": "demo-northwind", "email": "nora@northwind-coffee.example", "name": "Nora Lindqvist"},
        "company_name": "Northwind Coffee Roasters",
        "website": "https://northwind-coffee.example",
        "description": "Small-batch roastery and two cafes. Beans shipped fresh every week.",
        "types": ["food-drink", "e-commerce"],
        "status": VerificationStatus.VERIFIED,
    },
    "pinecone": {
        "spec": {"uid": "demo-pinecone", "email": "hello@pinecone-outfitters.example", "name": "Priya Raman"},
        "company_name": "Pinecone Outfitters",
        "website": "https://pinecone-outfitters.example",
        "description": "Second-hand climbing and camping gear, checked and repaired.",
        "types": ["retail"],
        "status": VerificationStatus.PENDING,  # signed up recently: staff have someone to verify
    },
}
PROMOTERS = {
    "pat": {
        "spec": DEMO_PROMOTER,
        "display_name": "Pat on the Trail",
        "bio": "Hiking videos and gear reviews every week.",
        "city": "Denver",
        "age_range": "25-34",
        "audience": "Outdoor enthusiasts, 18-40, mostly North America.",
        "languages": ["en", "es"],
        "skills": ["video-production", "product-reviews"],
        "followers": [("youtube", "@patonthetrail", 48_000), ("instagram", "@pat.trails", 21_500)],
    },
    "riley": {
        "spec": {"uid": "demo-riley", "email": "riley@riley-runs.example", "name": "Riley Chen"},
        "display_name": "Riley Runs",
        "bio": "Trail running, ultra training logs and honest shoe reviews.",
        "city": "Portland",
        "age_range": "25-34",
        "audience": "Runners training for their first trail race.",
        "languages": ["en"],
        "skills": ["video-production", "community-building"],
        "followers": [("youtube", "@rileyruns", 31_000), ("tiktok", "@riley.runs", 64_000)],
    },
    "sam": {
        "spec": {"uid": "demo-sam", "email": "sam@samsketches.example", "name": "Sam Okafor"},
        "display_name": "Sam Sketches",
        "bio": "Illustrator and product photographer. Maps, labels, catalogues.",
        "city": "Austin",
        "age_range": "35-44",
        "audience": "Small brands that need print-ready artwork.",
        "languages": ["en", "fr"],
        "skills": ["graphic-design", "photography"],
        "followers": [("instagram", "@samsketches", 12_400)],
    },
    "morgan": {
        "spec": {"uid": "demo-morgan", "email": "morgan@morganpours.example", "name": "Morgan Diaz"},
        "display_name": "Morgan Pours",
        "bio": "Barista trainer and coffee educator; I run socials for cafes.",
        "city": "Seattle",
        "age_range": "25-34",
        "audience": "Home baristas and cafe owners.",
        "languages": ["en", "es"],
        "skills": ["social-media-management", "consulting"],
        "followers": [("instagram", "@morganpours", 27_800), ("youtube", "@morganpours", 9_100)],
    },
    "jo": {
        "spec": {"uid": "demo-jo", "email": "jo@budgettrails.example", "name": "Jo Becker"},
        "display_name": "Jo's Budget Trails",
        "bio": "Hiking on a shoestring: a small blog with a loyal audience.",
        "city": "Leeds",
        "age_range": "45-54",
        "audience": "Budget-minded hikers in the UK.",
        "languages": ["en"],
        "skills": ["copywriting"],
        "followers": [("blog", "budgettrails.example", 2_300)],
    },
    "alex": {
        "spec": {"uid": "demo-alex", "email": "alex@alexabroad.example", "name": "Alex Moreau"},
        "display_name": "Alex Abroad",
        "bio": "Slow travel, long walks, and the gear that survived them.",
        "city": "Lyon",
        "age_range": "18-24",
        "audience": "Backpackers in Europe.",
        "languages": ["en", "fr"],
        "skills": ["photography", "copywriting"],
        "followers": [("instagram", "@alex.abroad", 8_900)],
    },
}


class DemoError(Exception):
    pass


# --- People -----------------------------------------------------------------------------------


@transaction.atomic
def users_ensure() -> dict[str, User]:
    """Every demo user, created when missing. Existing rows and profiles are left as they are
    (someone may have edited them in the running demo), so running this again changes nothing."""
    people = {}
    for key, advertiser in ADVERTISERS.items():
        user = _user(advertiser["spec"], role=Role.ADVERTISER)
        if not AdvertiserDetails.objects.filter(user=user).exists():
            account_services.advertiser_profile_save(
                user=user,
                company_name=advertiser["company_name"],
                website=advertiser["website"],
                description=advertiser["description"],
                business_types=AdvertiserType.objects.filter(slug__in=advertiser["types"]),
            )
            account_services.advertisers_set_verification(
                queryset=AdvertiserDetails.objects.filter(user=user), status=advertiser["status"]
            )
        people[key] = user
    for key, promoter in PROMOTERS.items():
        user = _user(promoter["spec"], role=Role.PROMOTER)
        if not PromoterDetails.objects.filter(user=user).exists():
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
        people[key] = user
    staff, created = User.objects.get_or_create(
        email=DEMO_STAFF["email"],
        defaults={"full_name": DEMO_STAFF["name"], "is_staff": True, "is_superuser": True},
    )
    if created or not staff.check_password(DEMO_STAFF["password"]):
        staff.set_password(DEMO_STAFF["password"])
        staff.save()
    people["staff"] = staff
    return people


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
