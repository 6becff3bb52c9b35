"""Account services: signing in through Firebase, choosing a role, saving profiles."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.firebase import FirebaseIdentity, SignInError
from accounts.models import AdvertiserDetails, PromoterDetails, Role, StaffAction, User, VerificationStatus
from campaignplatform.bulk import bulk_set


def user_sign_in_with_firebase(*, identity: FirebaseIdentity) -> User:
    """Find the user behind a verified Firebase identity, creating them on first sign-in.

    An email that already belongs to a *different* Firebase uid is refused: linking on email
    alone would let anyone who registers that address elsewhere take over the account. A
    local account without a uid yet (made by staff) is linked only for a verified email.
    """
    user = User.objects.filter(firebase_uid=identity.uid).first()
    if user is None:
        user = _user_create_or_link(identity=identity)
    if not user.is_active:
        raise SignInError("This account has been deactivated. Contact support if you think this is a mistake.")
    return user


def _user_create_or_link(*, identity: FirebaseIdentity) -> User:
    if not identity.email:
        raise SignInError("Your sign-in account has no email address. Use an account with an email.")
    existing = User.objects.filter(email__iexact=identity.email).first()
    if existing is not None:
        if existing.firebase_uid is None and identity.email_verified:
            existing.firebase_uid = identity.uid
            existing.save(update_fields=["firebase_uid"])
            return existing
        raise SignInError(_email_taken_message(identity))
    try:
        with transaction.atomic():
            return User.objects.create_user(email=identity.email, firebase_uid=identity.uid, full_name=identity.name)
    except IntegrityError:
        # Two first sign-ins raced (double click, two tabs): the other one created the row.
        user = User.objects.filter(firebase_uid=identity.uid).first()
        if user is None:
            raise SignInError("An account with this email already exists under another sign-in.") from None
        return user


def _email_taken_message(identity: FirebaseIdentity) -> str:
    """Said when a new sign-in identity brings an email we already have: say how to get in."""
    if identity.provider == "password":
        return (
            "An account with this email already exists. Use “I already have an account” and sign in "
            "with its password; if you do not remember it, use “Forgot password?”."
        )
    return (
        "An account with this email already exists with a password. Sign in with your email and "
        "password instead; if you do not remember it, use “Forgot password?”."
    )


class RoleAlreadyChosen(Exception):
    pass


def user_choose_role(*, user: User, role: str) -> User:
    """Set the role once; it decides every page the user sees, so it cannot be switched later."""
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}")
    updated = User.objects.filter(pk=user.pk, role="").update(role=role)
    if not updated:
        raise RoleAlreadyChosen("Your account type is already set.")
    user.role = role
    return user


@transaction.atomic
def advertiser_profile_save(
    *, user: User, company_name: str, website: str = "", description: str = "", business_types=()
) -> AdvertiserDetails:
    """Create or update the advertiser's company profile (validated by `AdvertiserProfileForm`)."""
    details, _ = AdvertiserDetails.objects.update_or_create(
        user=user, defaults={"company_name": company_name, "website": website, "description": description}
    )
    details.business_types.set(business_types)
    return details


@transaction.atomic
def promoter_profile_save(
    *,
    user: User,
    display_name: str,
    country: str,
    bio: str = "",
    city: str = "",
    age_range: str = "",
    audience_description: str = "",
    languages=(),
    skills=(),
    followers: dict[str, tuple[str, int]] | None = None,
) -> PromoterDetails:
    """Create or update the promoter's profile (validated by `PromoterProfileForm`); `followers`
    is {platform: (handle, follower count)} for each platform they are on."""
    details, _ = PromoterDetails.objects.update_or_create(
        user=user,
        defaults={
            "display_name": display_name,
            "country": country,
            "bio": bio,
            "city": city,
            "age_range": age_range,
            "audience_description": audience_description,
        },
    )
    details.languages.set(languages)
    details.skills.set(skills)
    _follower_estimates_replace(promoter=details, counts=followers or {})
    return details


def _follower_estimates_replace(*, promoter: PromoterDetails, counts: dict):
    """Keep one estimate per platform the promoter filled in; blank platforms are removed."""
    promoter.follower_estimates.exclude(platform__in=counts.keys()).delete()
    for platform, (handle, followers) in counts.items():
        promoter.follower_estimates.update_or_create(
            platform=platform, defaults={"handle": handle, "followers": followers}
        )


def advertisers_set_verification(*, queryset, status: str, note: str = "") -> int:
    """Staff decision on advertisers; `verified_at` records when they were verified."""
    verified_at = timezone.now() if status == VerificationStatus.VERIFIED else None
    return queryset.update(verification_status=status, verified_at=verified_at, verification_note=note)


def wallet_balances_set(totals: dict) -> None:
    """Cache each user's wallet total ({user_id: cents}, the payouts app's projection of the
    ledger) on their row, in one statement."""
    bulk_set(User, "wallet_balance", totals)


def staff_action_record(*, actor: User, action: str, target, reason: str, outcome: str = "") -> StaffAction:
    """Append what a staff member did (never updated or deleted afterwards)."""
    return StaffAction.objects.create(
        actor=actor,
        action=action[:100],
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:300],
        reason=reason.strip(),
        outcome=outcome[:5000],
    )
