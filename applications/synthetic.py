"""A synthetic call for benchmarks and volume tests: eligible applications from their own organisations, each
reviewed by a panel and scored on every criterion of the PRAG full-application grid.

The call's allocation goes through grants.ledger and its grid through grants.grids; the rows below it
(organisations, applications, their countries and budget lines, assignments, conflict declarations, reviews and
scores) are bulk-inserted, as their number reaches a million scores at 20,000 applications.
"""
from datetime import timedelta
from decimal import Decimal
from itertools import islice

from django.utils import timezone

from accounts.models import Organisation, User
from core.money import EUR
from grants import ledger
from grants.grids import grid_copy_prag_full
from grants.models import Call, CallStatus, Criterion

from .models import Application, ApplicationStatus, Assignment, BudgetLine, ConflictDeclaration, Review, ReviewStatus, Score

BATCH = 5000


def _insert(model, rows):
    """Bulk-insert the generator `rows` a batch at a time, so that a million rows never sit in memory at once."""
    rows = iter(rows)
    while batch := list(islice(rows, BATCH)):
        model.objects.bulk_create(batch)


def synthetic_call(*, programme, reference, applications, reviewers, reviews_per_application, rnd,
                   countries=(), objectives=(), budget_lines=0):
    """Build a closed call of `programme` (which needs its envelope) and return it. Each application is spread over
    one to three of `countries`, takes one of `objectives` in turn and has `budget_lines` lines. Call inside a
    transaction: on SQLite that makes the inserts several times faster."""
    now = timezone.now()
    call = Call.objects.create(
        programme=programme, reference=reference, title=f"Benchmark call {reference}", opens_at=now - timedelta(days=60),
        closes_at=now - timedelta(days=1), min_grant=(Decimal("10000"), EUR), max_grant=(Decimal("300000"), EUR),
        status=CallStatus.PUBLISHED,
    )
    call.countries.set(countries)
    call.objectives.set(objectives)
    ledger.allocation_add(actor=None, call=call, amount="20000000.00")
    grid_copy_prag_full(actor=None, call=call)
    criteria = list(Criterion.objects.filter(section__grid__call=call).values_list("pk", flat=True))
    # Unique per programme and call, so that one database can hold several synthetic calls.
    tag = f"{programme.code}-{reference}".lower()
    owner = User.objects.create_user(email=f"bench-{tag}-owner@example.invalid")
    panel = User.objects.bulk_create(User(email=f"bench-{tag}-reviewer{i}@example.invalid") for i in range(reviewers))
    organisations = Organisation.objects.bulk_create(
        (
            Organisation(legal_name=f"Bench CSO {tag} {i}", country="NP", registration_number=f"{tag}-{i}", org_type="22", verified_at=now)
            for i in range(applications)
        ),
        batch_size=BATCH,
    )
    apps = Application.objects.bulk_create(
        (
            Application(
                call=call, organisation=o, created_by=owner, submitted_by=owner, status=ApplicationStatus.ELIGIBLE,
                title=f"Action {i}", sequence=i + 1, reference=f"{tag.upper()}-{i + 1:05d}", submitted_at=now - timedelta(days=2),
                requested_amount=Decimal(rnd.randrange(20, 300)) * 1000,
                objective=objectives[i % len(objectives)] if objectives else None,
            )
            for i, o in enumerate(organisations)
        ),
        batch_size=BATCH,
    )
    if countries:
        through = Application.countries.through
        _insert(through, (
            through(application_id=app.pk, country_id=country.pk)
            for i, app in enumerate(apps) for country in countries[i % len(countries):][: 1 + i % 3]
        ))
    _insert(BudgetLine, (
        BudgetLine(application_id=app.pk, position=k, heading="1", description=f"Line {k + 1}", unit="month",
                   quantity=12, unit_cost=Decimal(rnd.randrange(500, 3000)))
        for app in apps for k in range(budget_lines)
    ))
    assignments, declarations = [], []
    for i, app in enumerate(apps):
        for k in range(reviews_per_application):
            r = panel[(i * reviews_per_application + k) % reviewers]
            assignments.append(Assignment(application_id=app.pk, reviewer_id=r.pk))
            declarations.append(ConflictDeclaration(application_id=app.pk, reviewer_id=r.pk, has_conflict=False, declared_by_id=r.pk, declared_at=now))
    Assignment.objects.bulk_create(assignments, batch_size=BATCH)
    ConflictDeclaration.objects.bulk_create(declarations, batch_size=BATCH)
    reviews = Review.objects.bulk_create(
        (Review(assignment_id=a.pk, status=ReviewStatus.SUBMITTED, submitted_at=now) for a in assignments), batch_size=BATCH,
    )
    # Scores: the application's quality, the reviewer's leniency and some noise, on the 1-5 scale.
    leniency = {r.pk: rnd.uniform(-1, 1) for r in panel}
    quality = {app.pk: rnd.uniform(1.5, 4.8) for app in apps}
    _insert(Score, (
        Score(review_id=review.pk, criterion_id=criterion, value=max(1, min(5, round(base + rnd.uniform(-0.8, 0.8)))))
        for review, a in zip(reviews, assignments)
        for base in (quality[a.application_id] + leniency[a.reviewer_id],)
        for criterion in criteria
    ))
    return call
