"""The one place that talks to Firebase Auth (through firebase-admin).

In development and tests `FIREBASE_AUTH_EMULATOR_HOST` points firebase-admin at the official
Auth emulator; in production it verifies RS256 tokens against Google's certificates.
"""

import functools
import itertools
from dataclasses import dataclass

import firebase_admin
import google.auth.credentials
import google.auth.exceptions
from django.conf import settings
from firebase_admin import auth, credentials


class SignInError(Exception):
    """A sign-in attempt that must be refused, with a message the person can act on."""


@dataclass(frozen=True)
class FirebaseIdentity:
    uid: str
    email: str
    email_verified: bool
    name: str
    provider: str


_app_numbers = itertools.count(1)


class _VerifyOnlyCredential(credentials.Base):
    """No service account: enough to verify ID tokens (Google's certificates are public).

    Without it firebase-admin looks for Application Default Credentials and fails. Revocation
    checks need a service account (FIREBASE_CREDENTIALS_FILE); settings insist on one then.
    """

    def get_credential(self):
        return google.auth.credentials.AnonymousCredentials()


@functools.cache
def _app(project_id: str, credentials_file: str) -> firebase_admin.App:
    credential = credentials.Certificate(credentials_file) if credentials_file else _VerifyOnlyCredential()
    # A named app per configuration, so changing settings (tests) never reuses a stale verifier.
    return firebase_admin.initialize_app(
        credential, options={"projectId": project_id}, name=f"campaignplatform-{next(_app_numbers)}"
    )


def firebase_app() -> firebase_admin.App:
    return _app(settings.FIREBASE_PROJECT_ID, settings.FIREBASE_CREDENTIALS_FILE)


def reset_firebase_app():
    """Forget the cached app (and its certificate cache), e.g. after settings change."""
    _app.cache_clear()


def verify_id_token(id_token) -> FirebaseIdentity:
    """Verify a browser's ID token and return who it belongs to, or raise SignInError."""
    if not isinstance(id_token, str) or not id_token.strip():
        raise SignInError("No sign-in token was sent. Please sign in again.")
    if len(id_token) > 8192:
        raise SignInError("The sign-in token is not valid. Please sign in again.")
    try:
        claims = auth.verify_id_token(id_token, app=firebase_app(), check_revoked=settings.FIREBASE_CHECK_REVOKED)
    except auth.UserDisabledError as error:
        raise SignInError("This account has been disabled. Contact support if you think this is a mistake.") from error
    except auth.RevokedIdTokenError as error:
        raise SignInError("Your session was revoked. Please sign in again.") from error
    except auth.ExpiredIdTokenError as error:
        raise SignInError("Your sign-in has expired. Please sign in again.") from error
    except auth.UserNotFoundError as error:
        raise SignInError("This Firebase account no longer exists.") from error
    except auth.CertificateFetchError as error:
        raise SignInError("We could not reach the sign-in service. Please try again in a minute.") from error
    except (auth.InvalidIdTokenError, ValueError) as error:
        raise SignInError("The sign-in token is not valid. Please sign in again.") from error
    except (firebase_admin.exceptions.FirebaseError, google.auth.exceptions.GoogleAuthError) as error:
        raise SignInError("We could not reach the sign-in service. Please try again in a minute.") from error
    return FirebaseIdentity(
        uid=claims["uid"],
        email=(claims.get("email") or "").strip().lower(),
        email_verified=bool(claims.get("email_verified")),
        name=(claims.get("name") or "")[:150],
        provider=(claims.get("firebase") or {}).get("sign_in_provider", ""),
    )


def create_or_update_emulator_user(*, uid: str, email: str, password: str, display_name: str = ""):
    """Make sure a user exists in the Auth emulator with this uid (used by demo data)."""
    app = firebase_app()
    try:
        auth.get_user(uid, app=app)
        auth.update_user(uid, email=email, password=password, display_name=display_name or None, app=app)
    except auth.UserNotFoundError:
        auth.create_user(uid=uid, email=email, password=password, display_name=display_name or None, app=app)
