from accounts.notifications import unread_count


def notifications(request):
    """The unread count for the navigation bar (one indexed COUNT, signed-in users only)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user)}
