"""A reviewer's inbox: declarations and scores outstanding on their own panels, with the review deadline."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import roles as R
from applications.models import ApplicationStatus

from ..conftest import make_user
from ..factories import CallFactory
from .builders import application, assigned, closed_call, declared, items_of, panel, queries_of

pytestmark = pytest.mark.django_db


def test_declarations_and_scores_outstanding_with_the_deadline(reviewer, programme):
    deadline = timezone.now() + timedelta(days=10)
    call = closed_call(programme, reference="REV", review_deadline=deadline)
    colleague = make_user(R.REVIEWER)
    panel(call, reviewer, colleague)
    application(call, status=ApplicationStatus.ELIGIBLE)  # to declare
    application(call, status=ApplicationStatus.ELIGIBLE)  # to declare
    assigned(application(call, status=ApplicationStatus.ELIGIBLE), reviewer)  # to score
    assigned(application(call, status=ApplicationStatus.ELIGIBLE), reviewer, submitted=True)  # done: no item
    declared(application(call, status=ApplicationStatus.ELIGIBLE), reviewer, conflict=True)  # conflict: nothing
    assigned(application(call, status=ApplicationStatus.AWARDED), reviewer)  # decided: nothing to score
    application(call, status=ApplicationStatus.SUBMITTED)  # not screened yet: not the panel's
    assigned(application(call, status=ApplicationStatus.ELIGIBLE), colleague)  # the colleague's: only to declare

    declare, score = items_of(reviewer, R.REVIEWER)
    assert (declare.text, declare.count) == ("3 conflict-of-interest declarations to make for REV", 3)
    assert (score.text, score.count) == ("1 application of REV to score", 1)
    assert score.due == deadline and not score.overdue
    assert score.url == f"/reviews/#call-{call.pk}"


def test_overdue_reviews_are_marked_and_submitted_ones_leave_the_inbox(reviewer, programme):
    call = closed_call(programme, reference="LATE", review_deadline=timezone.now() - timedelta(days=1))
    panel(call, reviewer)
    assignment = assigned(application(call, status=ApplicationStatus.ELIGIBLE), reviewer)
    (score,) = items_of(reviewer, R.REVIEWER)
    assert score.overdue
    assignment.review.status = "submitted"
    assignment.review.save(update_fields=["status"])
    assert items_of(reviewer, R.REVIEWER) == []


def test_nothing_to_score_before_the_call_closes(reviewer, programme):
    call = CallFactory(programme=programme)
    panel(call, reviewer)
    assigned(application(call, status=ApplicationStatus.ELIGIBLE), reviewer)
    assert items_of(reviewer, R.REVIEWER) == []


def test_queries_do_not_grow_with_items(reviewer, programme):
    def add(n):
        for _ in range(n):
            call = closed_call(programme)
            panel(call, reviewer)
            application(call, status=ApplicationStatus.ELIGIBLE)
            assigned(application(call, status=ApplicationStatus.ELIGIBLE), reviewer)

    add(5)
    few, items_few = queries_of(reviewer, R.REVIEWER)
    add(45)
    many, items_many = queries_of(reviewer, R.REVIEWER)
    assert (items_few, items_many) == (10, 100)
    assert few == many <= 5
