"""Sign-in pages: the password step and, for people who use two-factor sign-in, the code step; the two-factor
setup page; the page of the e-mailed password-reset link."""
from base64 import b32encode
from datetime import timedelta

import segno
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login

from core.errors import DomainError

from .. import roles as R
from ..access import require_role
from ..models import User
from .forms import CodeForm
from .services import (
    signin_unlock,
    two_factor_check,
    two_factor_confirm,
    two_factor_device,
    two_factor_pending,
    two_factor_remove,
    two_factor_required,
    two_factor_start,
)
from .throttle import signin_is_paused, signin_paused

# Between the password and the code, the session holds who is signing in, for this long.
_PENDING = "signin_pending"
CODE_STEP_VALIDITY = timedelta(minutes=5)


class SignInView(auth_views.LoginView):
    """The password step. Someone who uses two-factor sign-in is not signed in yet: the code step follows."""

    def form_valid(self, form):
        user = form.get_user()
        if two_factor_device(user) is None:
            return super().form_valid(form)
        self.request.session[_PENDING] = {
            "user": user.pk, "backend": user.backend, "next": self.get_success_url(), "at": timezone.now().timestamp(),
        }
        return redirect("signin_code")


def _pending_signin(request):
    """(user, next URL, backend) of the sign-in waiting for its code, or None if there is none or it is too old."""
    pending = request.session.get(_PENDING)
    if not pending or timezone.now().timestamp() - pending["at"] > CODE_STEP_VALIDITY.total_seconds():
        return None
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    return (user, pending["next"], pending["backend"]) if user else None


@never_cache
@sensitive_post_parameters("code")
def signin_code(request):
    """The code step: the password was right; the code from the authenticator app completes the sign-in. A wrong
    code counts as a failed sign-in (audited, and towards a pause like a wrong password)."""
    pending = _pending_signin(request)
    if pending is None:
        request.session.pop(_PENDING, None)
        messages.info(request, _("Please sign in again: the sign-in was not completed in time."))
        return redirect("login")
    user, next_url, backend = pending
    device = two_factor_device(user)
    if device is None:  # reset by an administrator meanwhile: the password alone signs in now
        return redirect("login")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        if signin_is_paused(request, user.email):
            return signin_paused(request)
        try:
            device = two_factor_check(device, form.cleaned_data["code"])
        except DomainError as error:
            form.add_error("code", error.message)
            user_login_failed.send(
                sender=__name__, credentials={"username": user.email, "step": "code"}, request=request
            )
        else:
            del request.session[_PENDING]
            auth_login(request, user, backend=backend)
            otp_login(request, device)
            return redirect(next_url)
    return render(request, "registration/signin_code.html", {"form": form}, status=400 if form.errors else 200)


def _qr_svg(device):
    """The device's otpauth:// link as an inline SVG QR code, drawn here (no image request, no script)."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, border=2, dark="#000", light="#fff", svgclass="qr-code", title=_("QR code to scan")
    )


def _typed_secret(device):
    """The secret as an authenticator app asks for it when typed in: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


@never_cache
@login_required
@sensitive_post_parameters("code")
def two_factor(request):
    """Set up two-factor sign-in (a secret shown as a QR code and as text, confirmed with a code), replace the
    authenticator app, or turn it off."""
    require_role(request.user, *R.TWO_FACTOR_ROLES)
    user, action = request.user, request.POST.get("action")
    if action == "start":
        two_factor_start(actor=user)
        return redirect("two_factor")
    device, pending = two_factor_device(user), two_factor_pending(user)
    # One code form on the page: confirming a new app while one is being set up, otherwise turning it off.
    code_action = "confirm" if pending else "remove" if device else None
    form = CodeForm(request.POST if action and action == code_action else None)
    if form.is_valid():
        try:
            if action == "confirm":
                otp_login(request, two_factor_confirm(actor=user, code=form.cleaned_data["code"]))
                messages.success(request, _("Two-factor sign-in is on: you will be asked for a code each time you sign in."))
            else:
                two_factor_remove(actor=user, user=user, code=form.cleaned_data["code"])
                messages.success(request, _("Two-factor sign-in is off."))
        except DomainError as error:
            form.add_error("code" if error.field == "code" else None, error.message)
        else:
            return redirect("two_factor")
    context = {
        "device": device, "pending": pending, "form": form, "code_action": code_action,
        "required": two_factor_required(user),
        "qr_svg": _qr_svg(pending) if pending else "",
        "secret": _typed_secret(pending) if pending else "",
    }
    return render(request, "accounts/two_factor.html", context, status=400 if form.errors else 200)


class NewPasswordView(auth_views.PasswordResetConfirmView):
    """The page of the e-mailed reset link. Setting a new password there also lifts a sign-in pause on the account:
    the link proves that the person holds the address."""

    def form_valid(self, form):
        response = super().form_valid(form)
        signin_unlock(actor=form.user, email=form.user.email, via="password_reset")
        return response
