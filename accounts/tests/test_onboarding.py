import pytest
from django.urls import reverse

from accounts.models import AdvertiserDetails, FollowerEstimate, PromoterDetails, Role
from accounts.tests.factories import AdvertiserFactory, PromoterFactory, UserFactory

ONBOARDING = reverse("accounts:onboarding")


@pytest.fixture
def new_user_client(client, db):
    user = UserFactory(role="")
    client.force_login(user)
    client.user = user
    return client


def promoter_profile_data(**overrides):
    data = {
        "display_name": "Trail Pat",
        "bio": "Hikes.",
        "country": "US",
        "city": "Denver",
        "age_range": "25-34",
        "audience_description": "Hikers",
        "languages": [],
        "skills": [],
        "followers_youtube": "48000",
        "handle_youtube": "@pat",
        "followers_instagram": "",
    }
    return {**data, **overrides}


class TestRoleChoice:
    def test_first_visit_asks_for_the_role(self, new_user_client):
        response = new_user_client.get(ONBOARDING)

        assert response.status_code == 200
        assert "How will you use Campaign Platform?" in response.text

    def test_choosing_a_role_leads_to_the_profile_form(self, new_user_client):
        response = new_user_client.post(ONBOARDING, {"role": "promoter"}, follow=True)

        new_user_client.user.refresh_from_db()
        assert new_user_client.user.role == Role.PROMOTER
        assert "Tell advertisers about you" in response.text

    @pytest.mark.parametrize("role", ["", "staff", "admin", "<script>"])
    def test_invalid_role_is_refused(self, new_user_client, role):
        response = new_user_client.post(ONBOARDING, {"role": role})

        assert response.status_code == 200
        assert "Choose" in response.text
        new_user_client.user.refresh_from_db()
        assert new_user_client.user.role == ""

    def test_role_cannot_be_switched_once_chosen(self, client, db):
        promoter = PromoterFactory()
        client.force_login(promoter)

        client.post(ONBOARDING, {"role": "advertiser"})

        promoter.refresh_from_db()
        assert promoter.role == Role.PROMOTER


class TestProfiles:
    def test_advertiser_profile_with_categories(self, new_user_client):
        new_user_client.post(ONBOARDING, {"role": "advertiser"})
        from accounts.models import AdvertiserType

        categories = list(AdvertiserType.objects.values_list("pk", flat=True)[:2])
        response = new_user_client.post(
            ONBOARDING,
            {"company_name": "Acme", "website": "https://acme.example", "business_types": categories},
        )

        assert response.status_code == 302
        assert response.url == reverse("accounts:home")
        details = AdvertiserDetails.objects.get(user=new_user_client.user)
        assert sorted(details.business_types.values_list("pk", flat=True)) == sorted(categories)
        assert new_user_client.get(reverse("accounts:home")).url == reverse("reporting:advertiser_dashboard")

    def test_promoter_profile_with_languages_skills_and_followers(self, new_user_client):
        from accounts.models import Language, Skill

        new_user_client.post(ONBOARDING, {"role": "promoter"})
        english = Language.objects.get(code="en")
        video = Skill.objects.get(slug="video-production")

        response = new_user_client.post(ONBOARDING, promoter_profile_data(languages=[english.pk], skills=[video.pk]))

        assert response.status_code == 302
        details = PromoterDetails.objects.get(user=new_user_client.user)
        assert list(details.languages.all()) == [english]
        assert list(details.skills.all()) == [video]
        assert list(details.follower_estimates.values_list("platform", "handle", "followers")) == [
            ("youtube", "@pat", 48000)
        ]
        dashboard = new_user_client.get(reverse("reporting:promoter_dashboard"))
        assert "Hello, Trail Pat" in dashboard.text

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("followers_youtube", "-5", "greater than or equal to 0"),
            ("followers_youtube", "lots", "Enter a whole number"),
            ("followers_youtube", "99999999999999", "less than or equal to"),
            ("country", "XX", "Select a valid choice"),
            ("display_name", "   ", "This field is required"),
            ("age_range", "12-17", "Select a valid choice"),
        ],
    )
    def test_bad_promoter_input_is_explained_and_saves_nothing(self, new_user_client, field, value, message):
        new_user_client.post(ONBOARDING, {"role": "promoter"})

        response = new_user_client.post(ONBOARDING, promoter_profile_data(**{field: value}))

        assert response.status_code == 200
        assert message in response.text
        assert not PromoterDetails.objects.exists()
        assert not FollowerEstimate.objects.exists()

    @pytest.mark.parametrize(
        "website", ["javascript:alert(1)", "ftp://acme.example", "not a url", "data:text/html,<b>hi</b>"]
    )
    def test_advertiser_website_must_be_http(self, new_user_client, website):
        new_user_client.post(ONBOARDING, {"role": "advertiser"})

        response = new_user_client.post(ONBOARDING, {"company_name": "Acme", "website": website})

        assert response.status_code == 200
        assert "Enter a" in response.text
        assert not AdvertiserDetails.objects.exists()

    def test_profile_edit_updates_and_removes_platforms(self, client, db):
        promoter = PromoterFactory()
        FollowerEstimate.objects.create(promoter=promoter.promoter_details, platform="tiktok", followers=10)
        client.force_login(promoter)

        response = client.post(
            reverse("accounts:profile_edit"), promoter_profile_data(display_name="Renamed", followers_tiktok="")
        )

        assert response.status_code == 302
        promoter.promoter_details.refresh_from_db()
        assert promoter.promoter_details.display_name == "Renamed"
        assert list(promoter.promoter_details.follower_estimates.values_list("platform", flat=True)) == ["youtube"]

    def test_onboarding_is_skipped_once_complete(self, client, db):
        client.force_login(AdvertiserFactory())

        assert client.get(ONBOARDING).url == reverse("accounts:home")


class TestAccessRules:
    @pytest.mark.parametrize(
        "name",
        [
            "accounts:home",
            "accounts:onboarding",
            "accounts:profile_edit",
            "reporting:advertiser_dashboard",
            "reporting:promoter_dashboard",
        ],
    )
    def test_anonymous_users_are_sent_to_sign_in(self, client, db, name):
        response = client.get(reverse(name))

        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:sign_in"))

    @pytest.mark.parametrize("name", ["landing", "accounts:sign_in", "healthz"])
    def test_public_pages_are_open(self, client, db, name):
        assert client.get(reverse(name)).status_code == 200

    def test_promoter_cannot_open_advertiser_pages(self, promoter_client):
        assert promoter_client.get(reverse("reporting:advertiser_dashboard")).status_code == 403

    def test_advertiser_cannot_open_promoter_pages(self, advertiser_client):
        assert advertiser_client.get(reverse("reporting:promoter_dashboard")).status_code == 403

    def test_user_without_role_is_sent_to_onboarding(self, new_user_client):
        response = new_user_client.get(reverse("reporting:advertiser_dashboard"))

        assert response.url == ONBOARDING

    def test_landing_explains_the_four_campaign_types(self, client, db):
        text = client.get(reverse("landing")).text

        for name in ["Visibility", "Consultant", "Seller", "Salesman"]:
            assert f"<h2>{name}</h2>" in text
