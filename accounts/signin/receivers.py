"""Sign-in events from Django and django-axes, handed to the services that record them (connected in
accounts.apps)."""
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from . import services


@receiver(user_login_failed, dispatch_uid="accounts.signin.failed")
def signin_failed(sender, credentials, request=None, **kwargs):
    services.signin_failure_record(
        email=credentials.get("username"),
        step=credentials.get("step", "password"),
        locked=bool(getattr(request, "axes_locked_out", False)),
    )


@receiver(user_locked_out, dispatch_uid="accounts.signin.locked")
def signin_locked(sender, request, username, ip_address, **kwargs):
    # axes also sends this for each attempt refused during a pause, without counting it (no failure count on the
    # request then): those are recorded as failed sign-ins, the pause itself once.
    if getattr(request, "axes_failures_since_start", None) is not None:
        services.signin_lockout_record(email=username, ip_address=ip_address)
