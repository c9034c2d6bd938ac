"""Services of signing in: recording failed sign-ins and pauses, and lifting a pause. Each writes an audit event.

django-axes counts the failures (`axes.handlers.database`) and refuses sign-in during a pause; these services
record what happened for the audit trail and forget the counted failures when a pause is lifted.
"""
from axes.utils import reset as axes_reset
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.errors import DomainError

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
