"""Sign-in against the official Firebase Auth emulator, revocation and disabled users included."""

import json
import time

import pytest
from django.urls import reverse
from firebase_admin import auth

from accounts import firebase
from accounts.models import User

pytestmark = [pytest.mark.emulator, pytest.mark.django_db]


def post_token(client, token):
    return client.post(
        reverse("accounts:session_create"), data=json.dumps({"id_token": token}), content_type="application/json"
    )


def test_emulator_user_signs_in(client, emulator):
    uid, token = emulator.sign_up("real@example.test", "secret-123")

    response = post_token(client, token)

    assert response.status_code == 200
    assert User.objects.get(firebase_uid=uid).email == "real@example.test"


def test_disabled_user_cannot_sign_in(client, emulator):
    uid, token = emulator.sign_up("disabled@example.test", "secret-123")
    auth.update_user(uid, disabled=True, app=firebase.firebase_app())

    response = post_token(client, token)

    assert response.status_code == 400
    assert "disabled" in response.json()["error"]
    assert not User.objects.exists()


def test_revoked_token_cannot_sign_in(client, emulator):
    uid, token = emulator.sign_up("revoked@example.test", "secret-123")
    # Revocation compares whole seconds: make sure it is strictly after the token was issued.
    time.sleep(1.1)
    auth.revoke_refresh_tokens(uid, app=firebase.firebase_app())

    response = post_token(client, token)

    assert response.status_code == 400
    assert "revoked" in response.json()["error"]
    assert client.session.get("_auth_user_id") is None
