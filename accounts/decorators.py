"""View decorators shared by the features that change an organisation's data."""
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .access import needs_email_verification


def verified_email_required(view):
    """Sign-in required; a user whose e-mail address is not verified yet is sent to the "check your e-mail" page."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if needs_email_verification(request.user):
            messages.info(request, _("Please confirm your e-mail address first: open the link we sent you."))
            return redirect("check_email")
        return view(request, *args, **kwargs)

    return wrapper
