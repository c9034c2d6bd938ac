"""Benchmark each role's home page (its work inbox first) on a synthetic programme of 2,000 applications and 500
grants, in a scratch database created and destroyed here."""
import random
import statistics
import time
from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles as R
from accounts.models import MemberRole, Organisation, User
from accounts.services import membership_set, role_grant
from applications.models import Application, ApplicationStatus, Assignment, ConflictDeclaration, Panel, Review, ReviewStatus
from core.benchmark import scratch_database
from disbursements.synthetic import synthetic_programme
from grants.models import AgreementStatus, Call, CallStatus, Grant

# How the applications are spread over their statuses (the rest are drafts).
SHARES = ((ApplicationStatus.SUBMITTED, 0.35), (ApplicationStatus.ELIGIBLE, 0.4), (ApplicationStatus.REJECTED, 0.1))


class Command(BaseCommand):
    help = "Build applications, grants and payments in a scratch database and time each role's home page (queries, median)."

    def add_arguments(self, parser):
        parser.add_argument("--applications", type=int, default=2000)
        parser.add_argument("--grants", type=int, default=500)
        parser.add_argument("--calls", type=int, default=6)
        parser.add_argument("--repeat", type=int, default=9)
        parser.add_argument("--seed", type=int, default=7)

    @override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False)
    def handle(self, *args, applications, grants, calls, repeat, seed, **options):
        with scratch_database(self.stdout):
            started = time.perf_counter()
            with transaction.atomic():
                people = self._build(applications, grants, calls, random.Random(seed))
            self.stdout.write(
                f"built {Application.objects.count()} applications, {Grant.objects.count()} grants in "
                f"{time.perf_counter() - started:.1f} s"
            )
            for role, user in people.items():
                self._time(role, user, repeat)

    def _time(self, role, user, repeat):
        client = Client()
        client.force_login(user)
        client.get("/")  # warm-up (a donor's first visit)
        timings, queries, items = [], 0, 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get("/")
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
            queries, items = len(ctx.captured_queries), response.content.decode().count('class="inbox-item')
        self.stdout.write(
            f"{role}: median {statistics.median(timings):.1f} ms over {repeat} runs, {queries} queries, "
            f"{items} inbox items"
        )

    def _build(self, n_applications, n_grants, n_calls, rnd):
        now = timezone.now()
        programme, donor = synthetic_programme(n_grants, n_grants * 2, n_calls, rnd)
        # The synthetic grants are in implementation; some still wait for their signature.
        Grant.objects.filter(pk__in=Grant.objects.order_by("pk").values("pk")[:n_grants // 10]).update(
            status=AgreementStatus.DRAFT, signed_on=None, version=0,
        )
        open_call = Call.objects.create(
            programme=programme, reference="OPEN", title="Open call", status=CallStatus.PUBLISHED,
            opens_at=now - timedelta(days=30), closes_at=now + timedelta(days=30),
            min_grant=(Decimal("10000"), "EUR"), max_grant=(Decimal("300000"), "EUR"),
        )
        closed = list(Call.objects.filter(programme=programme).exclude(pk=open_call.pk))
        Call.objects.filter(pk__in=[c.pk for c in closed]).update(review_deadline=now - timedelta(days=3))
        people = {role: User.objects.create_user(email=f"bench-{role}@example.invalid") for role in (
            R.PROGRAMME_OFFICER, R.REVIEWER, R.FINANCE_OFFICER, R.APPLICANT)}
        for role, user in people.items():
            role_grant(actor=None, user=user, role=role)
        people[R.DONOR_OBSERVER] = donor
        owner = people[R.APPLICANT]
        organisations = Organisation.objects.bulk_create(
            Organisation(legal_name=f"Bench applicant {i}", country="NP", registration_number=f"BA{i}",
                         org_id_scheme="NP-SWC", org_type="22")
            for i in range(n_applications)
        )
        # The CSO member belongs to a grantee in implementation and to an applicant.
        membership_set(actor=None, organisation=Grant.objects.order_by("pk").last().organisation, user=owner, role=MemberRole.ORG_ADMIN)
        rows = []
        for i, organisation in enumerate(organisations):
            draw, status = rnd.random(), ApplicationStatus.DRAFT
            for candidate, share in SHARES:
                if draw < share:
                    status = candidate
                    break
                draw -= share
            draft = status == ApplicationStatus.DRAFT
            call = open_call if status in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED) else closed[i % len(closed)]
            rows.append(Application(
                call=call, organisation=organisation, created_by=owner, status=status, title=f"Action {i}",
                sequence=None if draft else i + 1, reference="" if draft else f"BENCH-{i + 1:05d}",
                submitted_at=None if draft else now - timedelta(days=40), submitted_by=None if draft else owner,
                requested_amount=None if draft else Decimal("100000.00"),
            ))
        Application.objects.bulk_create(rows, batch_size=1000)
        membership_set(actor=None, organisation=organisations[0], user=owner, role=MemberRole.ORG_ADMIN)
        reviewer = people[R.REVIEWER]
        for call in closed[:-1]:  # the last closed call has no panel yet
            panel = Panel.objects.create(call=call, created_by=people[R.PROGRAMME_OFFICER])
            panel.members.set([reviewer])
        eligible = list(Application.objects.filter(status=ApplicationStatus.ELIGIBLE, call__panel__isnull=False))
        mine = eligible[: len(eligible) // 2]  # declared and assigned; the other half still to declare
        ConflictDeclaration.objects.bulk_create(
            ConflictDeclaration(application=a, reviewer=reviewer, has_conflict=False, declared_by=reviewer, declared_at=now) for a in mine
        )
        assignments = Assignment.objects.bulk_create(Assignment(application=a, reviewer=reviewer) for a in mine)
        Review.objects.bulk_create(
            Review(assignment=a, status=ReviewStatus.SUBMITTED if k % 3 == 0 else ReviewStatus.DRAFT) for k, a in enumerate(assignments)
        )
        return people
