"""Signing in: the browser posts a Firebase ID token; the server verifies it and starts a session."""

import json

import pytest
from django.urls import reverse
from firebase_admin import _token_gen

from accounts import firebase
from accounts.models import User
from accounts.tests.factories import UserFactory
from accounts.tests.tokens import CertificateServer, SigningKey, emulator_token

SESSION_URL = reverse("accounts:session_create")


@pytest.fixture
def emulator_mode(monkeypatch):
    """firebase-admin in emulator mode: tokens are not signed, claims are still checked."""
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9")
    firebase.reset_firebase_app()
    yield
    firebase.reset_firebase_app()


def post_token(client, token, *, as_json=True):
    if as_json:
        return client.post(SESSION_URL, data=json.dumps({"id_token": token}), content_type="application/json")
    return client.post(SESSION_URL, data={"id_token": token})


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


@pytest.mark.django_db
class TestSignInWithEmulatorTokens:
    def test_new_user_is_created_and_signed_in(self, client, emulator_mode):
        response = post_token(client, emulator_token(uid="uid-new", email="New@Example.test"))

        assert response.status_code == 200
        assert response.json() == {"redirect": reverse("accounts:home")}
        user = User.objects.get(firebase_uid="uid-new")
        assert user.email == "new@example.test"
        assert user.role == ""
        assert not user.has_usable_password()
        assert signed_in_user_id(client) == str(user.pk)

    def test_returning_user_signs_in_without_a_second_row(self, client, emulator_mode):
        user = UserFactory(firebase_uid="uid-back", email="back@example.test")

        response = post_token(client, emulator_token(uid="uid-back", email="back@example.test"), as_json=False)

        assert response.status_code == 200
        assert User.objects.count() == 1
        assert signed_in_user_id(client) == str(user.pk)

    def test_new_user_lands_on_role_choice(self, client, emulator_mode):
        post_token(client, emulator_token(uid="uid-x", email="x@example.test"))

        home = client.get(reverse("accounts:home"))

        assert home.status_code == 302
        assert home.url == reverse("accounts:onboarding")

    @pytest.mark.parametrize(
        "token",
        [
            emulator_token(audience="another-project"),
            emulator_token(project="another-project", audience="another-project"),
            "not-a-jwt",
            "a.b.c",
            "",
            "x" * 20000,
        ],
        ids=["wrong-audience", "other-project", "garbage", "malformed-jwt", "empty", "oversized"],
    )
    def test_bad_tokens_are_refused_and_create_nobody(self, client, emulator_mode, token):
        response = post_token(client, token)

        assert response.status_code == 400
        assert "error" in response.json()
        assert User.objects.count() == 0
        assert signed_in_user_id(client) is None

    @pytest.mark.parametrize(
        ("body", "content_type"),
        [("", "application/json"), ("{not json", "application/json"), ("[1, 2]", "application/json"), ("", None)],
        ids=["empty-json", "broken-json", "json-list", "empty-form"],
    )
    def test_missing_token_gets_a_clear_error(self, client, emulator_mode, body, content_type):
        if content_type:
            response = client.post(SESSION_URL, data=body, content_type=content_type)
        else:
            response = client.post(SESSION_URL)

        assert response.status_code == 400
        assert response.json()["error"] == "No sign-in token was sent. Please sign in again."
        assert User.objects.count() == 0

    def test_email_owned_by_another_uid_is_refused(self, client, emulator_mode):
        owner = UserFactory(firebase_uid="uid-owner", email="taken@example.test")

        response = post_token(client, emulator_token(uid="uid-intruder", email="taken@example.test"))

        assert response.status_code == 400
        assert "already exists" in response.json()["error"]
        assert User.objects.count() == 1
        assert User.objects.get().firebase_uid == owner.firebase_uid

    def test_staff_account_without_uid_is_linked_only_for_a_verified_email(self, client, emulator_mode):
        staff = UserFactory(firebase_uid=None, email="ops@example.test", is_staff=True)

        refused = post_token(client, emulator_token(uid="uid-ops", email="ops@example.test", email_verified=False))
        accepted = post_token(client, emulator_token(uid="uid-ops", email="ops@example.test", email_verified=True))

        assert refused.status_code == 400
        assert accepted.status_code == 200
        staff.refresh_from_db()
        assert staff.firebase_uid == "uid-ops"

    def test_deactivated_user_cannot_sign_in(self, client, emulator_mode):
        UserFactory(firebase_uid="uid-gone", email="gone@example.test", is_active=False)

        response = post_token(client, emulator_token(uid="uid-gone", email="gone@example.test"))

        assert response.status_code == 400
        assert signed_in_user_id(client) is None

    def test_get_is_not_allowed(self, client):
        assert client.get(SESSION_URL).status_code == 405

    def test_csrf_is_enforced(self, emulator_mode):
        from django.test import Client

        response = Client(enforce_csrf_checks=True).post(
            SESSION_URL, data=json.dumps({"id_token": emulator_token()}), content_type="application/json"
        )

        assert response.status_code == 403
        assert User.objects.count() == 0


@pytest.mark.django_db
class TestProductionVerification:
    """The real path: RS256 signature checked against (locally served) Google certificates."""

    @pytest.fixture
    def google(self, monkeypatch):
        monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST", raising=False)
        key = SigningKey()
        server = CertificateServer([key])
        monkeypatch.setattr(_token_gen, "ID_TOKEN_CERT_URI", server.url)
        firebase.reset_firebase_app()
        yield key
        firebase.reset_firebase_app()
        server.close()

    def test_valid_rs256_token_is_accepted(self, client, google):
        response = post_token(client, google.token(uid="uid-prod", email="prod@example.test"))

        assert response.status_code == 200
        assert User.objects.filter(firebase_uid="uid-prod").exists()

    def test_expired_token_is_refused(self, client, google):
        response = post_token(client, google.token(expires_in=-120))

        assert response.status_code == 400
        assert response.json()["error"] == "Your sign-in has expired. Please sign in again."
        assert User.objects.count() == 0

    def test_token_signed_by_another_key_is_refused(self, client, google):
        impostor = SigningKey(kid=google.kid)

        response = post_token(client, impostor.token())

        assert response.status_code == 400
        assert User.objects.count() == 0

    def test_unsigned_emulator_token_is_refused_outside_emulator_mode(self, client, google):
        response = post_token(client, emulator_token())

        assert response.status_code == 400
        assert User.objects.count() == 0


@pytest.mark.django_db
def test_sign_out_ends_the_session(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(reverse("accounts:sign_out"))

    assert response.status_code == 302
    assert signed_in_user_id(client) is None


@pytest.mark.django_db
def test_signing_up_again_with_a_registered_email_says_to_sign_in_with_the_password(client, emulator_mode):
    UserFactory(firebase_uid="uid-first", email="pat@example.test")

    response = post_token(client, emulator_token(uid="uid-second", email="pat@example.test"))

    error = response.json()["error"]
    assert response.status_code == 400
    assert "another sign-in" not in error
    assert "sign in with its password" in error
    assert "Forgot password?" in error
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_sign_in_page_offers_a_password_reset_and_sign_up_wording(client):
    page = client.get(reverse("accounts:sign_in")).content.decode()

    assert 'id="forgot-password"' in page
    assert 'id="intro-sign-up" hidden' in page  # shown by the page's script in sign-up mode
    assert "sendPasswordResetEmail" in (firebase_js := _static_text("js/sign_in.js"))
    assert '"auth/internal-error"' in firebase_js


def _static_text(path):
    from django.contrib.staticfiles import finders

    with open(finders.find(path), encoding="utf-8") as handle:
        return handle.read()
