from django.core.management.base import BaseCommand

from notifications.digest import digests_send


class Command(BaseCommand):
    help = "E-mail each person the day's notifications they chose to receive as a daily digest (safe to run again)."

    def handle(self, *args, **options):
        self.stdout.write(f"{digests_send()} digest(s) queued.")
