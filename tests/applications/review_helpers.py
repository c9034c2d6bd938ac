"""Builders for review tests, straight on the models: a small grid, reviewers, submitted reviews."""
from decimal import Decimal

from django.utils import timezone

from accounts import roles as R
from applications.models import (
    Application,
    ApplicationStatus,
    Assignment,
    ConflictDeclaration,
    Review,
    ReviewStatus,
    Score,
)
from grants.models import Criterion, EvaluationGrid, GridSection

from ..conftest import make_user
from ..factories import OrganisationFactory


def small_grid(call, *, threshold_a=Decimal("6"), pass_mark=None, stage="full"):
    """Section A (max 10, threshold 6): a1 1-5, a2 1-5 (may be N/A). Section B (max 10): b1 1-5 counting double."""
    grid = EvaluationGrid.objects.create(call=call, name=f"Test grid ({stage})", stage=stage, pass_mark=pass_mark)
    a = GridSection.objects.create(grid=grid, position=0, title="A", threshold=threshold_a)
    b = GridSection.objects.create(grid=grid, position=1, title="B")
    crit = {
        "a1": Criterion.objects.create(section=a, position=0, title="a1"),
        "a2": Criterion.objects.create(section=a, position=1, title="a2", allows_not_applicable=True),
        "b1": Criterion.objects.create(section=b, position=0, title="b1", multiplier=2),
    }
    return grid, crit


_counter = iter(range(1, 10**6))


def eligible_application(call, *, requested="100000.00", sequence=None):
    n = next(_counter)
    organisation = OrganisationFactory(registration_number=f"AGG-{n}")
    user = make_user()
    return Application.objects.create(
        call=call, organisation=organisation, created_by=user, submitted_by=user, status=ApplicationStatus.ELIGIBLE,
        title=f"Application {n}", sequence=sequence or n, reference=f"T-{n:05d}", submitted_at=timezone.now(),
        requested_amount=Decimal(requested),
    )


def reviewer():
    return make_user(R.REVIEWER)


def submitted_review(application, reviewer_user, crit, values, *, conflict=False, status="active"):
    """values: {"a1": 4, "a2": None (N/A), "b1": 3}"""
    ConflictDeclaration.objects.create(
        application=application, reviewer=reviewer_user, has_conflict=conflict, reason="Former employee" if conflict else "",
        declared_by=reviewer_user, declared_at=timezone.now(),
    )
    assignment = Assignment.objects.create(application=application, reviewer=reviewer_user, status=status)
    review = Review.objects.create(assignment=assignment, status=ReviewStatus.SUBMITTED, submitted_at=timezone.now())
    for key, value in values.items():
        Score.objects.create(review=review, criterion=crit[key], value=value, not_applicable=value is None, comment="")
    return review
