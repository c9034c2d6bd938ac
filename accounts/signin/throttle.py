"""What django-axes asks of the project: which account an attempt counts against, and the page shown during a
pause. Both are named in settings (AXES_USERNAME_CALLABLE, AXES_LOCKOUT_CALLABLE)."""
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.shortcuts import render


def counted_email(value) -> str:
    """An address as sign-in compares it (letter case ignored), so that one account has one count of failures."""
    return (value or "").strip().lower()


def attempt_email(request, credentials):
    """The address the attempt was for: from the credentials given to authenticate(), else the posted form."""
    source = credentials if credentials is not None else request.POST
    return counted_email(source.get(settings.AXES_USERNAME_FORM_FIELD)) or None


def signin_is_paused(request, email) -> bool:
    """Whether sign-in is paused for this account or this request's address. authenticate() checks it for the
    password; the code step of two-factor sign-in asks here."""
    return settings.AXES_ENABLED and not AxesProxyHandler.is_allowed(request, {settings.AXES_USERNAME_FORM_FIELD: email})


def pause_minutes() -> int:
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def signin_paused(request, original_response=None, credentials=None):
    """The page shown instead of the sign-in form while the account or the address is paused (429)."""
    return render(request, "registration/signin_paused.html", {"minutes": pause_minutes()}, status=429)
