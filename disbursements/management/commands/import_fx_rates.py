import csv
import io

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from disbursements.fx import FxError, fx_rate_set


class Command(BaseCommand):
    help = "Load monthly EUR exchange rates from a CSV with columns currency, month (YYYY-MM), rate, source."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--source", default="", help="Source for rows that do not name one (e.g. InforEuro).")

    def handle(self, *args, file, source, **options):
        try:
            with open(file, "rb") as handle:
                text = handle.read().decode("utf-8-sig")
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file} is not UTF-8 text.") from exc
        dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;") if text.strip() else csv.excel
        reader = csv.DictReader(io.StringIO(text), dialect=dialect)
        columns = {(c or "").strip().lower() for c in (reader.fieldnames or [])}
        if not {"currency", "month", "rate"} <= columns:
            raise CommandError("The file needs the columns currency, month and rate (and optionally source).")
        count = 0
        with transaction.atomic():
            for line, row in enumerate(reader, start=2):
                row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
                try:
                    fx_rate_set(actor=None, currency=row["currency"], month=row["month"], rate=row["rate"], source=row.get("source") or source)
                except FxError as exc:
                    raise CommandError(f"Line {line}: {exc.message} Nothing was imported.") from exc
                count += 1
        if not count:
            raise CommandError("The file has no rates.")
        self.stdout.write(self.style.SUCCESS(f"{count} rates recorded."))
