"""Reads for reviewers and for the officer's panel page, with access applied and a fixed number of queries."""
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone

from accounts import roles as R
from accounts.access import has_role, objects_for

from ..models import Application, ApplicationStatus, Assignment, AssignmentStatus, ConflictDeclaration, Panel, ReviewStatus
from .services import REVIEW_PERM
from ..selectors import LIST_RELATED


@dataclass(frozen=True)
class ReviewRow:
    """One application as a reviewer or an officer sees it on the panel pages: the reviewer's declaration (or None)
    and assignment (or None, whatever its status)."""

    application: Application
    declaration: ConflictDeclaration | None
    assignment: Assignment | None

    @property
    def is_active(self):
        return self.assignment is not None and self.assignment.status == AssignmentStatus.ACTIVE

    @property
    def review(self):
        return getattr(self.assignment, "review", None)

    @property
    def must_declare(self):
        return self.declaration is None and self.application.status == ApplicationStatus.ELIGIBLE

    @property
    def can_score(self):
        """May open the scoring page (also to read a submitted review)."""
        return self.is_active and self.declaration is not None and not self.declaration.has_conflict

    @property
    def is_submitted(self):
        review = self.review
        return review is not None and review.status == ReviewStatus.SUBMITTED

    @property
    def round_open(self):
        """Scoring is open: the application awaits its decision and its deadline has passed (scoring starts then)."""
        return self.application.status == ApplicationStatus.ELIGIBLE and self.application.deadline <= timezone.now()

    @property
    def score_outstanding(self):
        """Still to score: open to scoring, not submitted, and no decision made on the application yet."""
        return self.can_score and self.round_open and not self.is_submitted

    @property
    def step(self):
        """Where the row stands for the reviewer, one word the page turns into a tag (reviewer home)."""
        if self.must_declare:
            return "declare"
        if self.declaration is not None and self.declaration.has_conflict:
            return "conflict"
        if self.assignment is None:
            return "unassigned"
        if not self.is_active:
            return "ended"
        if self.is_submitted:
            return "submitted"
        if self.score_outstanding:
            return "score"
        return "waiting" if self.application.status == ApplicationStatus.ELIGIBLE else "decided"


def _on_panel(user):
    return Panel.objects.filter(members=user)


def reviewer_workload(user):
    """Per call whose panel the user sits on: the eligible applications (and those the user was assigned to,
    whatever happened since) with the user's declaration and assignment. [(call, [ReviewRow])], newest call first."""
    panels = list(_on_panel(user).select_related("call", "call__programme").order_by("-call__closes_at", "pk"))
    calls = [p.call for p in panels]
    applications = (
        Application.objects.filter(call__in=calls)
        .filter(Q(status=ApplicationStatus.ELIGIBLE) | Q(assignments__reviewer=user))
        .select_related("organisation").distinct().order_by("sequence", "pk")
    )
    declarations = {d.application_id: d for d in ConflictDeclaration.objects.filter(reviewer=user, application__call__in=calls)}
    assignments = {
        a.application_id: a
        for a in Assignment.objects.filter(reviewer=user, application__call__in=calls).select_related("review")
    }
    rows = {call.pk: [] for call in calls}
    by_pk = {call.pk: call for call in calls}
    for application in applications:
        application.call = by_pk[application.call_id]  # for its deadline, without a query per row
        rows[application.call_id].append(
            ReviewRow(application, declarations.get(application.pk), assignments.get(application.pk))
        )
    return [(call, rows[call.pk]) for call in calls]


def application_for_reviewer(user, pk):
    """The application, for its content, only to a reviewer with an active assignment on it, holding the review
    permission and having declared no conflict on it; anyone else gets 404."""
    if not has_role(user, R.REVIEWER):
        raise Http404
    active = Assignment.objects.filter(application=OuterRef("pk"), reviewer=user, status=AssignmentStatus.ACTIVE)
    no_conflict = ConflictDeclaration.objects.filter(application=OuterRef("pk"), reviewer=user, has_conflict=False)
    queryset = objects_for(user, REVIEW_PERM, Application.objects.select_related(*LIST_RELATED))
    try:
        return queryset.filter(Exists(active), Exists(no_conflict)).get(pk=pk)
    except Application.DoesNotExist:
        raise Http404 from None


def active_assignment_for_reviewer(user, pk):
    """One of the user's own active assignments, or 404."""
    try:
        return Assignment.objects.select_related("application", "application__call", "review").get(
            pk=pk, reviewer=user, status=AssignmentStatus.ACTIVE
        )
    except Assignment.DoesNotExist:
        raise Http404 from None


@dataclass(frozen=True)
class DeclarationView:
    """All a reviewer sees before declaring: who applies, the title and the call; nothing of the content.
    `application` is loaded with those fields only, for the services."""

    application: Application
    applicant: str
    title: str
    call_reference: str
    call_title: str
    declaration: ConflictDeclaration | None


def declaration_view_for_reviewer(user, pk):
    """The minimal facts of an eligible application for a member of its call's panel to declare on, or 404."""
    if not has_role(user, R.REVIEWER):
        raise Http404
    application = (
        Application.objects.filter(pk=pk, status=ApplicationStatus.ELIGIBLE, call__in=_on_panel(user).values("call"))
        .select_related("organisation", "call")
        .only("title", "status", "call__reference", "call__title", "organisation__legal_name")
        .first()
    )
    if application is None:
        raise Http404
    return DeclarationView(
        application=application, applicant=application.organisation.legal_name, title=application.title,
        call_reference=application.call.reference, call_title=application.call.title,
        declaration=ConflictDeclaration.objects.filter(application=application, reviewer=user).first(),
    )


def panel_candidates(call):
    """Who the officer may tick for the call's panel: active reviewers, and the current members whatever they are now."""
    return (
        get_user_model().objects.filter(Q(is_active=True, groups__name=R.REVIEWER) | Q(panels__call=call))
        .distinct().order_by("full_name", "email")
    )


def panel_members(call):
    return get_user_model().objects.filter(panels__call=call).order_by("full_name", "email")


def reviewable_applications(call):
    """The applications a panel works on: the eligible ones, and any that has had a reviewer assigned."""
    return (
        Application.objects.filter(call=call)
        .filter(Q(status=ApplicationStatus.ELIGIBLE) | Q(assignments__isnull=False))
        .select_related("organisation").distinct().order_by("sequence", "pk")
    )


@dataclass(frozen=True)
class PanelMatrix:
    """The officer's view of a call's review: members with their loads, and per application a cell per member."""

    panel: Panel | None
    members: list  # [(reviewer, active assignments in the call)]
    rows: list  # [(application, active assignments, [(member, ReviewRow)])]

    @property
    def shortfalls(self):
        need = self.panel.call.reviewers_per_application if self.panel else 0
        return [(a, need - n) for a, n, _cells in self.rows if a.status == ApplicationStatus.ELIGIBLE and n < need]


def panel_matrix(call):
    """Everything the panel page shows, in a fixed number of queries whatever the numbers of applications and members."""
    panel = Panel.objects.filter(call=call).select_related("call").first()
    members = list(panel_members(call)) if panel else []
    applications = list(reviewable_applications(call))
    declarations = {(d.application_id, d.reviewer_id): d for d in ConflictDeclaration.objects.filter(application__call=call)}
    assignments = {(a.application_id, a.reviewer_id): a for a in Assignment.objects.filter(application__call=call).select_related("review")}
    loads = {m.pk: 0 for m in members}
    active = {a.pk: 0 for a in applications}
    for (app_id, reviewer_id), assignment in assignments.items():
        if assignment.status == AssignmentStatus.ACTIVE:
            active[app_id] = active.get(app_id, 0) + 1
            if reviewer_id in loads:
                loads[reviewer_id] += 1
    rows = [
        (
            application, active[application.pk],
            [
                (m, ReviewRow(application, declarations.get((application.pk, m.pk)), assignments.get((application.pk, m.pk))))
                for m in members
            ],
        )
        for application in applications
    ]
    return PanelMatrix(panel=panel, members=[(m, loads[m.pk]) for m in members], rows=rows)
