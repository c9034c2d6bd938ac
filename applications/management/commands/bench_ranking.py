"""Benchmark aggregation and ranking on a synthetic call, in a scratch database created and destroyed here."""
import random
import time
from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from applications.aggregation import call_results
from applications.awards import award_proposal
from applications.models import Application, Assignment, AssignmentStatus, Review, ReviewStatus, Score
from applications.synthetic import synthetic_call
from core.benchmark import scratch_database, time_runs
from core.money import EUR
from grants.models import Criterion, Envelope, Programme

# The floor to compare with: one hand-written GROUP BY giving each application's mean weighted total (the synthetic
# call has no "not applicable" scores, so no rescaling is needed for the same totals).
BARE_SQL = f"""
    SELECT per_review.application_id, AVG(per_review.total) FROM (
        SELECT asg.application_id, rev.id, SUM(sco.value * cri.multiplier) AS total
        FROM {Score._meta.db_table} sco
        JOIN {Review._meta.db_table} rev ON rev.id = sco.review_id
        JOIN {Assignment._meta.db_table} asg ON asg.id = rev.assignment_id
        JOIN {Application._meta.db_table} app ON app.id = asg.application_id
        JOIN {Criterion._meta.db_table} cri ON cri.id = sco.criterion_id
        WHERE app.call_id = %s AND rev.status = %s AND asg.status = %s AND sco.value IS NOT NULL
        GROUP BY asg.application_id, rev.id
    ) per_review GROUP BY per_review.application_id
"""


def _bare_sql(call):
    with connection.cursor() as cursor:
        cursor.execute(BARE_SQL, [call.pk, ReviewStatus.SUBMITTED, AssignmentStatus.ACTIVE])
        return cursor.fetchall()


class Command(BaseCommand):
    help = "Build a synthetic call (applications x 3 reviews x the PRAG grid) in a scratch database and time aggregation and ranking."

    def add_arguments(self, parser):
        parser.add_argument("--applications", type=int, default=2000)
        parser.add_argument("--reviewers", type=int, default=30)
        parser.add_argument("--reviews-per-application", type=int, default=3)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--repeat", type=int, default=3, help="runs of each timing (the best is kept); more on a busy machine")

    def handle(self, *args, applications, reviewers, reviews_per_application, seed, repeat, **options):
        with scratch_database(self.stdout):
            started = time.perf_counter()
            call = self._build(applications, reviewers, reviews_per_application, random.Random(seed))
            built = time.perf_counter() - started
            scores = Score.objects.filter(review__assignment__application__call=call).count()
            self.stdout.write(f"built {applications} applications, {scores} scores in {built:.1f} s")
            timings = time_runs(self.stdout, (
                ("bare SQL GROUP BY (mean total per application)", lambda: _bare_sql(call)),
                ("aggregation (call_results)", lambda: call_results(call)),
                ("aggregation + ranking + award proposal", lambda: award_proposal(call)),
            ), repeat=repeat)
            bare, aggregation = timings["bare SQL GROUP BY (mean total per application)"], timings["aggregation (call_results)"]
            self.stdout.write(f"call_results / bare SQL: {aggregation[0] / bare[0]:.1f}x")
            results, proposals, _remaining = timings["aggregation + ranking + award proposal"][2]
            self.stdout.write(
                f"ranked {len(results.ranked)}, eliminated {len(results.eliminated)}, unreviewed {len(results.unreviewed)}; "
                f"proposed awards {sum(1 for p in proposals if p.outcome == 'award')}"
            )

    def _build(self, n_apps, n_reviewers, per_app, rnd):
        now = timezone.now()
        programme = Programme.objects.create(
            code="BENCH", name="Benchmark", short_name="Bench", donor="EU", agency="UN",
            start_date=now.date(), end_date=now.date() + timedelta(days=1500),
        )
        Envelope.objects.create(programme=programme, amount=(Decimal("100000000"), EUR))
        return synthetic_call(
            programme=programme, reference="B01", applications=n_apps, reviewers=n_reviewers,
            reviews_per_application=per_app, rnd=rnd,
        )
