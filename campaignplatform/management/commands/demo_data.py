"""Idempotent demo data: the three demo users (and, with the emulator, their Firebase accounts)."""

import os
import time
import urllib.error
import urllib.request

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts import firebase
from accounts.models import (
    AdvertiserDetails,
    AdvertiserType,
    FollowerEstimate,
    Language,
    PromoterDetails,
    Role,
    Skill,
    User,
    VerificationStatus,
)

DEMO_ADVERTISER = {
    "uid": "demo-advertiser",
    "email": "advertiser@demo.test",
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


class Command(BaseCommand):
    help = "Create the demo advertiser, promoter and staff user (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--wait", type=int, default=90, help="Seconds to wait for the Firebase Auth emulator (when configured)."
        )

    def handle(self, *args, **options):
        self._create_users()
        self._sync_emulator(wait_seconds=options["wait"])
        self.stdout.write(self.style.SUCCESS("Demo users (sign in at http://127.0.0.1:8000/accounts/sign-in/):"))
        for label, spec in [("advertiser", DEMO_ADVERTISER), ("promoter", DEMO_PROMOTER)]:
            self.stdout.write(f"  {label:<11} {spec['email']} / {spec['password']}")
        self.stdout.write(
            f"  {'staff':<11} {DEMO_STAFF['email']} / {DEMO_STAFF['password']}  (http://127.0.0.1:8000/admin/)"
        )

    @transaction.atomic
    def _create_users(self):
        advertiser = self._user(DEMO_ADVERTISER, role=Role.ADVERTISER)
        details, _ = AdvertiserDetails.objects.update_or_create(
            user=advertiser,
            defaults={
                "company_name": "Acme Outdoor Gear",
                "website": "https://acme-outdoor.example",
                "description": "Tents, packs and trail shoes for weekend adventurers.",
                "verification_status": VerificationStatus.VERIFIED,
                "verified_at": timezone.now(),
            },
        )
        details.business_types.set(AdvertiserType.objects.filter(slug__in=["retail", "sports-outdoors"]))

        promoter = self._user(DEMO_PROMOTER, role=Role.PROMOTER)
        profile, _ = PromoterDetails.objects.update_or_create(
            user=promoter,
            defaults={
                "display_name": "Pat on the Trail",
                "bio": "Hiking videos and gear reviews every week.",
                "country": "US",
                "city": "Denver",
                "age_range": "25-34",
                "audience_description": "Outdoor enthusiasts, 18-40, mostly North America.",
            },
        )
        profile.languages.set(Language.objects.filter(code__in=["en", "es"]))
        profile.skills.set(Skill.objects.filter(slug__in=["video-production", "product-reviews"]))
        for platform, handle, followers in [
            ("youtube", "@patonthetrail", 48_000),
            ("instagram", "@pat.trails", 21_500),
        ]:
            FollowerEstimate.objects.update_or_create(
                promoter=profile, platform=platform, defaults={"handle": handle, "followers": followers}
            )

        staff, created = User.objects.get_or_create(
            email=DEMO_STAFF["email"],
            defaults={"full_name": DEMO_STAFF["name"], "is_staff": True, "is_superuser": True},
        )
        if created or not staff.check_password(DEMO_STAFF["password"]):
            staff.set_password(DEMO_STAFF["password"])
            staff.save()

    def _user(self, spec, *, role):
        user, _ = User.objects.update_or_create(
            email=spec["email"], defaults={"firebase_uid": spec["uid"], "full_name": spec["name"], "role": role}
        )
        return user

    def _sync_emulator(self, *, wait_seconds):
        host = os.environ.get("FIREBASE_AUTH_EMULATOR_HOST")
        if not host:
            self.stdout.write("FIREBASE_AUTH_EMULATOR_HOST is not set: demo users were not added to Firebase.")
            return
        _wait_for(f"http://{host}/", seconds=wait_seconds)
        for spec in (DEMO_ADVERTISER, DEMO_PROMOTER):
            firebase.create_or_update_emulator_user(
                uid=spec["uid"], email=spec["email"], password=spec["password"], display_name=spec["name"]
            )
        self.stdout.write(f"Demo users are in the Firebase Auth emulator at {host}.")


def _wait_for(url, *, seconds):
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # It answered: it is up.
        except OSError:
            if time.monotonic() > deadline:
                raise CommandError(f"The Firebase Auth emulator at {url} did not start within {seconds}s.") from None
            time.sleep(0.5)
