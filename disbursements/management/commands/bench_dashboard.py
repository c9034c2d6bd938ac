"""Benchmark the envelope dashboard on a synthetic programme (disbursements.synthetic), in a scratch database
created and destroyed here."""
import random
import time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import RequestFactory

from core.benchmark import scratch_database, time_runs

from grants.models import Grant, Programme

from ...dashboard import dashboard
from ...dashboard_pdf import status_report_pdf
from ...dashboard_views import envelope_dashboard
from ...models import ApprovedExpenditure, Payment
from ...synthetic import synthetic_programme


class Command(BaseCommand):
    help = "Build a synthetic programme (grants, payments, reversals, approved expenditure) in a scratch database and time the envelope dashboard."

    def add_arguments(self, parser):
        parser.add_argument("--grants", type=int, default=2000)
        parser.add_argument("--payments", type=int, default=20000)
        parser.add_argument("--calls", type=int, default=6)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, grants, payments, calls, seed, **options):
        with scratch_database(self.stdout):
            started = time.perf_counter()
            with transaction.atomic():
                programme, reader = synthetic_programme(grants, payments, calls, random.Random(seed))
            self.stdout.write(
                f"built {Grant.objects.count()} grants, {Payment.objects.count()} payments "
                f"({Payment.objects.filter(reversal_entry__isnull=False).count()} reversed), "
                f"{ApprovedExpenditure.objects.count()} approved expenditure rows in {time.perf_counter() - started:.1f} s"
            )
            programme = Programme.objects.select_related("envelope").get(pk=programme.pk)
            request = RequestFactory().get("/envelope/dashboard/")
            request.user = reader
            figures = dashboard(programme)
            time_runs(self.stdout, (
                ("dashboard selectors", lambda: dashboard(programme)),
                ("dashboard page (view + template)", lambda: envelope_dashboard(request)),
                ("status report PDF", lambda: status_report_pdf(dashboard(programme))),
            ))
            p = figures.position
            self.stdout.write(
                f"envelope {p.envelope} allocated {p.allocated} committed {p.committed} disbursed {p.disbursed}; "
                f"outstanding advances {figures.ageing.total} over {len(figures.ageing.advances)} grants "
                f"({', '.join(f'{b.key} {b.amount}' for b in figures.ageing.buckets)})"
            )
