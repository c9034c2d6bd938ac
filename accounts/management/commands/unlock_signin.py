from django.core.management.base import BaseCommand, CommandError

from accounts.signin.services import signin_unlock
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Lift a sign-in pause before it ends by itself: of an account (its e-mail address) and/or of an address "
        "(--address). The failed sign-ins counted for them are forgotten; the unlocking is audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", nargs="?", default="", help="E-mail address of the account.")
        parser.add_argument("--address", default="", help="IP address from which sign-in is paused.")

    def handle(self, *args, email, address, **options):
        try:
            cleared = signin_unlock(actor=None, email=email, ip_address=address, via="command")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        what = " and ".join(part for part in (email.strip().lower(), address.strip()) if part)
        if cleared:
            self.stdout.write(f"Sign-in is no longer paused for {what}: {cleared} record(s) of failed attempts removed.")
        else:
            self.stdout.write(f"No failed sign-ins were counted for {what}: nothing to unlock.")
