"""Two-factor sign-in required by role (TWO_FACTOR_REQUIRED=1)."""
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .services import two_factor_device, two_factor_required


class TwoFactorRequiredMiddleware:
    """A person whose role requires two-factor sign-in and who has not set it up is sent to its setup page from
    every page but that one, signing out and the language switcher. Runs after django_otp's OTPMiddleware: a session
    signed in with a code (`is_verified()`) needs no further query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and two_factor_required(user)
            and request.path not in {reverse("two_factor"), reverse("logout"), reverse("set_language")}
            and two_factor_device(user) is None
        ):
            messages.info(request, _("Your role requires two-factor sign-in: set it up to continue."))
            return redirect("two_factor")
        return self.get_response(request)
