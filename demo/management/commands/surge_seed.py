import json

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from surge.seed import seed


class Command(BaseCommand):
    requires_system_checks = []  # a data command: it needs the models, not every URL and setting checked again
    help = (
        "Prepare the deadline surge (make surge): a published call closing in --closes-in seconds and --accounts CSO "
        "accounts with verified e-mail addresses and their organisations. Only into an empty scratch database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=500)
        parser.add_argument("--closes-in", type=int, default=240, help="seconds from the end of seeding to the deadline")
        parser.add_argument("--out", required=True, help="JSON file for the load generator: call, password, accounts")

    def handle(self, *args, accounts, closes_in, out, **options):
        try:
            plan = seed(accounts=accounts, closes_in=closes_in, stdout=self.stdout)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        with open(out, "w", encoding="utf-8") as file:
            json.dump(plan, file, indent=1)
        self.stdout.write(f"Call {plan['call']} closes at {plan['closes_at']}; {accounts} accounts in {plan['seconds']} s -> {out}")
