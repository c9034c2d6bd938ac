"""Daily reminders (run from cron): reports due or overdue, reviews pending, tranches payable. Safe to run twice."""
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from reports.reminders import KINDS, send_reminders


def _day(value):
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}") from exc


class Command(BaseCommand):
    help = "Send the reminder e-mails due today; each reminder goes once to each recipient."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=_day, default=None, help="Act as if today were this date (YYYY-MM-DD).")
        parser.add_argument("--dry-run", action="store_true", help="Count what would be sent; send and record nothing.")

    def handle(self, *args, date=None, dry_run=False, **options):
        counts = send_reminders(today=date, dry_run=dry_run)
        verb = "would send" if dry_run else "sent"
        for kind in KINDS:
            self.stdout.write(f"{kind}: {verb} {counts[kind]['sent']}, skipped {counts[kind]['skipped']}")
