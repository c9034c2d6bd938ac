"""Scoring services: who may score what and when, saving drafts, submitting, locking and reopening."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts import roles as R
from accounts.models import MemberRole
from accounts.services import membership_set
from applications import scoring, services
from applications.models import (
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    ConflictDeclaration,
    Review,
    ReviewStatus,
    Score,
)
from audit.models import AuditEvent
from core.errors import DomainError
from grants.models import Call, Criterion, EvaluationGrid, GridSection, GridStage

from ..conftest import make_user
from ..factories import CallFactory, OrganisationFactory
from .helpers import complete_draft, rules_call

# ---- builders (also used by the page and browser tests) ---------------------------------------------------------


def make_grid(call, *, extra_criteria=0):
    """A small full-application grid: capacity (threshold 12 of 20) and relevance, one criterion counting double,
    one that may be marked not applicable; `extra_criteria` more in a third section."""
    grid = EvaluationGrid.objects.create(call=call, name=f"{call.reference} full application", stage=GridStage.FULL_APPLICATION)
    capacity = GridSection.objects.create(grid=grid, position=1, title="Financial and operational capacity", threshold=Decimal("12"))
    relevance = GridSection.objects.create(grid=grid, position=2, title="Relevance of the action")
    Criterion.objects.create(section=capacity, position=1, title="Experience in managing similar actions", multiplier=2,
                             guidance="Look at projects of a similar size in the last five years.")
    Criterion.objects.create(section=capacity, position=2, title="Management capacity")
    Criterion.objects.create(section=relevance, position=1, title="Relevance to the objectives of the call", multiplier=2)
    Criterion.objects.create(section=relevance, position=2, title="Involvement of local partners", allows_not_applicable=True)
    if extra_criteria:
        more = GridSection.objects.create(grid=grid, position=3, title="Sustainability")
        Criterion.objects.bulk_create(Criterion(section=more, position=i, title=f"Extra criterion {i}") for i in range(extra_criteria))
    return grid


def criteria(call):
    return list(Criterion.objects.filter(section__grid__call=call).order_by("section__position", "position"))


def eligible_application(call, screener, **overrides):
    """An application submitted to the (still open) call and screened eligible."""
    organisation = OrganisationFactory(registration_number=f"SC-{Application.objects.count()}-{call.pk}")
    editor = make_user(R.APPLICANT)
    membership_set(actor=None, organisation=organisation, user=editor, role=MemberRole.EDITOR)
    application = complete_draft(actor=editor, call=call, organisation=organisation, **overrides)
    services.application_submit(actor=editor, application=application)
    checks = dict(on_time=True, complete=True, applicant_eligible=True, action_eligible=True, costs_eligible=True)
    services.screening_record(actor=screener, application=application, **checks)
    application.refresh_from_db()
    return application


def close_call(call):
    Call.objects.filter(pk=call.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    call.refresh_from_db()


def assign(application, reviewer, *, conflict=""):
    """Declaration and assignment written directly, as the assignment pages will: no conflict unless a reason is given."""
    ConflictDeclaration.objects.create(
        application=application, reviewer=reviewer, has_conflict=bool(conflict), reason=conflict,
        declared_by=reviewer, declared_at=timezone.now(),
    )
    assignment = Assignment.objects.create(application=application, reviewer=reviewer)
    assign_perm("applications.review_application", reviewer, application)
    return assignment


def full_scores(call, *, lowest_comment="Weak track record.", value=4):
    """Every criterion scored: the first one at the lowest score (with `lowest_comment`), the rest at `value`."""
    items = criteria(call)
    scores = {c.pk: (value, False, f"Comment on {c.title}") for c in items}
    scores[items[0].pk] = (items[0].scale_min, False, lowest_comment)
    return scores


@pytest.fixture
def review_call(programme):
    call = rules_call(programme)
    make_grid(call)
    return call


@pytest.fixture
def application(review_call, officer):
    application = eligible_application(review_call, officer)
    close_call(review_call)
    return application


@pytest.fixture
def assignment(application, reviewer):
    return assign(application, reviewer)


@pytest.fixture
def review(assignment, reviewer):
    return scoring.review_open(actor=reviewer, assignment=assignment)


def _verbs(review):
    return list(AuditEvent.objects.filter(target_id=str(review.pk), verb__startswith="review.").order_by("id").values_list("verb", flat=True))


def _refused(code, fn, **kwargs):
    with pytest.raises(DomainError) as info:
        fn(**kwargs)
    assert info.value.code == code, info.value.message
    return info.value


# ---- opening ---------------------------------------------------------------------------------------------------


def test_open_starts_a_review_with_one_empty_score_per_criterion(review, review_call):
    assert review.status == ReviewStatus.DRAFT and review.submitted_at is None
    assert sorted(review.scores.values_list("criterion_id", flat=True)) == sorted(c.pk for c in criteria(review_call))
    assert not review.scores.exclude(value=None).exists()
    assert _verbs(review) == ["review.open"]


def test_opening_again_returns_the_same_review(review, assignment, reviewer):
    again = scoring.review_open(actor=reviewer, assignment=assignment)
    assert again.pk == review.pk and Review.objects.count() == 1 and Score.objects.count() == 4
    assert _verbs(review) == ["review.open"]


def test_a_criterion_added_to_the_grid_later_is_added_to_a_draft(review, assignment, reviewer, review_call):
    section = GridSection.objects.filter(grid__call=review_call).first()
    late = Criterion.objects.create(section=section, position=9, title="Added later")
    scoring.review_open(actor=reviewer, assignment=assignment)
    assert review.scores.filter(criterion=late).exists()


def test_open_refused_before_the_deadline(review_call, officer, reviewer):
    application = eligible_application(review_call, officer)  # the call is still open
    error = _refused("call_open", scoring.review_open, actor=reviewer, assignment=assign(application, reviewer))
    assert "UTC" in error.message
    assert not Review.objects.exists()


def test_scoring_opens_at_the_deadline_itself(application, assignment, reviewer):
    moment = application.call.closes_at
    assert scoring.review_open(actor=reviewer, assignment=assignment, now=moment).pk


@pytest.mark.parametrize("status", [ApplicationStatus.SUBMITTED, ApplicationStatus.INELIGIBLE, ApplicationStatus.WITHDRAWN])
def test_open_refused_unless_eligible(application, reviewer, status):
    Application.objects.filter(pk=application.pk).update(status=status)
    _refused("not_eligible", scoring.review_open, actor=reviewer, assignment=assign(application, reviewer))
    assert not Review.objects.exists()


def test_open_refused_for_another_reviewer(assignment):
    intruder = make_user(R.REVIEWER)
    _refused("forbidden", scoring.review_open, actor=intruder, assignment=assignment)


def test_open_refused_without_the_reviewer_role(assignment, reviewer):
    reviewer.groups.clear()
    fresh = type(reviewer).objects.get(pk=reviewer.pk)  # roles are cached per user object
    _refused("forbidden", scoring.review_open, actor=fresh, assignment=assignment)


@pytest.mark.parametrize("status", [AssignmentStatus.DECLINED, AssignmentStatus.REMOVED])
def test_open_refused_when_no_longer_assigned(assignment, reviewer, status):
    Assignment.objects.filter(pk=assignment.pk).update(status=status)
    _refused("not_assigned", scoring.review_open, actor=reviewer, assignment=assignment)


def test_open_refused_without_a_declaration(assignment, reviewer):
    ConflictDeclaration.objects.all().delete()
    _refused("not_declared", scoring.review_open, actor=reviewer, assignment=assignment)


def test_open_refused_with_a_declared_conflict(application, reviewer):
    assignment = assign(application, reviewer, conflict="I worked for this organisation until last year.")
    _refused("conflict", scoring.review_open, actor=reviewer, assignment=assignment)
    assert not Review.objects.exists()


def test_open_refused_when_the_call_has_no_grid(assignment, reviewer):
    EvaluationGrid.objects.all().delete()
    _refused("no_grid", scoring.review_open, actor=reviewer, assignment=assignment)


def test_a_concept_note_grid_is_not_the_full_grid(assignment, reviewer, review_call):
    EvaluationGrid.objects.filter(call=review_call).update(stage=GridStage.CONCEPT_NOTE)
    _refused("no_grid", scoring.review_open, actor=reviewer, assignment=assignment)


def test_after_a_decision_a_review_opens_read_only_and_none_starts(review, assignment, reviewer, application):
    Application.objects.filter(pk=application.pk).update(status=ApplicationStatus.AWARDED)
    opened = scoring.review_open(actor=reviewer, assignment=assignment)
    assert opened.pk == review.pk and not scoring.review_is_editable(opened)
    _refused("decided", scoring.review_save, actor=reviewer, review=review, scores={}, overall_comment="")
    _refused("decided", scoring.review_submit, actor=reviewer, review=review)
    other = make_user(R.REVIEWER)
    _refused("decided", scoring.review_open, actor=other, assignment=assign(application, other))


# ---- saving ----------------------------------------------------------------------------------------------------


def test_partial_save_keeps_what_was_given(review, reviewer, review_call):
    first, second, *_ = criteria(review_call)
    scoring.review_save(
        actor=reviewer, review=review, overall_comment="  Promising.  ",
        scores={first.pk: (3, False, "  Solid experience. "), second.pk: (None, False, "to check")},
    )
    saved = {s.criterion_id: s for s in review.scores.all()}
    assert (saved[first.pk].value, saved[first.pk].comment) == (3, "Solid experience.")
    assert (saved[second.pk].value, saved[second.pk].comment) == (None, "to check")
    review.refresh_from_db()
    assert review.overall_comment == "Promising." and review.status == ReviewStatus.DRAFT
    event = AuditEvent.objects.get(verb="review.save")
    assert event.actor == reviewer and event.data["criteria"] == sorted([first.pk, second.pk])


@pytest.mark.parametrize("value", [0, 6, -1, "3", 2.5, True])
def test_out_of_scale_is_refused_on_its_criterion_and_nothing_saved(review, reviewer, review_call, value):
    first, second, *_ = criteria(review_call)
    with pytest.raises(scoring.ScoresRefused) as info:
        scoring.review_save(actor=reviewer, review=review, overall_comment="x",
                            scores={first.pk: (4, False, "fine"), second.pk: (value, False, "")})
    assert list(info.value.problems) == [second.pk]
    assert "from 1 to 5" in info.value.problems[second.pk]
    assert not review.scores.exclude(value=None).exists() and not review.scores.exclude(comment="").exists()
    assert Review.objects.get(pk=review.pk).overall_comment == ""
    assert not AuditEvent.objects.filter(verb="review.save").exists()


def test_a_wider_scale_is_respected(review, reviewer, review_call):
    criterion = criteria(review_call)[1]
    Criterion.objects.filter(pk=criterion.pk).update(scale_min=0, scale_max=10)
    scoring.review_save(actor=reviewer, review=review, scores={criterion.pk: (10, False, "")})
    assert review.scores.get(criterion=criterion).value == 10


def test_not_applicable_only_where_allowed(review, reviewer, review_call):
    first, _, _, partners = criteria(review_call)
    with pytest.raises(scoring.ScoresRefused) as info:
        scoring.review_save(actor=reviewer, review=review, scores={first.pk: (None, True, "")})
    assert info.value.problems == {first.pk: "This criterion cannot be marked not applicable."}
    scoring.review_save(actor=reviewer, review=review, scores={partners.pk: (None, True, "No partners planned.")})
    score = review.scores.get(criterion=partners)
    assert score.not_applicable and score.value is None


def test_a_score_and_not_applicable_together_are_refused(review, reviewer, review_call):
    partners = criteria(review_call)[3]
    with pytest.raises(scoring.ScoresRefused) as info:
        scoring.review_save(actor=reviewer, review=review, scores={partners.pk: (3, True, "")})
    assert partners.pk in info.value.problems


def test_a_criterion_of_another_grid_is_refused(review, reviewer, programme):
    other_call = CallFactory(programme=programme)
    make_grid(other_call)
    _refused("unknown_criterion", scoring.review_save, actor=reviewer, review=review,
             scores={criteria(other_call)[0].pk: (3, False, "")})


def test_save_refused_for_another_reviewer(review, review_call):
    intruder = make_user(R.REVIEWER)
    _refused("forbidden", scoring.review_save, actor=intruder, review=review, scores={criteria(review_call)[0].pk: (5, False, "")})


def test_save_refused_once_a_conflict_is_recorded(review, reviewer, review_call):
    ConflictDeclaration.objects.filter(reviewer=reviewer).update(has_conflict=True, reason="Recorded by an officer.")
    _refused("conflict", scoring.review_save, actor=reviewer, review=review, scores={criteria(review_call)[0].pk: (5, False, "")})
    assert not review.scores.exclude(value=None).exists()


# ---- submitting ------------------------------------------------------------------------------------------------


def test_submit_incomplete_lists_each_missing_criterion(review, reviewer, review_call):
    first, second, third, partners = criteria(review_call)
    scoring.review_save(actor=reviewer, review=review, scores={first.pk: (4, False, "")})
    with pytest.raises(scoring.ScoresRefused) as info:
        scoring.review_submit(actor=reviewer, review=review)
    assert info.value.problems == {
        second.pk: "Score this criterion.", third.pk: "Score this criterion.",
        partners.pk: "Score this criterion or mark it not applicable.",
    }
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.DRAFT


def test_submit_needs_a_comment_on_each_lowest_score(review, reviewer, review_call):
    first, second, *_ = criteria(review_call)
    scores = full_scores(review_call, lowest_comment="   ")
    scores[second.pk] = (1, False, "")
    scoring.review_save(actor=reviewer, review=review, scores=scores)
    with pytest.raises(scoring.ScoresRefused) as info:
        scoring.review_submit(actor=reviewer, review=review)
    assert info.value.problems == {first.pk: "Explain the lowest score in a comment.", second.pk: "Explain the lowest score in a comment."}


def test_submit_locks_the_review(review, reviewer, review_call):
    scores = full_scores(review_call)
    partners = criteria(review_call)[3]
    scores[partners.pk] = (None, True, "")  # not applicable counts as answered
    scoring.review_save(actor=reviewer, review=review, scores=scores)
    submitted = scoring.review_submit(actor=reviewer, review=review)
    assert submitted.status == ReviewStatus.SUBMITTED and submitted.submitted_at is not None
    assert not scoring.review_is_editable(submitted)
    event = AuditEvent.objects.get(verb="review.submit")
    assert event.data["scores"][str(partners.pk)] == "n/a" and event.data["scores"][str(criteria(review_call)[0].pk)] == 1
    error = _refused("locked", scoring.review_save, actor=reviewer, review=review, scores={partners.pk: (5, False, "")})
    assert "locked" in error.message
    _refused("locked", scoring.review_submit, actor=reviewer, review=review)
    assert review.scores.get(criterion=partners).not_applicable


def test_submit_refused_for_another_reviewer(review, reviewer, review_call):
    scoring.review_save(actor=reviewer, review=review, scores=full_scores(review_call))
    _refused("forbidden", scoring.review_submit, actor=make_user(R.REVIEWER), review=review)


def test_two_reviewers_score_the_same_application_separately(review, reviewer, application, review_call):
    colleague = make_user(R.REVIEWER)
    theirs = scoring.review_open(actor=colleague, assignment=assign(application, colleague))
    scoring.review_save(actor=reviewer, review=review, scores=full_scores(review_call, value=5))
    scoring.review_save(actor=colleague, review=theirs, scores=full_scores(review_call, value=2))
    assert set(review.scores.exclude(criterion=criteria(review_call)[0]).values_list("value", flat=True)) == {5}
    assert set(theirs.scores.exclude(criterion=criteria(review_call)[0]).values_list("value", flat=True)) == {2}


def test_sheet_groups_scores_by_section_with_points(review, reviewer, review_call):
    first, second, third, partners = criteria(review_call)
    scoring.review_save(actor=reviewer, review=review, scores={first.pk: (4, False, ""), second.pk: (3, False, ""), partners.pk: (None, True, "")})
    capacity, relevance = scoring.review_sheet(review)
    assert capacity.section.title == "Financial and operational capacity"
    assert (capacity.points, capacity.max_points, capacity.is_started) == (11, 15, True)  # 4 x 2 + 3 of 10 + 5
    assert [s.criterion_id for s in relevance.scores] == [third.pk, partners.pk]
    assert (relevance.points, relevance.max_points, relevance.is_started) == (0, 10, True)  # not applicable leaves it


# ---- reopening -------------------------------------------------------------------------------------------------


@pytest.fixture
def submitted(review, reviewer, review_call):
    scoring.review_save(actor=reviewer, review=review, scores=full_scores(review_call))
    return scoring.review_submit(actor=reviewer, review=review)


def test_officer_reopens_with_a_reason_and_the_reviewer_is_told(submitted, officer, reviewer, review_call, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reopened = scoring.review_reopen(actor=officer, review=submitted, reason="  Criterion 2 comment is missing detail. ")
    assert reopened.status == ReviewStatus.DRAFT and reopened.submitted_at is None
    event = AuditEvent.objects.get(verb="review.reopen")
    assert event.actor == officer and event.data["reason"] == "Criterion 2 comment is missing detail."
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [reviewer.email]
    assert "Criterion 2 comment is missing detail." in mailoutbox[0].body and reopened.assignment.application.reference in mailoutbox[0].subject
    # The reviewer can change it and submit again; the scores were kept.
    assert reopened.scores.exclude(value=None).count() == 4
    scoring.review_save(actor=reviewer, review=reopened, scores={criteria(review_call)[1].pk: (5, False, "More detail.")})
    assert scoring.review_submit(actor=reviewer, review=reopened).status == ReviewStatus.SUBMITTED


def test_administrator_may_reopen(submitted, administrator):
    assert scoring.review_reopen(actor=administrator, review=submitted, reason="Typo in a score.").status == ReviewStatus.DRAFT


@pytest.mark.parametrize("role", [R.REVIEWER, R.FINANCE_OFFICER, R.DONOR_OBSERVER, R.APPLICANT])
def test_reopen_refused_to_others(submitted, role, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _refused("forbidden", scoring.review_reopen, actor=make_user(role), review=submitted, reason="Please change it.")
    assert Review.objects.get(pk=submitted.pk).status == ReviewStatus.SUBMITTED and not mailoutbox


def test_the_reviewer_cannot_reopen_their_own_review(submitted, reviewer):
    _refused("forbidden", scoring.review_reopen, actor=reviewer, review=submitted, reason="I changed my mind.")


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_reopen_needs_a_reason(submitted, officer, reason):
    error = _refused("reason_required", scoring.review_reopen, actor=officer, review=submitted, reason=reason)
    assert error.field == "reason"
    assert Review.objects.get(pk=submitted.pk).status == ReviewStatus.SUBMITTED
    assert not AuditEvent.objects.filter(verb="review.reopen").exists()


def test_only_a_submitted_review_is_reopened(review, officer):
    _refused("not_submitted", scoring.review_reopen, actor=officer, review=review, reason="Why not.")


def test_reopen_refused_after_a_decision(submitted, officer, application):
    Application.objects.filter(pk=application.pk).update(status=ApplicationStatus.REJECTED)
    _refused("decided", scoring.review_reopen, actor=officer, review=submitted, reason="Too late.")


def test_reopen_refused_when_the_reviewer_was_removed(submitted, officer, assignment):
    Assignment.objects.filter(pk=assignment.pk).update(status=AssignmentStatus.REMOVED)
    _refused("not_assigned", scoring.review_reopen, actor=officer, review=submitted, reason="Change it.")


# ---- the reviewer's own access check ---------------------------------------------------------------------------


def test_assignment_for_reviewer_finds_only_their_active_unconflicted_assignment(assignment, reviewer):
    assert scoring.assignment_for_reviewer(reviewer, assignment.pk) == assignment
    with pytest.raises(Http404):
        scoring.assignment_for_reviewer(make_user(R.REVIEWER), assignment.pk)


@pytest.mark.parametrize("change", ["declined", "conflict", "undeclared"])
def test_assignment_for_reviewer_404s(assignment, reviewer, change):
    if change == "declined":
        Assignment.objects.filter(pk=assignment.pk).update(status=AssignmentStatus.DECLINED)
    elif change == "conflict":
        ConflictDeclaration.objects.filter(reviewer=reviewer).update(has_conflict=True, reason="Board member.")
    else:
        ConflictDeclaration.objects.all().delete()
    with pytest.raises(Http404):
        scoring.assignment_for_reviewer(reviewer, assignment.pk)
