"""Time the officer's screening list with N submitted applications, inside a transaction that is rolled back."""
import statistics
import time
from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from accounts import roles as R
from accounts.models import MemberRole, Organisation, User
from accounts.services import membership_set, role_grant
from applications.models import Application, ApplicationStatus, BudgetLine
from grants.models import Call, CallStatus, Country, Envelope, Objective, Programme
from core.money import EUR


class Command(BaseCommand):
    help = "Measure the screening list (time and queries) for N submitted applications; nothing is kept."

    def add_arguments(self, parser):
        parser.add_argument("--applications", type=int, default=60)
        parser.add_argument("--repeat", type=int, default=20)

    @override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False)
    def handle(self, *args, applications, repeat, **options):
        with transaction.atomic():
            url, officer = self._build(applications)
            client = Client()
            client.force_login(officer)
            client.get(url)  # warm-up
            timings = []
            for _ in range(repeat):
                start = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200
            with CaptureQueriesContext(connection) as ctx:
                client.get(url)
            shown = response.content.decode().count('href="/screening/applications/')
            transaction.set_rollback(True)
        self.stdout.write(
            f"screening list, {shown} applications on {connection.vendor}: median {statistics.median(timings):.1f} ms, "
            f"p90 {sorted(timings)[int(len(timings) * 0.9) - 1]:.1f} ms, {len(ctx.captured_queries)} queries"
        )

    def _build(self, n):
        now = timezone.now()
        programme = Programme.objects.create(
            code="BENCH", name="Benchmark", short_name="Bench", donor="EU", agency="UN",
            start_date=now.date(), end_date=now.date() + timedelta(days=1000),
        )
        Envelope.objects.create(programme=programme, amount=(Decimal("10000000"), EUR))
        countries = [Country.objects.get_or_create(code=c, defaults={"name": c})[0] for c in ("NP", "MA", "BR")]
        objective = Objective.objects.create(programme=programme, number=1, title="Protection")
        call = Call.objects.create(
            programme=programme, reference="B01", title="Benchmark call", opens_at=now - timedelta(days=30),
            closes_at=now - timedelta(days=1), min_grant=(Decimal("1000"), EUR), max_grant=(Decimal("300000"), EUR),
            status=CallStatus.PUBLISHED,
        )
        call.countries.set(countries)
        call.objectives.set([objective])
        officer = User.objects.create_user(email="bench-officer@example.invalid")
        role_grant(actor=None, user=officer, role=R.PROGRAMME_OFFICER)
        for i in range(n):
            org = Organisation.objects.create(legal_name=f"Bench CSO {i}", country="NP", registration_number=f"BENCH-{i}", org_type="22")
            user = User.objects.create_user(email=f"bench{i}@example.invalid")
            membership_set(actor=None, organisation=org, user=user, role=MemberRole.EDITOR)
            app = Application.objects.create(
                call=call, organisation=org, created_by=user, submitted_by=user, title=f"Action {i}",
                status=ApplicationStatus.SUBMITTED, sequence=i + 1, reference=f"BENCH-2026-B01-{i + 1:04d}",
                submitted_at=now - timedelta(days=2), requested_amount=Decimal("100000.00"), objective=objective,
            )
            app.countries.set(countries[: 1 + i % 3])
            BudgetLine.objects.create(application=app, heading="1", description="Staff", unit="month", quantity=12, unit_cost=Decimal("1000"))
        return f"/screening/calls/{call.pk}/", officer
