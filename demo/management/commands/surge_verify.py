import json

from django.core.management.base import BaseCommand, CommandError

from surge.verify import verify, wait_for_outbox


class Command(BaseCommand):
    requires_system_checks = []  # a data command: it needs the models, not every URL and setting checked again
    help = (
        "After the deadline surge: check the journal of what applicants were told against the database, the outbox "
        "and the storage (surge/verify.py). Prints a JSON report; exits 1 when anything was lost."
    )

    def add_arguments(self, parser):
        parser.add_argument("--call-id", type=int, required=True)
        parser.add_argument("--journal", required=True, help="the journeys' JSON-lines journal")
        parser.add_argument("--maildir", help="the SMTP server's maildir, to check the e-mails arrived")
        parser.add_argument("--wait-outbox", type=float, default=0, help="seconds to wait for the worker to send the e-mails")
        parser.add_argument("--out", help="also write the report to this file")

    def handle(self, *args, call_id, journal, maildir, wait_outbox, out, **options):
        from grants.models import Call

        unsent = wait_for_outbox(Call.objects.get(pk=call_id), timeout=wait_outbox) if wait_outbox else None
        report = verify(call_id=call_id, journal=journal, maildir=maildir)
        report["outbox_unsent_after_wait"] = unsent
        text = json.dumps(report, indent=1)
        if out:
            with open(out, "w", encoding="utf-8") as file:
                file.write(text)
        self.stdout.write(text)
        if not report["ok"]:
            raise CommandError("The surge lost something: see the problems above.")
