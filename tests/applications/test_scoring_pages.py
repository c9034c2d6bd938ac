"""The reviewer's score page and the officer's review progress page: access, input kept on errors, locking,
no reviewer ever seeing another's scores, and a fixed number of queries."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles as R
from applications import scoring
from applications.models import Application, ApplicationStatus, Assignment, AssignmentStatus, ConflictDeclaration, Review, ReviewStatus
from grants.models import CallStatus, Criterion

from ..conftest import make_user
from ..factories import CallFactory
from .helpers import rules_call
from . import test_scoring
from .test_scoring import assign, close_call, criteria, eligible_application, full_scores, make_grid

# The scenario the service tests build: an eligible application to a closed call, assigned to `reviewer`.
review_call, application, assignment = test_scoring.review_call, test_scoring.application, test_scoring.assignment

def score_url(assignment):
    return f"/reviews/assignments/{assignment.pk}/score/"


def progress_url(call):
    return f"/screening/calls/{call.pk}/reviews/"


def post_data(call, scores=None, *, action="save", overall=""):
    """The form as a browser sends it: a radio value, the NA box and the comment per criterion."""
    data = {"action": action, "overall_comment": overall}
    for criterion_id, (value, not_applicable, comment) in (scores or {}).items():
        if value is not None:
            data[f"c{criterion_id}"] = str(value)
        if not_applicable:
            data[f"c{criterion_id}_na"] = "on"
        data[f"c{criterion_id}_comment"] = comment
    return data


# ---- access ----------------------------------------------------------------------------------------------------


def test_the_assigned_reviewer_sees_the_application_and_the_grid(client, reviewer, assignment, application, review_call):
    client.force_login(reviewer)
    response = client.get(score_url(assignment))
    assert response.status_code == 200
    body = response.content.decode()
    assert application.title in body and "Case workers" in body  # the application content, with its budget
    assert "Financial and operational capacity" in body and "Look at projects of a similar size" in body
    first, _, _, partners = criteria(review_call)
    assert body.count(f'name="c{first.pk}"') == 5  # radios 1 to 5
    assert f'name="c{partners.pk}_na"' in body and f'name="c{first.pk}_na"' not in body
    assert "1 – very poor" in body and "Counts 2 times." in body and "below 12 eliminates" in body


def test_login_required(client, assignment, review_call):
    for url in (score_url(assignment), progress_url(review_call)):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", [R.PROGRAMME_OFFICER, R.ADMINISTRATOR, R.FINANCE_OFFICER, R.DONOR_OBSERVER, R.APPLICANT, None])
def test_score_page_refuses_other_roles(client, assignment, role):
    client.force_login(make_user(role) if role else make_user())
    assert client.get(score_url(assignment)).status_code == 403
    assert client.post(score_url(assignment), {}).status_code == 403


def test_another_reviewer_gets_404(client, assignment):
    client.force_login(make_user(R.REVIEWER))
    assert client.get(score_url(assignment)).status_code == 404
    assert client.post(score_url(assignment), {"action": "save"}).status_code == 404
    assert not Review.objects.exists()


@pytest.mark.parametrize("change", ["conflict", "declined", "undeclared", "no_permission"])
def test_no_longer_allowed_reviewer_gets_404(client, reviewer, assignment, application, change):
    from guardian.shortcuts import remove_perm

    if change == "conflict":
        ConflictDeclaration.objects.filter(reviewer=reviewer).update(has_conflict=True, reason="Former employee.")
    elif change == "declined":
        Assignment.objects.filter(pk=assignment.pk).update(status=AssignmentStatus.DECLINED)
    elif change == "undeclared":
        ConflictDeclaration.objects.all().delete()
    else:
        remove_perm("applications.review_application", reviewer, application)
    client.force_login(reviewer)
    assert client.get(score_url(assignment)).status_code == 404


def test_missing_assignment_is_404(client, reviewer):
    client.force_login(reviewer)
    assert client.get("/reviews/assignments/999999/score/").status_code == 404


def test_before_the_deadline_the_page_says_so_without_the_content(client, reviewer, review_call, officer):
    application = eligible_application(review_call, officer, summary="Confidential plan for shelters.")
    assignment = assign(application, reviewer)
    client.force_login(reviewer)
    response = client.get(score_url(assignment))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Scoring starts when the call closes" in body and "Confidential plan for shelters." not in body
    assert client.post(score_url(assignment), {"action": "save"}).status_code == 400
    assert not Review.objects.exists()


# ---- scoring through the page ----------------------------------------------------------------------------------


def test_save_come_back_submit_then_locked(client, reviewer, assignment, review_call):
    client.force_login(reviewer)
    first, second, third, partners = criteria(review_call)
    response = client.post(score_url(assignment), post_data(review_call, {first.pk: (4, False, "Good record"), partners.pk: (None, True, "")}, overall="So far so good"))
    assert response.status_code == 302 and response["Location"] == score_url(assignment)
    body = client.get(score_url(assignment)).content.decode()
    assert "Your scores are saved." in body
    assert re.search(rf'name="c{first.pk}" value="4"[^>]*checked', body)
    assert "Good record" in body and "So far so good" in body
    assert "Points saved: 8 of 15" in body  # 4 x 2, of (5 x 2 + 5)
    assert "Your total, as saved" in body and "8 / 25" in body  # the criterion marked not applicable left the total

    scores = full_scores(review_call)
    response = client.post(score_url(assignment), post_data(review_call, scores, action="submit"))
    assert response.status_code == 302
    review = Review.objects.get(assignment=assignment)
    assert review.status == ReviewStatus.SUBMITTED
    body = client.get(score_url(assignment)).content.decode()
    assert "Your review is submitted. It is now locked." in body and "It is locked" in body
    assert 'type="radio"' not in body and "Submit the review" not in body
    assert "Weak track record." in body

    # Posting again changes nothing.
    response = client.post(score_url(assignment), post_data(review_call, {second.pk: (5, False, "changed")}))
    assert response.status_code == 302
    assert review.scores.get(criterion=second).value == 4


def test_a_value_off_the_scale_is_refused_on_its_criterion_and_input_kept(client, reviewer, assignment, review_call):
    client.force_login(reviewer)
    first, second, *_ = criteria(review_call)
    data = post_data(review_call, {first.pk: (3, False, "Keep this comment"), second.pk: (9, False, "and this one")}, overall="Overall kept")
    response = client.post(score_url(assignment), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was saved" in body and "Keep this comment" in body and "and this one" in body and "Overall kept" in body
    form = response.context["form"]
    assert list(form.errors) == [f"c{second.pk}"]
    assert 'class="row-card has-error" id="criterion-%d"' % second.pk in body
    assert not Review.objects.get(assignment=assignment).scores.exclude(value=None).exists()


def test_a_rule_broken_in_the_service_is_shown_on_its_criterion(client, reviewer, assignment, review_call):
    client.force_login(reviewer)
    partners = criteria(review_call)[3]
    response = client.post(score_url(assignment), post_data(review_call, {partners.pk: (2, True, "both")}))
    assert response.status_code == 400
    assert response.context["form"].errors == {f"c{partners.pk}": ["Choose a score or mark it not applicable, not both."]}
    assert "both</textarea>" in response.content.decode()


def test_not_applicable_box_for_a_criterion_that_does_not_allow_it_is_ignored(client, reviewer, assignment, review_call):
    client.force_login(reviewer)
    first = criteria(review_call)[0]
    response = client.post(score_url(assignment), post_data(review_call, {first.pk: (None, True, "")}))
    assert response.status_code == 302
    assert not Review.objects.get(assignment=assignment).scores.filter(not_applicable=True).exists()


def test_submit_incomplete_saves_the_draft_and_marks_each_problem(client, reviewer, assignment, review_call):
    client.force_login(reviewer)
    first, second, third, partners = criteria(review_call)
    scores = {first.pk: (1, False, ""), second.pk: (3, False, "typed")}
    response = client.post(score_url(assignment), post_data(review_call, scores, action="submit"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors[f"c{first.pk}"] == ["Explain the lowest score in a comment."]
    assert errors[f"c{third.pk}"] == ["Score this criterion."]
    assert errors[f"c{partners.pk}"] == ["Score this criterion or mark it not applicable."]
    assert f"c{second.pk}" not in errors
    body = response.content.decode()
    assert "Your scores are saved, but the review cannot be submitted yet" in body and "typed</textarea>" in body
    assert "Points saved: 5 of 15" in body  # the subtotals are the saved ones: 1 x 2 + 3
    review = Review.objects.get(assignment=assignment)
    assert review.status == ReviewStatus.DRAFT and review.scores.get(criterion=second).value == 3


def test_text_is_escaped(client, reviewer, assignment, review_call):
    client.force_login(reviewer)
    first = criteria(review_call)[0]
    client.post(score_url(assignment), post_data(review_call, {first.pk: (2, False, "<script>alert(1)</script>")}))
    body = client.get(score_url(assignment)).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_after_a_decision_the_review_is_read_only(client, reviewer, assignment, application, review_call):
    client.force_login(reviewer)
    client.get(score_url(assignment))
    Application.objects.filter(pk=application.pk).update(status=ApplicationStatus.RESERVE)
    response = client.get(score_url(assignment))
    assert response.status_code == 200
    body = response.content.decode()
    assert "A decision has been made" in body and 'type="radio"' not in body
    assert client.post(score_url(assignment), post_data(review_call, {criteria(review_call)[0].pk: (5, False, "")})).status_code == 302
    assert not Review.objects.get(assignment=assignment).scores.exclude(value=None).exists()


# ---- reviewers never see each other's scores -------------------------------------------------------------------


def test_a_reviewer_never_sees_another_reviewers_scores(client, reviewer, assignment, application, review_call):
    colleague = make_user(R.REVIEWER)
    theirs = assign(application, colleague)
    client.force_login(colleague)
    client.post(score_url(theirs), post_data(review_call, full_scores(review_call, lowest_comment="COLLEAGUE-SECRET", value=5), overall="COLLEAGUE-OVERALL"))
    client.force_login(reviewer)
    body = client.get(score_url(assignment)).content.decode()
    assert "COLLEAGUE-SECRET" not in body and "COLLEAGUE-OVERALL" not in body
    assert "Points saved" not in body  # nothing of the colleague's counts in this reviewer's sheet
    assert client.get(score_url(theirs)).status_code == 404
    assert client.get(progress_url(review_call)).status_code == 403


# ---- the officer's progress page -------------------------------------------------------------------------------


def test_progress_shows_each_reviewer_and_state_but_no_scores(client, officer, reviewer, assignment, application, review_call):
    waiting, busy = make_user(R.REVIEWER, full_name="Wanda Waiting"), make_user(R.REVIEWER, full_name="Bob Busy")
    assign(application, waiting)
    busy_review = scoring.review_open(actor=busy, assignment=assign(application, busy))
    scoring.review_save(actor=busy, review=busy_review, scores={criteria(review_call)[1].pk: (3, False, "BUSY-COMMENT")})
    review = scoring.review_open(actor=reviewer, assignment=assignment)
    scoring.review_save(actor=reviewer, review=review, scores=full_scores(review_call, lowest_comment="DONE-COMMENT"))
    scoring.review_submit(actor=reviewer, review=review)
    removed = make_user(R.REVIEWER, full_name="Rita Removed")
    Assignment.objects.filter(pk=assign(application, removed).pk).update(status=AssignmentStatus.REMOVED)

    client.force_login(officer)
    response = client.get(progress_url(review_call))
    assert response.status_code == 200
    body = response.content.decode()
    assert application.reference in body and "Wanda Waiting" in body and "Bob Busy" in body and reviewer.get_full_name() in body
    assert "Rita Removed" not in body
    assert "Not started" in body and "In progress" in body and "Submitted" in body
    assert "BUSY-COMMENT" not in body and "DONE-COMMENT" not in body
    assert body.count('name="review"') == 1 and f'value="{review.pk}"' in body


def test_officer_reopens_a_review_with_a_reason(client, officer, reviewer, assignment, review_call, mailoutbox, django_capture_on_commit_callbacks):
    review = scoring.review_open(actor=reviewer, assignment=assignment)
    scoring.review_save(actor=reviewer, review=review, scores=full_scores(review_call))
    scoring.review_submit(actor=reviewer, review=review)
    client.force_login(officer)

    response = client.post(progress_url(review_call), {"review": review.pk, f"review-{review.pk}-reason": "   "})
    assert response.status_code == 400
    assert "Say why the review is reopened" in response.content.decode()
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.SUBMITTED

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(progress_url(review_call), {"review": review.pk, f"review-{review.pk}-reason": "Score 1 needs a fuller comment."})
    assert response.status_code == 302
    assert Review.objects.get(pk=review.pk).status == ReviewStatus.DRAFT
    assert mailoutbox[-1].to == [reviewer.email] and "Score 1 needs a fuller comment." in mailoutbox[-1].body
    assert "The review was reopened" in client.get(progress_url(review_call)).content.decode()


def test_reopen_of_a_review_in_another_call_is_404(client, officer, reviewer, assignment, programme, review_call):
    review = scoring.review_open(actor=reviewer, assignment=assignment)
    other = CallFactory(programme=programme)
    client.force_login(officer)
    assert client.post(progress_url(other), {"review": review.pk, f"review-{review.pk}-reason": "x"}).status_code == 404
    assert client.post(progress_url(review_call), {"review": "abc"}).status_code == 404


def test_progress_of_a_draft_call_is_404(client, officer, programme):
    client.force_login(officer)
    assert client.get(progress_url(CallFactory(programme=programme, status=CallStatus.DRAFT))).status_code == 404


@pytest.mark.parametrize("role", [R.REVIEWER, R.FINANCE_OFFICER, R.DONOR_OBSERVER, R.APPLICANT, None])
def test_progress_refuses_other_roles(client, review_call, role):
    client.force_login(make_user(role) if role else make_user())
    assert client.get(progress_url(review_call)).status_code == 403


def test_administrator_sees_progress(client, administrator, review_call):
    client.force_login(administrator)
    assert client.get(progress_url(review_call)).status_code == 200


# ---- query counts ----------------------------------------------------------------------------------------------


def _count(client, url):
    client.get(url)  # warm per-process caches (content types, session) and start the review
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_score_page_same_queries_for_5_and_50_criteria(client, programme, officer, reviewer):
    call = rules_call(programme)
    grid = make_grid(call, extra_criteria=1)  # 5 criteria
    application = eligible_application(call, officer)
    close_call(call)
    assignment = assign(application, reviewer)
    client.force_login(reviewer)
    few = _count(client, score_url(assignment))
    section = grid.sections.get(title="Sustainability")
    Criterion.objects.bulk_create(Criterion(section=section, position=10 + i, title=f"More {i}") for i in range(45))
    client.get(score_url(assignment))  # the draft picks up the new criteria
    many = _count(client, score_url(assignment))
    assert len(criteria(call)) == 50
    assert few == many <= 20, (few, many)


def test_progress_same_queries_for_5_and_50_applications(client, programme, officer):
    call = rules_call(programme)
    make_grid(call)

    def add(n):
        for _ in range(n):
            application = eligible_application(call, officer)
            for _ in range(2):
                reviewer = make_user(R.REVIEWER)
                assign(application, reviewer)

    add(5)
    client.force_login(officer)
    few = _count(client, progress_url(call))
    add(45)
    many = _count(client, progress_url(call))
    assert Application.objects.filter(call=call, status=ApplicationStatus.ELIGIBLE).count() == 50
    assert few == many <= 12, (few, many)
