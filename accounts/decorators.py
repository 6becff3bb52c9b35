"""Access rules by role. Every role-specific view carries one of these."""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from accounts.models import Role


def role_required(role):
    """Let in only users of `role` with a finished profile; others are sent where they belong.

    Someone who has not finished onboarding is taken there; someone of the other role gets
    403 rather than a redirect, so a link shared between roles fails visibly.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.role or not user.has_profile():
                return redirect("accounts:onboarding")
            if user.role != role:
                raise PermissionDenied("This page is for another account type.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


advertiser_required = role_required(Role.ADVERTISER)
promoter_required = role_required(Role.PROMOTER)
