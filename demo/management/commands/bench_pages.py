"""Time the pages that grow with a programme (a call's screening list and ranking, the finance pages, the API lists)
at several sizes of call, in a scratch database created and destroyed here.

The programme holds the grants and payments of disbursements.synthetic, built once, and for each size a call of
applications.synthetic (applications with organisations, countries, objectives, budget lines, and three scored
reviews each). Each page is requested through the test client as a signed-in officer: warm-ups, then timed runs.
Every page is timed at every size: the finance pages read the same grants and payments each time, so their ratio
shows how much of a change is noise.
"""
import math
import random
import statistics
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone
from django.db import connection, reset_queries, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles as R
from accounts.models import User
from accounts.services import role_grant
from applications.models import Score
from applications.synthetic import synthetic_call
from core.benchmark import scratch_database
from disbursements.models import Payment
from disbursements.recovery.models import RecoveryOrder, RecoveryOrigin
from disbursements.requests.models import AmendmentKind, GrantRequest, RequestKind
from disbursements.synthetic import synthetic_programme
from grants.models import Country, Grant, Objective

# The targets of the performance issue; a figure above one is marked with "!".
TARGET_MEDIAN_MS = 150
TARGET_QUERIES = 15
TARGET_RATIO = 1.5

# Each page: who reads it and its address (given the call being measured).
PAGES = {
    "screening_list": (R.PROGRAMME_OFFICER, lambda call: reverse("screening_list", args=[call.pk])),
    "ranking": (R.PROGRAMME_OFFICER, lambda call: reverse("ranking", args=[call.pk])),
    "api_applications": (R.PROGRAMME_OFFICER, lambda call: f"{reverse('application-list')}?call={call.pk}"),
    "payment_queue": (R.FINANCE_OFFICER, lambda call: reverse("payment_queue")),
    "grant_list": (R.FINANCE_OFFICER, lambda call: reverse("grant_list")),
    "envelope_dashboard": (R.FINANCE_OFFICER, lambda call: reverse("envelope_dashboard")),
    "api_grants": (R.FINANCE_OFFICER, lambda call: reverse("grant-list")),
    "api_payments": (R.FINANCE_OFFICER, lambda call: reverse("payment-list")),
    "report_queue": (R.PROGRAMME_OFFICER, lambda call: reverse("report_queue")),
    "officer_inbox": (R.PROGRAMME_OFFICER, lambda call: reverse("home")),
    "assurance": (R.PROGRAMME_OFFICER, lambda call: reverse("assurance_coverage")),
    "recovery_list": (R.FINANCE_OFFICER, lambda call: reverse("recovery_list")),
    "request_list": (R.FINANCE_OFFICER, lambda call: reverse("grant_request_list")),
}

# Shares of the programme's grants given an open recovery order and an amendment request, so that those two lists
# read as many rows as a programme of this size would show.
RECOVERY_SHARE = 5
REQUEST_SHARE = 4


def _orders_and_requests(user):
    """Open recovery orders and submitted amendment requests on a share of the grants, written in bulk: they are
    read by the lists, not settled or decided, so no ledger row or service rule is involved."""
    today = timezone.localdate()
    grants = list(Grant.objects.order_by("pk").values_list("pk", flat=True))
    RecoveryOrder.objects.bulk_create(
        RecoveryOrder(grant_id=pk, number=1, origin=RecoveryOrigin.MANUAL, amount=Decimal("1250.00"),
                      reason="Benchmark order", due_date=today + timedelta(days=(pk % 60) - 30), issued_by=user)
        for pk in grants[::RECOVERY_SHARE]
    )
    GrantRequest.objects.bulk_create(
        GrantRequest(grant_id=pk, number=1, kind=RequestKind.AMENDMENT, amendment_kind=AmendmentKind.EXTENSION,
                     new_end_date=today + timedelta(days=365), justification="Benchmark request", requested_by=user)
        for pk in grants[::REQUEST_SHARE]
    )


@dataclass
class Measure:
    page: str
    size: int
    median_ms: float
    p90_ms: float
    queries: int
    size_bytes: int
    status: int


def _analyse():
    """Refresh PostgreSQL's table statistics after a bulk build, as autovacuum soon would on a live database:
    without them the planner takes a 20,000-row table for a 17-row one and sorts it whole."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _sizes(value):
    return [int(size) for size in value.split(",")]


def _mark(text, over):
    return f"{text}!" if over else text


class Command(BaseCommand):
    help = (
        "Build a programme of grants and payments and, for each size, a call of scored applications in a scratch "
        "database; time each page (median, p90, queries, size) and print a table with the figures over target marked."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sizes", type=_sizes, default=[2000, 20000], help="applications per call, e.g. 2000,20000")
        parser.add_argument("--grants", type=int, default=2000)
        parser.add_argument("--payments", type=int, default=20000)
        parser.add_argument("--calls", type=int, default=6, help="calls over which the grants are spread")
        parser.add_argument("--reviewers", type=int, default=30)
        parser.add_argument("--warmups", type=int, default=2)
        parser.add_argument("--runs", type=int, default=10)
        parser.add_argument("--page", action="append", choices=list(PAGES), help="time only this page (repeatable)")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, sizes, grants, payments, calls, reviewers, warmups, runs, page, seed, **options):
        pages = page or list(PAGES)
        rnd = random.Random(seed)
        with scratch_database(self.stdout):
            started = time.perf_counter()
            with transaction.atomic():
                programme, _donor = synthetic_programme(grants, payments, calls, rnd)
                readers = {role: User.objects.create_user(email=f"bench-pages-{role}@example.invalid")
                           for role in (R.PROGRAMME_OFFICER, R.FINANCE_OFFICER)}
                for role, user in readers.items():
                    role_grant(actor=None, user=user, role=role)
                _orders_and_requests(readers[R.FINANCE_OFFICER])
            self.stdout.write(
                f"built {Grant.objects.count()} grants, {Payment.objects.count()} payments, "
                f"{RecoveryOrder.objects.count()} recovery orders, {GrantRequest.objects.count()} requests in {time.perf_counter() - started:.1f} s"
            )
            countries = list(Country.objects.order_by("code"))
            objectives = list(Objective.objects.filter(programme=programme).order_by("number"))
            measures = []
            for size in sizes:
                started = time.perf_counter()
                with transaction.atomic():
                    call = synthetic_call(
                        programme=programme, reference=f"S{size}", applications=size, reviewers=reviewers,
                        reviews_per_application=3, rnd=rnd, countries=countries, objectives=objectives, budget_lines=3,
                    )
                _analyse()
                scores = Score.objects.filter(review__assignment__application__call=call).count()
                self.stdout.write(f"built {size} applications, {scores} scores in {time.perf_counter() - started:.1f} s")
                measures += [self._measure(name, size, call, readers, warmups, runs) for name in pages]
        self._print(measures, pages, sizes)

    @override_settings(
        DEBUG=False, ALLOWED_HOSTS=["testserver"],
        SECURE_SSL_REDIRECT=False,  # set when the command itself runs with DEBUG off; the test client speaks http
        # The API's rate limit would refuse the repeated runs; a two-factor sign-in is not what is measured.
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict.fromkeys(
            settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "1000000/min")},
        TWO_FACTOR_REQUIRED_ROLES=[],
    )
    def _measure(self, name, size, call, readers, warmups, runs):
        role, address = PAGES[name]
        url = address(call)
        client = Client(raise_request_exception=False)  # a failing page shows its status and the others still run
        client.force_login(readers[role])
        timings, status = [], 200
        for run in range(warmups + runs):
            reset_queries()  # the build under DEBUG fills the query log, whose bounded length would then not grow
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(url)
                # A streaming response does its work while it is read.
                body = b"".join(response.streaming_content) if response.streaming else response.content
                elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                status = response.status_code
            if run >= warmups:
                timings.append(elapsed)
        ordered = sorted(timings)
        return Measure(
            page=name, size=size, median_ms=statistics.median(ordered),
            p90_ms=ordered[max(math.ceil(0.9 * len(ordered)) - 1, 0)],  # nearest rank
            queries=len(ctx.captured_queries), size_bytes=len(body), status=status,
        )

    def _print(self, measures, pages, sizes):
        self.stdout.write(
            f"\ntargets: median <= {TARGET_MEDIAN_MS} ms, queries <= {TARGET_QUERIES}, ratio of the medians at the "
            f"largest and smallest sizes <= {TARGET_RATIO}; '!' marks a figure above"
        )
        row = "{:<20} {:>7} {:>10} {:>10} {:>8} {:>9} {:>6}"
        self.stdout.write(row.format("page", "size", "median ms", "p90 ms", "queries", "KB", "status"))
        for m in measures:
            self.stdout.write(row.format(
                m.page, m.size, _mark(f"{m.median_ms:.1f}", m.median_ms > TARGET_MEDIAN_MS), f"{m.p90_ms:.1f}",
                _mark(str(m.queries), m.queries > TARGET_QUERIES), f"{m.size_bytes / 1024:.1f}", m.status,
            ))
        if len(set(sizes)) < 2:
            return
        self.stdout.write(f"\nmedian at {max(sizes)} / median at {min(sizes)} applications")
        median = {(m.page, m.size): m.median_ms for m in measures}
        for name in pages:
            ratio = median[name, max(sizes)] / median[name, min(sizes)]
            self.stdout.write(f"{name:<20} {_mark(f'{ratio:.2f}', ratio > TARGET_RATIO):>7}")
