"""Time the results dashboard, its CSV and the API's results on a synthetic programme (grants x indicators x
periods x disaggregation cells), in a scratch database created and destroyed here.

The programme and its grants come from disbursements.synthetic (no payments); the results rows are bulk-inserted
with their ids given, in chunks of grants so that memory stays flat: 8 standard indicators (five sums of people, a
maximum, two latest values) disaggregated by sex and nationality (2 x 10 = 20 cells), values and targets for 12
periods of every grant, one value in twenty waiting for review (not counted). Each page is requested through the
test client by a donor observer, DEBUG off: warm-ups, then timed runs (median and p90, queries, bytes). The
dashboard caches its figures until anything changes, so the pages are timed with the cache warm, and the reads it
caches are timed apart ("uncached"): what the first request after a change costs on top.
"""
import math
import random
import statistics
import time
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, reset_queries, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.benchmark import scratch_database
from disbursements.synthetic import synthetic_programme
from grants.models import Grant, Programme
from results.aggregation import achieved_by_period, disaggregated
from results.cells import cell_key
from results.models import (
    Category, Combine, Dimension, IndicatorCell, IndicatorTarget, IndicatorValue, ResultPeriod, ReviewStatus,
    StandardIndicator,
)
from results.selectors import programme_indicators

TARGET_MEDIAN_MS = 150
PERIODS = 12
NATIONALITIES = ["NP", "IN", "BD", "PK", "LK", "MA", "NE", "ML", "CO", "other"]
# (code, combine, counts people)
INDICATORS = [("P1", Combine.SUM, True), ("P2", Combine.SUM, True), ("P3", Combine.SUM, True), ("P4", Combine.SUM, True),
              ("P5", Combine.SUM, True), ("BEDS", Combine.MAXIMUM, False), ("STAFF", Combine.LATEST, False),
              ("CASES", Combine.LATEST, True)]
CHUNK = 100  # grants whose rows are built and inserted at a time


def _analyse():
    """Refresh PostgreSQL's statistics after the bulk build, as autovacuum soon would on a live database."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


class Command(BaseCommand):
    help = ("Build a programme of grants with results (indicators x periods x cells) in a scratch database and time "
            "the results dashboard, its CSV and the API's results (median, p90, queries, bytes).")

    def add_arguments(self, parser):
        parser.add_argument("--grants", type=int, default=2000)
        parser.add_argument("--warmups", type=int, default=2)
        parser.add_argument("--runs", type=int, default=10)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, grants, warmups, runs, seed, **options):
        rnd = random.Random(seed)
        with scratch_database(self.stdout):
            started = time.perf_counter()
            with transaction.atomic():
                programme, donor = synthetic_programme(grants, 0, 6, rnd)
            self.stdout.write(f"built {grants} grants in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            self._build_results(programme, rnd)
            _analyse()
            self.stdout.write(
                f"built {IndicatorValue.objects.count()} values, {IndicatorCell.objects.count()} cells, "
                f"{IndicatorTarget.objects.count()} targets in {time.perf_counter() - started:.1f} s"
            )
            pages = [
                ("dashboard", reverse("results_dashboard"), {}),
                ("dashboard + disaggregation", reverse("results_dashboard"), {"indicator": "P1"}),
                ("dashboard, one period", reverse("results_dashboard"), {"indicator": "P1", "period": "6"}),
                ("CSV", reverse("results_csv"), {"indicator": "P1"}),
                ("API results", reverse("results-list"), {"indicator": "P1"}),
            ]
            measures = [self._measure(name, url, params, donor, warmups, runs) for name, url, params in pages]
            # What a request costs when the cache is cold (after any change): the reads the dashboard caches.
            programme = Programme.objects.get(pk=programme.pk)
            indicators = programme_indicators(programme)
            p1 = next(i for i in indicators if i.code == "P1")
            grants_in_view = Grant.objects.filter(call__programme=programme)
            measures += [
                self._time("uncached: by period and overall", lambda: achieved_by_period(
                    programme, grants=grants_in_view, indicators=indicators), warmups, runs),
                self._time("uncached: P1 cells, all periods", lambda: disaggregated(p1, grants=grants_in_view), warmups, runs),
                self._time("uncached: P1 cells, one period", lambda: disaggregated(p1, grants=grants_in_view, period=6),
                           warmups, runs),
            ]
        self.stdout.write(f"\n{grants} grants on {connection.vendor}; target: dashboard median <= {TARGET_MEDIAN_MS} ms")
        row = "{:<28} {:>10} {:>8} {:>8} {:>9} {:>6}"
        self.stdout.write(row.format("page", "median ms", "p90 ms", "queries", "KB", "status"))
        for name, median, p90, queries, size, status in measures:
            self.stdout.write(row.format(name, f"{median:.1f}", f"{p90:.1f}", queries, f"{size / 1024:.1f}", status))

    def _build_results(self, programme, rnd):
        """Dimensions, indicators, and for every grant its periods, values (with cells) and targets."""
        with transaction.atomic():
            sex = Dimension.objects.create(programme=programme, code="sex", titles={"en": "Sex"}, position=1)
            nationality = Dimension.objects.create(programme=programme, code="nationality", titles={"en": "Nationality"}, position=2)
            Category.objects.bulk_create(
                [Category(dimension=sex, code=code, titles={"en": code.title()}, position=i) for i, code in enumerate(("female", "male"))]
                + [Category(dimension=nationality, code=code, titles={"en": code}, position=i) for i, code in enumerate(NATIONALITIES)]
            )
            indicators = []
            for position, (code, combine, people) in enumerate(INDICATORS, start=1):
                indicator = StandardIndicator.objects.create(
                    programme=programme, code=code, titles={"en": f"Indicator {code}"}, combine=combine,
                    counts_people=people, position=position,
                )
                indicator.dimensions.set([sex, nationality])
                indicators.append(indicator)
        keys = [cell_key([("sex", s), ("nationality", n)]) for s in ("female", "male") for n in NATIONALITIES]
        grant_ids = list(Grant.objects.filter(call__programme=programme).order_by("pk").values_list("pk", flat=True))
        period_id = value_id = cell_id = target_id = 0
        for start in range(0, len(grant_ids), CHUNK):
            periods, values, cells, targets = [], [], [], []
            for grant_id in grant_ids[start:start + CHUNK]:
                for number in range(1, PERIODS + 1):
                    period_id += 1
                    periods.append(ResultPeriod(id=period_id, grant_id=grant_id, number=number,
                                                start=date(2020 + (number - 1) // 4, 1, 1), end=date(2020 + (number - 1) // 4, 12, 31)))
                    for indicator in indicators:
                        value_id += 1
                        # Small counts are frequent: most cells 0 to 12.
                        amounts = [rnd.choice((0, 0, 1, 2, 3, 5, 8, 12)) for _key in keys]
                        values.append(IndicatorValue(
                            id=value_id, period_id=period_id, indicator=indicator, total=sum(amounts),
                            review_status=ReviewStatus.SUBMITTED if rnd.random() < 0.05 else ReviewStatus.ACCEPTED,
                        ))
                        for key, amount in zip(keys, amounts, strict=True):
                            cell_id += 1
                            cells.append(IndicatorCell(id=cell_id, value_id=value_id, key=key, amount=amount))
                        target_id += 1
                        targets.append(IndicatorTarget(id=target_id, period_id=period_id, indicator=indicator,
                                                       target=Decimal(rnd.randrange(40, 160))))
            with transaction.atomic():
                ResultPeriod.objects.bulk_create(periods, batch_size=5000)
                IndicatorValue.objects.bulk_create(values, batch_size=5000)
                IndicatorCell.objects.bulk_create(cells, batch_size=5000)
                IndicatorTarget.objects.bulk_create(targets, batch_size=5000)

    def _time(self, name, run, warmups, runs):
        timings = []
        for index in range(warmups + runs):
            reset_queries()
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                run()
                elapsed = (time.perf_counter() - started) * 1000
            if index >= warmups:
                timings.append(elapsed)
        ordered = sorted(timings)
        return (name, statistics.median(ordered), ordered[max(math.ceil(0.9 * len(ordered)) - 1, 0)],
                len(ctx.captured_queries), 0, "-")

    @override_settings(
        DEBUG=False, ALLOWED_HOSTS=["testserver"],
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": dict.fromkeys(
            settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "1000000/min")},
        TWO_FACTOR_REQUIRED_ROLES=[],
    )
    def _measure(self, name, url, params, reader, warmups, runs):
        client = Client(raise_request_exception=False)
        client.force_login(reader)
        timings, status, body = [], 200, b""
        for run in range(warmups + runs):
            reset_queries()
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(url, params)
                body = b"".join(response.streaming_content) if response.streaming else response.content
                elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                status = response.status_code
            if run >= warmups:
                timings.append(elapsed)
        ordered = sorted(timings)
        return (name, statistics.median(ordered), ordered[max(math.ceil(0.9 * len(ordered)) - 1, 0)],
                len(ctx.captured_queries), len(body), status)
