"""Staff actions in admin that need a named permission and leave an audit row.

Being staff opens the admin and nothing more: each action that moves money, changes a hold or
verifies someone names the permission it needs (granted through the roles in the migration
`accounts.0005_staff_roles`), asks for a reason, and records one `StaffAction` per row it acted
on, with the outcome. Use on a ModelAdmin that mixes in `PermissionedActionsMixin`:

    class ChargeAdmin(PermissionedActionsMixin, admin.ModelAdmin):
        actions = ["retry_refund"]

        @staff_action("Retry pending refunds", permission="billing.retry_refund")
        def retry_refund(self, request, queryset, reason):
            for row in queryset:
                yield row, "retried"

The action body yields (row, outcome) pairs; each pair becomes an audit row.
"""

from functools import wraps

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse

from accounts.services import staff_action_record


class StaffReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why: kept with your name and the time in the staff audit log.",
    )


def staff_action(description: str, *, permission: str):
    """Make an admin action that needs `permission`, asks why, and records what it did."""

    def decorate(run):
        @admin.action(description=description)
        @wraps(run)
        def action(modeladmin, request, queryset):
            if not request.user.has_perm(permission):
                raise PermissionDenied
            form = StaffReasonForm(request.POST if "reason" in request.POST else None)
            if not form.is_valid():
                return _ask_for_reason(modeladmin, request, queryset, form, run.__name__, description)
            reason = form.cleaned_data["reason"]
            for target, outcome in run(modeladmin, request, queryset, reason) or ():
                staff_action_record(
                    actor=request.user, action=permission, target=target, reason=reason, outcome=outcome
                )
            return None

        action.required_permission = permission
        return action

    return decorate


def _ask_for_reason(modeladmin, request, queryset, form, action_name, description):
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": description,
        "opts": modeladmin.model._meta,
        "form": form,
        "action_name": action_name,
        "queryset": queryset[:50],
        "count": queryset.count(),
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/staff_action_reason.html", context)


class PermissionedActionsMixin:
    """Offer each staff action only to users holding its `required_permission`."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        return {name: entry for name, entry in actions.items() if _allowed(request.user, entry[0])}


class ReadOnlyAdmin(PermissionedActionsMixin, admin.ModelAdmin):
    """Rows that services write (money, history, audit): staff look, and change them only
    through actions that need their named permission."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceWrittenInline(admin.TabularInline):
    """Rows listed under their parent that only services create: never added or deleted here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


def _allowed(user, action) -> bool:
    needed = getattr(action, "required_permission", None)
    return needed is None or user.has_perm(needed)
