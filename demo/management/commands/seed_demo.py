import os
import re

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from accounts.models import User
from demo.glo_act import ACCOUNTS, seed

DEFAULT_DEMO_PASSWORD = "glo-act-demo-2026"


class Command(BaseCommand):
    help = "Load the GLO.ACT demo programme, call and accounts. Idempotent: a second run changes nothing."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even with DEBUG off. The demo accounts share one known password: never on a live system.",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "Refusing to create demo accounts with a known password while DEBUG is off. "
                "Pass --allow-production if this really is a demo system."
            )
        password = os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD)
        # The demo's own actions (a submitted application) would otherwise print or send their e-mails.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            position = seed(password=password, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready: {position.programme} envelope EUR {position.envelope:,.2f}, "
            f"allocated EUR {position.allocated:,.2f}."
        ))
        self.stdout.write(f"Demo accounts (password: {password}):")
        for email, roles, organisation in demo_accounts():
            self.stdout.write(f"  {email:<22} {', '.join(roles):<28} {organisation}".rstrip())


def demo_accounts():
    """Every demo account, the core ones first and then the applicants and grantees of the demo calls (cso3...cso10),
    with their roles and organisation."""
    core = [email for email, _name, _roles in ACCOUNTS]
    users = User.objects.filter(email__endswith="@demo.test").prefetch_related("groups", "memberships__organisation")

    def order(user):
        number = re.search(r"(\d+)@", user.email)
        return (user.email not in core, core.index(user.email) if user.email in core else 0, re.sub(r"\d+@.*", "", user.email),
                int(number.group(1)) if number else 0)

    return [
        (user.email, sorted(group.name for group in user.groups.all()),
         ", ".join(m.organisation.legal_name for m in user.memberships.all()))
        for user in sorted(users, key=order)
    ]
