import json

from django.core.management.base import BaseCommand, CommandError

from grants.models import Programme
from grants.selectors import envelope_position


class Command(BaseCommand):
    help = "Print a programme's envelope position (envelope, allocated, committed, disbursed, available), overall and per call."

    def add_arguments(self, parser):
        parser.add_argument("--programme", help="Programme code (default: the only programme, or the first one).")
        parser.add_argument("--json", action="store_true", help="Print JSON with amounts as strings.")

    def handle(self, *args, **options):
        programmes = Programme.objects.filter(envelope__isnull=False).select_related("envelope")
        if options["programme"]:
            programme = programmes.filter(code__iexact=options["programme"]).first()
            if programme is None:
                raise CommandError(f"No programme with code {options['programme']!r} and an envelope.")
        else:
            programme = programmes.order_by("start_date", "code").first()
            if programme is None:
                raise CommandError("No programme with an envelope yet: run `manage.py seed_demo` or create one.")
        data = envelope_position(programme).as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2))
            return
        self.stdout.write(f"{data['programme']} ({data['currency']})")
        for key in ("envelope", "allocated", "committed", "disbursed", "available"):
            self.stdout.write(f"  {key:<10} {data[key]:>16}")
        for call in data["calls"]:
            self.stdout.write(
                f"  {call['reference']:<6} allocated {call['allocated']:>14}  committed {call['committed']:>14}"
                f"  disbursed {call['disbursed']:>14}  available {call['available']:>14}"
            )
