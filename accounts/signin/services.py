"""Services of signing in: recording failed sign-ins and pauses, lifting a pause, and two-factor sign-in.

django-axes counts the failures (`axes.handlers.database`) and refuses sign-in during a pause; these services
record what happened for the audit trail and forget the counted failures when a pause is lifted. Two-factor sign-in
uses django-otp's time-based devices (`TOTPDevice`): a device is in use once `confirmed`.
"""
from axes.utils import reset as axes_reset
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import audit_record
from core.errors import DomainError

from ..access import has_role
from ..models import User
from .throttle import counted_email, pause_minutes


def _account(email):
    return User.objects.filter(email__iexact=email).first() if email else None


def signin_failure_record(*, email, step, locked) -> None:
    """A sign-in that failed: a wrong password (`step` "password") or code ("code"), or one refused during a pause
    (`locked`). The address typed is kept; the account it names, if any, is the target."""
    email = counted_email(email)[:254]
    with transaction.atomic():
        audit_record(
            actor=None, verb="signin.failed", target=_account(email),
            data={"email": email, "step": step, "locked": locked},
        )


def signin_lockout_record(*, email, ip_address) -> None:
    """Sign-in has just been paused for the account `email` and the address `ip_address`."""
    email = counted_email(email)
    with transaction.atomic():
        audit_record(
            actor=None, verb="signin.locked", target=_account(email),
            data={"email": email, "ip_address": ip_address, "minutes": pause_minutes()},
        )


def signin_unlock(*, actor, email="", ip_address="", via) -> int:
    """Lift the pause of an account (by its e-mail address) and/or of an address: the failed sign-ins counted for
    them are forgotten. `via` says how ("admin", "command", "password_reset"). Returns how many records of failed
    attempts were removed; nothing is written when there were none."""
    email, ip_address = counted_email(email), (ip_address or "").strip()
    if not email and not ip_address:
        raise DomainError(_("Give the e-mail address of an account or an IP address."), code="required")
    if ip_address:
        try:
            validate_ipv46_address(ip_address)
        except ValidationError:
            raise DomainError(_("Enter a valid IPv4 or IPv6 address."), code="invalid", field="ip_address") from None
    with transaction.atomic():
        cleared = (axes_reset(username=email) if email else 0) + (axes_reset(ip=ip_address) if ip_address else 0)
        if cleared:
            audit_record(
                actor=actor, verb="signin.unlocked", target=_account(email),
                data={"email": email, "ip_address": ip_address, "via": via, "attempts_cleared": cleared},
            )
    return cleared


# --- Two-factor sign-in ----------------------------------------------------------------------------------------

def two_factor_required(user) -> bool:
    """Whether the user's roles oblige them to sign in with a code (TWO_FACTOR_REQUIRED_ROLES, set by
    TWO_FACTOR_REQUIRED=1)."""
    return bool(settings.TWO_FACTOR_REQUIRED_ROLES) and has_role(user, *settings.TWO_FACTOR_REQUIRED_ROLES)


def two_factor_device(user):
    """The user's device in use, or None when they sign in with their password alone."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def two_factor_pending(user):
    """The device whose setup the user has begun and not yet confirmed, or None."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def two_factor_check(device, code):
    """`device` (freshly read) if `code` is the code it shows now; otherwise a DomainError on the field "code".
    django-otp accepts each code once, and after a wrong one makes the next try wait (1, 2, 4... seconds), so this
    runs outside any transaction that a refusal would roll back."""
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        raise DomainError(
            _("Too many wrong codes in a row: wait a moment, then type the code your app shows then."),
            code="throttled", field="code",
        )
    verified = verify_token(device.user, device.persistent_id, (code or "").strip())
    if verified is None:
        raise DomainError(
            _("This code is not right. Type the 6 digits your authenticator app shows now."), code="wrong_code", field="code"
        )
    return verified


def two_factor_start(*, actor) -> TOTPDevice:
    """Begin setting up two-factor sign-in: a new secret for the authenticator app, not used until confirmed with a
    code. It replaces a setup begun earlier; a device already in use stays until the new one is confirmed."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
        return TOTPDevice.objects.create(user=actor, name="authenticator app", confirmed=False)


def two_factor_confirm(*, actor, code) -> TOTPDevice:
    """Put the device begun with two_factor_start in use once `code` matches it; a device used before is removed."""
    device = two_factor_pending(actor)
    if device is None:
        raise DomainError(_("Start the setup again: there is no code to confirm."), code="no_setup")
    device = two_factor_check(device, code)
    with transaction.atomic():
        replaced, _deleted = TOTPDevice.objects.filter(user=actor).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(actor=actor, verb="two_factor.set_up", target=actor, data={"replaced": bool(replaced)})
    return device


def two_factor_remove(*, actor, user, code=None) -> bool:
    """Turn two-factor sign-in off for `user`. The person themselves confirms it with a current code, and may not
    when their role requires two-factor sign-in; an administrator resets it without a code (a lost phone). Returns
    whether a device was removed."""
    if actor.pk == user.pk:
        if two_factor_required(user):
            raise DomainError(
                _("Your role requires two-factor sign-in, so it cannot be turned off. To move to another phone, set "
                  "up a new authenticator app."),
                code="required_by_role",
            )
        device = two_factor_device(user)
        if device is None:
            raise DomainError(_("Two-factor sign-in is not on."), code="not_on")
        if not code:
            raise DomainError(_("Type the code your authenticator app shows now."), code="code_missing", field="code")
        two_factor_check(device, code)
    with transaction.atomic():
        removed, _deleted = TOTPDevice.objects.filter(user=user).delete()
        if removed:
            by = "self" if actor.pk == user.pk else "administrator"
            audit_record(actor=actor, verb="two_factor.removed", target=user, data={"by": by})
    return bool(removed)
