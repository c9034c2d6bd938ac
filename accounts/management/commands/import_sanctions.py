import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.diligence.services import sanctions_import, sanctions_screen_all
from accounts.sanctions import DEFAULT_THRESHOLD, SanctionsFileError, read_sanctions_csv


def _threshold(value):
    number = float(value)
    if not 0 < number <= 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Import a sanctions list from a CSV file (columns: name, and optionally reference, country, list), then "
        "screen every organisation against all stored entries. Each new match becomes an open red flag."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, UTF-8, with a header row; commas or semicolons.")
        parser.add_argument("--list", dest="list_name", default="", help="List name for rows without a 'list' column.")
        parser.add_argument(
            "--replace", action="store_true",
            help="Remove the entries of the lists in the file that the file no longer contains (unless flags refer to them).",
        )
        parser.add_argument(
            "--threshold", type=_threshold, default=DEFAULT_THRESHOLD,
            help=f"Name similarity from 0 to 1 above which a name is a potential match (default {DEFAULT_THRESHOLD}).",
        )

    def handle(self, *args, file, list_name, replace, threshold, **options):
        try:
            rows = read_sanctions_csv(file, default_list=list_name.strip())
        except SanctionsFileError as exc:
            raise CommandError(str(exc)) from exc
        lists = sorted({row.list_name for row in rows})
        self.stdout.write(f"Read {len(rows)} rows from {Path(file).name} (lists: {', '.join(lists)}).")
        result = sanctions_import(actor=None, rows=rows, replace=replace, source=Path(file).name)
        self.stdout.write(
            f"Entries: {result.created} new, {result.existing} already stored"
            + (f", {result.removed} removed, {result.kept} kept because flags refer to them" if replace else "")
            + (f", {result.skipped} skipped (no letter or digit in the name)" if result.skipped else "")
            + "."
        )
        started = time.perf_counter()
        run = sanctions_screen_all(actor=None, threshold=threshold)
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Screened {run.organisations} organisations against {run.entries} entries in {seconds:.2f} s "
            f"(threshold {threshold}): {run.new_matches} new potential matches."
        )
