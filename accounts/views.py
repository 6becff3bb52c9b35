import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import firebase, limits, services
from accounts.forms import AdvertiserProfileForm, PromoterProfileForm, RoleForm
from accounts.models import Role
from accounts.notifications import notifications_mark_read, unread_count
from campaignplatform.http import client_ip, content_length

MAX_SIGN_IN_BODY_BYTES = 16 * 1024


@login_not_required
@require_GET
def sign_in(request):
    if request.user.is_authenticated:
        return redirect("accounts:home")
    firebase_config = {
        "apiKey": settings.FIREBASE_API_KEY,
        "authDomain": settings.FIREBASE_AUTH_DOMAIN,
        "projectId": settings.FIREBASE_PROJECT_ID,
        "emulatorHost": settings.FIREBASE_AUTH_EMULATOR_HOST,
    }
    response = render(request, "accounts/sign_in.html", {"firebase_config": firebase_config})
    response._csp_update = firebase_csp_sources()  # django-csp: added to this page's policy only
    return response


def firebase_csp_sources() -> dict:
    """What the Firebase Auth SDK on the sign-in page reaches, beyond this site: Google's identity
    APIs, Google's API loader and the auth domain's iframe (popup sign-in), or the local emulator."""
    emulator = [f"http://{settings.FIREBASE_AUTH_EMULATOR_HOST}"] if settings.FIREBASE_AUTH_EMULATOR_HOST else []
    return {
        "script-src": ["https://apis.google.com"],
        "connect-src": ["https://identitytoolkit.googleapis.com", "https://securetoken.googleapis.com", *emulator],
        "frame-src": [f"https://{settings.FIREBASE_AUTH_DOMAIN}", "https://apis.google.com", *emulator],
    }


@login_not_required
@require_POST
def session_create(request):
    """Exchange a Firebase ID token (posted by the sign-in page) for a Django session.

    Limited per client IP (every attempt) and per account (every verified token: the password
    itself is checked by Firebase, which limits its own attempts).
    """
    refusal = limits.attempt("sign_in_ip", client_ip(request))
    if refusal is not None:
        return limits.too_many_requests(request, refusal, json=True)
    try:
        identity = firebase.verify_id_token(_posted_id_token(request))
        refusal = limits.attempt("sign_in_account", identity.uid)
        if refusal is not None:
            return limits.too_many_requests(request, refusal, json=True)
        user = services.user_sign_in_with_firebase(identity=identity)
    except firebase.SignInError as error:
        return JsonResponse({"error": str(error)}, status=400)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return JsonResponse({"redirect": reverse("accounts:home")})


def _posted_id_token(request):
    """The token from a JSON body `{"id_token": ...}` or a form field; None when absent.

    Only a JSON body is read raw: a form body has already been parsed (the CSRF check reads
    request.POST), and reading it raw afterwards raises.
    """
    if request.content_type == "application/json":
        if content_length(request) > MAX_SIGN_IN_BODY_BYTES:
            return None
        try:
            payload = json.loads(request.body[: MAX_SIGN_IN_BODY_BYTES + 1] or b"{}")
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None
        token = payload.get("id_token") if isinstance(payload, dict) else None
        return token if isinstance(token, str) else None
    return request.POST.get("id_token")


@require_POST
def sign_out(request):
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("landing")


@require_GET
def home(request):
    """Send each user to the next thing they need: onboarding, or their role's dashboard."""
    user = request.user
    if user.is_staff and not user.role:
        return redirect("admin:index")
    if not user.role or not user.has_profile():
        return redirect("accounts:onboarding")
    return redirect("reporting:advertiser_dashboard" if user.is_advertiser else "reporting:promoter_dashboard")


@require_http_methods(["GET", "POST"])
def onboarding(request):
    user = request.user
    if not user.role:
        return _choose_role(request)
    if user.has_profile():
        return redirect("accounts:home")
    return _profile_form_page(request, template="accounts/onboarding_profile.html", success_message="Welcome aboard!")


def _choose_role(request):
    form = RoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_choose_role(user=request.user, role=form.cleaned_data["role"])
        except services.RoleAlreadyChosen as error:
            messages.info(request, str(error))
        return redirect("accounts:onboarding")
    return render(request, "accounts/onboarding_role.html", {"form": form})


@require_http_methods(["GET", "POST"])
def profile_edit(request):
    if not request.user.role:
        return redirect("accounts:onboarding")
    return _profile_form_page(request, template="accounts/profile_edit.html", success_message="Profile saved.")


def _profile_form_page(request, *, template, success_message):
    user = request.user
    if user.is_advertiser:
        form_class, save, instance = (
            AdvertiserProfileForm,
            services.advertiser_profile_save,
            getattr(user, "advertiser_details", None),
        )
    else:
        form_class, save, instance = (
            PromoterProfileForm,
            services.promoter_profile_save,
            getattr(user, "promoter_details", None),
        )
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        save(user=user, **form.profile())
        messages.success(request, success_message)
        return redirect("accounts:home")
    return render(request, template, {"form": form, "role": Role(user.role)})


@require_GET
def notification_list(request):
    notifications = request.user.notifications.all()[:100]
    return render(request, "accounts/notifications.html", {"notifications": notifications})


@require_POST
def notifications_read(request):
    """Mark one (`id`) or all notifications read; HTMX gets the refreshed list and nav count."""
    ids = None
    if request.POST.get("id"):
        try:
            ids = [int(request.POST["id"])]
        except ValueError:
            ids = []
    notifications_mark_read(user=request.user, notification_ids=ids)
    if request.htmx:
        context = {
            "notifications": request.user.notifications.all()[:100],
            "unread_notifications": unread_count(request.user),
        }
        return render(request, "accounts/notifications.html#inbox", context)
    return redirect("accounts:notifications")
