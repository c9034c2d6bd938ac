from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.errors import DomainError
from grants.models import Programme
from opendata.iati import write_activities
from opendata.output import file_replaced


class Command(BaseCommand):
    help = "Write a programme's IATI 2.03 activity file (the programme as parent activity, each signed grant a child)."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="The XML file to write.")
        parser.add_argument("--programme", help="Programme code (needed when there is more than one programme).")

    def handle(self, *args, **options):
        programme = self._programme(options["programme"])
        try:
            with file_replaced(Path(options["out"])) as out:
                activities, transactions = write_activities(programme, out)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            _("Wrote %(activities)s activities and %(transactions)s transactions to %(out)s.") % {
                "activities": activities, "transactions": transactions, "out": options["out"],
            }
        )

    def _programme(self, code):
        if code:
            programme = Programme.objects.filter(code__iexact=code).first()
            if programme is None:
                raise CommandError(_("No programme with code %(code)s.") % {"code": code})
            return programme
        programmes = list(Programme.objects.all()[:2])
        if len(programmes) != 1:
            raise CommandError(
                _("There are several programmes: choose one with --programme CODE.") if programmes
                else _("There is no programme yet: run `manage.py seed_demo` or create one.")
            )
        return programmes[0]
