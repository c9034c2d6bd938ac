"""Reviewers' scores: a review per assignment, saved as a draft, submitted (then locked), reopened by an officer.

Only the assigned reviewer, having declared no conflict of interest, scores an eligible application, and only once
its call has closed. Every service checks this on the rows themselves, whatever the page in front checked already.
"""
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles as R
from accounts.access import has_role
from audit.services import audit_record
from core.errors import DomainError
from core.formats import utc_text
from grants.models import Criterion, GridSection, GridStage
from notifications.services import notify

from .aggregation import ranking_changed
from .models import (
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    ConflictDeclaration,
    Review,
    ReviewStatus,
    Score,
)

# Applications on which a decision has been made: their reviews may still be read, never changed.
DECIDED = (ApplicationStatus.AWARDED, ApplicationStatus.RESERVE, ApplicationStatus.REJECTED, ApplicationStatus.SHORTLISTED)
UNDER_REVIEW = (ApplicationStatus.ELIGIBLE, *DECIDED)
REOPENERS = (R.PROGRAMME_OFFICER, R.ADMINISTRATOR)


class ScoresRefused(DomainError):
    """Scores that break a rule; `problems` maps each criterion's id to what is wrong with its score."""

    def __init__(self, message, problems):
        super().__init__(message, code="scores")
        self.problems = problems


# ---- reads ----------------------------------------------------------------------------------------------------


def assignment_for_reviewer(user, pk):
    """The user's active assignment `pk`, on an application they declared no conflict with, or 404."""
    assignment = Assignment.objects.filter(
        pk=pk, reviewer_id=user.pk, status=AssignmentStatus.ACTIVE,
        application__conflict_declarations__reviewer_id=user.pk,
        application__conflict_declarations__has_conflict=False,
    ).first()
    if assignment is None:
        raise Http404
    return assignment


@dataclass
class SheetSection:
    section: GridSection
    scores: list = field(default_factory=list)

    @property
    def max_points(self):
        """The most the applicable criteria can give: a criterion marked not applicable leaves the section."""
        return sum(s.criterion.max_points for s in self.scores if not s.not_applicable)

    @property
    def points(self):
        return sum(s.value * s.criterion.multiplier for s in self.scores if s.value is not None)

    @property
    def is_started(self):
        return any(s.value is not None or s.not_applicable for s in self.scores)


def review_sheet(review):
    """The review's own scores, grouped by grid section in the grid's order (one query)."""
    sections = {}
    scores = review.scores.select_related("criterion__section").order_by(
        "criterion__section__position", "criterion__section_id", "criterion__position", "criterion_id"
    )
    for score in scores:
        sections.setdefault(score.criterion.section_id, SheetSection(score.criterion.section)).scores.append(score)
    return list(sections.values())


def review_is_editable(review):
    return review.status == ReviewStatus.DRAFT and review.assignment.application.status == ApplicationStatus.ELIGIBLE


def call_review_progress(call):
    """The call's applications under review, each with its active assignments and their reviews (never the scores)."""
    active = Assignment.objects.filter(status=AssignmentStatus.ACTIVE).select_related("reviewer", "review").order_by("assigned_at", "id")
    return (
        Application.objects.filter(call=call, status__in=UNDER_REVIEW)
        .select_related("organisation")
        .prefetch_related(Prefetch("assignments", queryset=active, to_attr="active_assignments"))
        .order_by("sequence")
    )


# ---- checks shared by the services ----------------------------------------------------------------------------


def _locked_assignment(pk):
    return (
        Assignment.objects.select_for_update(of=("self", "application"))
        .select_related("application__call", "reviewer")
        .get(pk=pk)
    )


def _locked_review(review):
    assignment = _locked_assignment(review.assignment_id)
    return assignment, Review.objects.select_for_update().get(pk=review.pk)


def _check_reviewer(actor, assignment):
    if actor is None or actor.pk != assignment.reviewer_id or not has_role(actor, R.REVIEWER):
        raise DomainError(_("Only the reviewer assigned to this application can score it."), code="forbidden")
    if assignment.status != AssignmentStatus.ACTIVE:
        raise DomainError(_("You are no longer assigned to this application."), code="not_assigned")
    declaration = (
        ConflictDeclaration.objects.select_for_update()
        .filter(application_id=assignment.application_id, reviewer_id=actor.pk)
        .first()
    )
    if declaration is None:
        raise DomainError(
            _("Declare whether you have a conflict of interest with this application before scoring it."), code="not_declared"
        )
    if declaration.has_conflict:
        raise DomainError(_("You declared a conflict of interest with this application: you cannot score it."), code="conflict")


def _check_scoring_open(application, now):
    if application.status in DECIDED:
        raise DomainError(_("A decision has been made on this application: its reviews can no longer change."), code="decided")
    if application.status != ApplicationStatus.ELIGIBLE:
        raise DomainError(_("Only applications that passed the eligibility check are scored."), code="not_eligible")
    if now < application.deadline:
        raise DomainError(
            _("Scoring starts when the call closes, on %(deadline)s UTC.")
            % {"deadline": utc_text(application.deadline, zone=False)},
            code="call_open",
        )


def _check_draft(review):
    if review.status != ReviewStatus.DRAFT:
        raise DomainError(_("This review has been submitted and is locked."), code="locked")


def _grid_criteria(call, stage=GridStage.FULL_APPLICATION):
    """The criteria of the call's grid for the application's stage (concept note or full application)."""
    criteria = list(Criterion.objects.filter(section__grid__call=call, section__grid__stage=stage))
    if not criteria:
        raise DomainError(_("The call has no evaluation grid yet."), code="no_grid")
    return criteria


def _score_problem(criterion, value, not_applicable):
    if not_applicable and not criterion.allows_not_applicable:
        return _("This criterion cannot be marked not applicable.")
    if not_applicable and value is not None:
        return _("Choose a score or mark it not applicable, not both.")
    if value is not None and (type(value) is not int or not criterion.scale_min <= value <= criterion.scale_max):
        return _("Choose a score from %(min)s to %(max)s.") % {"min": criterion.scale_min, "max": criterion.scale_max}
    return None


def _submission_problem(score):
    criterion = score.criterion
    if score.value is None and not score.not_applicable:
        if criterion.allows_not_applicable:
            return _("Score this criterion or mark it not applicable.")
        return _("Score this criterion.")
    if score.value == criterion.scale_min and not score.comment.strip():
        return _("Explain the lowest score in a comment.")
    return None


# ---- services -------------------------------------------------------------------------------------------------


def review_open(*, actor, assignment, now=None) -> Review:
    """The reviewer's review of `assignment`, started with one empty score per criterion of the call's full grid.

    Opening it again returns the same review. Once a decision is made on the application, an existing review is
    returned to be read, and none is started.
    """
    now = now or timezone.now()
    with transaction.atomic():
        assignment = _locked_assignment(assignment.pk)
        _check_reviewer(actor, assignment)
        application = assignment.application
        review = Review.objects.select_for_update().filter(assignment=assignment).first()
        if review is None or application.status not in DECIDED:
            _check_scoring_open(application, now)
            criteria = _grid_criteria(application.call, application.stage)
            if review is None:
                review = Review.objects.create(assignment=assignment)
                audit_record(actor=actor, verb="review.open", target=review, data={"application": application.reference})
            if review.status == ReviewStatus.DRAFT:
                # A criterion added to the grid after the review started is scored too.
                scored = set(review.scores.values_list("criterion_id", flat=True))
                Score.objects.bulk_create(Score(review=review, criterion=c) for c in criteria if c.pk not in scored)
    review.assignment = assignment
    return review


def review_save(*, actor, review, scores, overall_comment="") -> Review:
    """Save a draft's scores, complete or not.

    `scores` maps criterion ids to (value or None, not_applicable, comment). Values must be on the criterion's
    scale and "not applicable" only where the criterion allows it; otherwise nothing is saved and ScoresRefused
    says which criterion is wrong.
    """
    with transaction.atomic():
        assignment, review = _locked_review(review)
        _check_reviewer(actor, assignment)
        _check_scoring_open(assignment.application, timezone.now())
        _check_draft(review)
        rows = {s.criterion_id: s for s in review.scores.select_related("criterion")}
        unknown = set(scores) - set(rows)
        if unknown:
            raise DomainError(_("Some scores are for criteria that are not in this call's grid."), code="unknown_criterion")
        problems, changed = {}, []
        for criterion_id, (value, not_applicable, comment) in scores.items():
            score = rows[criterion_id]
            problem = _score_problem(score.criterion, value, not_applicable)
            if problem:
                problems[criterion_id] = problem
                continue
            new = (value, bool(not_applicable), (comment or "").strip())
            if (score.value, score.not_applicable, score.comment) != new:
                score.value, score.not_applicable, score.comment = new
                changed.append(score)
        if problems:
            raise ScoresRefused(_("Nothing was saved: correct the scores marked below."), problems)
        Score.objects.bulk_update(changed, ["value", "not_applicable", "comment"])
        review.overall_comment = (overall_comment or "").strip()
        review.save(update_fields=["overall_comment", "updated_at"])
        audit_record(
            actor=actor, verb="review.save", target=review,
            data={"application": assignment.application.reference, "criteria": sorted(s.criterion_id for s in changed)},
        )
    review.assignment = assignment
    return review


def review_submit(*, actor, review, now=None) -> Review:
    """Submit a complete review: every criterion scored or marked not applicable, and every lowest score explained
    in a comment. A submitted review is locked."""
    now = now or timezone.now()
    with transaction.atomic():
        assignment, review = _locked_review(review)
        _check_reviewer(actor, assignment)
        _check_scoring_open(assignment.application, now)
        _check_draft(review)
        scores = list(review.scores.select_related("criterion"))
        problems = {s.criterion_id: p for s in scores if (p := _submission_problem(s))}
        if problems:
            raise ScoresRefused(_("The review cannot be submitted yet: correct the points marked below."), problems)
        review.status, review.submitted_at = ReviewStatus.SUBMITTED, now
        review.save(update_fields=["status", "submitted_at", "updated_at"])
        ranking_changed(assignment.application.call_id)
        audit_record(
            actor=actor, verb="review.submit", target=review,
            data={
                "application": assignment.application.reference,
                "scores": {str(s.criterion_id): "n/a" if s.not_applicable else s.value for s in scores},
            },
        )
    review.assignment = assignment
    return review


def review_reopen(*, actor, review, reason) -> Review:
    """A programme officer sends a submitted review back to its reviewer, saying why (audited, and e-mailed)."""
    reason = (reason or "").strip()
    if not has_role(actor, *REOPENERS):
        raise DomainError(_("Only programme officers can reopen a review."), code="forbidden")
    if not reason:
        raise DomainError(_("Say why the review is reopened: the reviewer will read it."), code="reason_required", field="reason")
    with transaction.atomic():
        assignment, review = _locked_review(review)
        if review.status != ReviewStatus.SUBMITTED:
            raise DomainError(_("Only a submitted review can be reopened."), code="not_submitted")
        if assignment.status != AssignmentStatus.ACTIVE:
            raise DomainError(_("The reviewer is no longer assigned to this application."), code="not_assigned")
        if assignment.application.status in DECIDED:
            raise DomainError(_("A decision has been made on this application: its reviews can no longer change."), code="decided")
        review.status, review.submitted_at = ReviewStatus.DRAFT, None
        review.save(update_fields=["status", "submitted_at", "updated_at"])
        ranking_changed(assignment.application.call_id)
        reference = assignment.application.reference
        audit_record(
            actor=actor, verb="review.reopen", target=review,
            data={"application": reference, "reviewer": assignment.reviewer.email, "reason": reason},
        )
        notify([assignment.reviewer], "review_reopened", url=reverse("review_score", args=[assignment.pk]),
               params={"reference": reference, "reason": reason})
    review.assignment = assignment
    return review
