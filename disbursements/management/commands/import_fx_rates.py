from django.core.management.base import BaseCommand, CommandError

from disbursements.fx import FxError, rates_import


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
        try:
            count = rates_import(actor=None, text=text, source=source)
        except FxError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"{count} rates recorded."))
