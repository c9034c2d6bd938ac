import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

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
        for email, name, roles in ACCOUNTS:
            self.stdout.write(f"  {email:<22} {', '.join(roles)}")
