import factory
from factory.django import DjangoModelFactory

from accounts.models import AdvertiserDetails, FollowerEstimate, PromoterDetails, Role, User, VerificationStatus


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["email"]
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    firebase_uid = factory.Sequence(lambda n: f"uid-{n:06d}")
    role = ""


class AdvertiserFactory(UserFactory):
    """An advertiser who finished onboarding (has AdvertiserDetails)."""

    role = Role.ADVERTISER
    details = factory.RelatedFactory("accounts.tests.factories.AdvertiserDetailsFactory", factory_related_name="user")


class PromoterFactory(UserFactory):
    """A promoter who finished onboarding (has PromoterDetails)."""

    role = Role.PROMOTER
    details = factory.RelatedFactory("accounts.tests.factories.PromoterDetailsFactory", factory_related_name="user")


class StaffFactory(UserFactory):
    """A staff account with no permissions: it can sign in to admin and nothing more, until
    given a role (`groups=[...]`) or a permission."""

    role = ""
    is_staff = True

    @factory.post_generation
    def groups(user, create, extracted, **kwargs):
        if create and extracted:
            user.groups.set(extracted)


class AdvertiserDetailsFactory(DjangoModelFactory):
    class Meta:
        model = AdvertiserDetails

    user = factory.SubFactory(UserFactory, role=Role.ADVERTISER)
    company_name = factory.Faker("company")
    website = "https://example.com"
    verification_status = VerificationStatus.UNVERIFIED

    class Params:
        verified = factory.Trait(
            verification_status=VerificationStatus.VERIFIED, verified_at=factory.Faker("date_time", tzinfo=None)
        )


class PromoterDetailsFactory(DjangoModelFactory):
    class Meta:
        model = PromoterDetails

    user = factory.SubFactory(UserFactory, role=Role.PROMOTER)
    display_name = factory.Faker("user_name")
    country = "US"


class FollowerEstimateFactory(DjangoModelFactory):
    class Meta:
        model = FollowerEstimate

    promoter = factory.SubFactory(PromoterDetailsFactory)
    platform = "instagram"
    followers = 1000
