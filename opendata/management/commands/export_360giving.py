"""`manage.py export_360giving --out FILE.json|FILE.csv [--programme CODE]`: a programme's grants as a 360Giving file
(opendata.threesixty), for publishing outside the site. Refuses an unknown extension and a programme without a
360Giving prefix (or, for the JSON package, without any grant) before writing anything."""
import io
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.errors import DomainError
from grants.models import Programme
from opendata.output import file_replaced
from opendata.threesixty import write_grants_csv, write_grants_package


class Command(BaseCommand):
    help = "Write a programme's grants in the 360Giving standard: a JSON data package (.json) or the CSV template (.csv)."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="The file to write; its extension (.json or .csv) picks the format.")
        parser.add_argument("--programme", help="Programme code (needed when there is more than one programme).")
        parser.add_argument("--source-url", help="The address the file is published at (package download URL, grants' data source).")

    def handle(self, *args, **options):
        out = Path(options["out"])
        suffix = out.suffix.lower()
        if suffix not in (".json", ".csv"):
            raise CommandError(_("Cannot tell the format from %(name)s: give a file name ending in .json or .csv.") % {"name": out.name})
        programme = self._programme(options["programme"])
        try:
            with file_replaced(out) as binary:
                text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
                if suffix == ".json":
                    count = write_grants_package(programme, text, source_url=options["source_url"])
                    text.write("\n")
                else:
                    count = write_grants_csv(programme, text, source_url=options["source_url"])
                text.detach()  # flushed; the file is closed by file_replaced
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(_("%(count)d grants written to %(path)s.") % {"count": count, "path": out})

    def _programme(self, code):
        programmes = Programme.objects.order_by("start_date", "code")
        if code:
            programme = programmes.filter(code__iexact=code).first()
            if programme is None:
                raise CommandError(_("No programme with code %(code)s.") % {"code": code})
            return programme
        found = list(programmes[:2])
        if len(found) != 1:
            raise CommandError(_("Name the programme with --programme CODE: there are none or several."))
        return found[0]
