from functools import cache

from .selectors import unread_count


def notifications(request):
    """`unread_notifications` for the header's bell: counted once, and only when a template shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": cache(lambda: unread_count(user))}
