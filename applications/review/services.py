"""Review panels, conflict-of-interest declarations and reviewer assignments.

Every change to a call's panel, declarations or assignments first locks the call's panel row, so such changes in
one call run one at a time and automatic assignment always sees settled loads. A reviewer is never assigned to an
application on which a conflict is declared. Each active assignment carries the object permission
`applications.review_application` on its application, and ending it takes the permission back: the permission and
the active assignments always match.
"""
from collections import Counter, deque
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from accounts import roles as R
from audit.services import audit_record
from core.errors import DomainError
from core.mail import Mail, mail_on_commit
from notifications.services import notify

from ..aggregation import ranking_changed
from ..models import Application, ApplicationStatus, Assignment, AssignmentStatus, ConflictDeclaration, Panel, ReviewStatus

REVIEW_PERM = "applications.review_application"


@dataclass
class AssignmentRun:
    """What an assignment run did: how many assignments it made, every panel member's load in the call afterwards
    (active assignments, members ordered by id) and the applications still short of reviewers, with how many."""

    assigned: int = 0
    loads: list = field(default_factory=list)  # [(reviewer, active assignments in the call)]
    shortfalls: list = field(default_factory=list)  # [(application, reviewers missing)]


# --- helpers ---------------------------------------------------------------------------------------------------


def _panel_for_update(call_id):
    return Panel.objects.select_for_update(of=("self",)).select_related("call").filter(call_id=call_id).first()


def _locked_panel(call):
    panel = _panel_for_update(call.pk)
    if panel is None:
        raise DomainError(_("This call has no review panel yet: choose its reviewers first."), code="no_panel")
    return panel


def _reviewers(panel):
    """The panel members who may review now: active accounts that still hold the reviewer role."""
    return panel.members.filter(is_active=True, groups__name=R.REVIEWER).order_by("pk")


def _locked_application(application):
    return Application.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=application.pk)


def _require_eligible(application):
    if application.status != ApplicationStatus.ELIGIBLE:
        raise DomainError(
            _("Only applications that passed the eligibility check go to reviewers."), code="not_eligible"
        )


def _required_reason(reason, message):
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(message, code="reason_required", field="reason")
    return reason


def _same_country(call, application, reviewer):
    """Whether the call keeps this reviewer away from this applicant. A reviewer without a country is never kept away."""
    code = reviewer.country.code
    return call.exclude_same_country_reviewers and bool(code) and code == application.organisation.country.code


def _start(*, actor, application, reviewer, automatic, previous=None):
    """Assign `reviewer` (a new row, or an ended one made active again) and grant the review permission."""
    if previous is None:
        assignment = Assignment.objects.create(application=application, reviewer=reviewer, assigned_by=actor)
    else:
        assignment = previous
        assignment.status = AssignmentStatus.ACTIVE
        assignment.assigned_by = actor
        assignment.assigned_at = timezone.now()
        assignment.ended_at = None
        assignment.end_reason = ""
        assignment.save(update_fields=["status", "assigned_by", "assigned_at", "ended_at", "end_reason"])
    assign_perm(REVIEW_PERM, reviewer, application)
    ranking_changed(application.call_id)
    audit_record(
        actor=actor, verb="assignment.start", target=application,
        data={"reviewer": reviewer.email, "automatic": automatic, "again": previous is not None},
    )
    return assignment


_END_VERBS = {AssignmentStatus.DECLINED: "assignment.decline", AssignmentStatus.REMOVED: "assignment.remove"}


def _end(*, actor, assignment, status, reason):
    """End an active assignment (the row stays, with why) and take the review permission back."""
    assignment.status = status
    assignment.ended_at = timezone.now()
    assignment.end_reason = reason
    assignment.save(update_fields=["status", "ended_at", "end_reason"])
    remove_perm(REVIEW_PERM, assignment.reviewer, assignment.application)
    ranking_changed(assignment.application.call_id)
    audit_record(
        actor=actor, verb=_END_VERBS[status], target=assignment.application,
        data={"reviewer": assignment.reviewer.email, "reason": reason},
    )


def _notify_assigned(call, new_assignments):
    by_reviewer = {}
    for assignment in new_assignments:
        by_reviewer.setdefault(assignment.reviewer, []).append(assignment.application)
    for reviewer, applications in by_reviewer.items():
        notify([reviewer], "review_assigned", url=reverse("reviewer_home"),
               params={"call": call.reference, "references": ", ".join(a.reference for a in applications)})


# --- balanced choice of reviewers ------------------------------------------------------------------------------


def _improving_chain(chosen, candidates, loads):
    """A chain of moves of this run's picks, each application passing from one reviewer to another it allows,
    from a reviewer carrying at least two assignments more than the last one; None when there is none.

    When no such chain exists the loads are as even as the constraints allow (no other way of choosing the same
    numbers of reviewers per application has a smaller gap between the most and the least loaded).
    """
    if not loads or max(loads.values()) - min(loads.values()) <= 1:
        return None
    picked_by = {}
    for app_id in sorted(chosen):
        for reviewer_id in chosen[app_id]:
            picked_by.setdefault(reviewer_id, []).append(app_id)
    for source in sorted(picked_by, key=lambda r: (-loads[r], r)):
        parents = {source: None}
        queue = deque([source])
        while queue:
            giver = queue.popleft()
            for app_id in picked_by.get(giver, ()):
                for taker in sorted(candidates[app_id] - chosen[app_id]):
                    if taker in parents:
                        continue
                    parents[taker] = (app_id, giver)
                    if loads[taker] <= loads[source] - 2:
                        chain, node = [], taker
                        while parents[node] is not None:
                            app, previous = parents[node]
                            chain.append((app, previous, node))
                            node = previous
                        return chain[::-1]
                    queue.append(taker)
    return None


def _choose(*, call, members, applications, active, taken, conflicted, loads):
    """Pick reviewers for each application short of call.reviewers_per_application: panel members not already on
    it (whatever the status), without a declared conflict and not kept away by country; least loaded first, ties by
    user id; then even the loads out. Returns ({application id: reviewer ids}, [(application, missing)])."""
    chosen, candidates, shortfalls = {}, {}, []
    for application in applications:
        need = call.reviewers_per_application - active[application.pk]
        if need <= 0:
            continue
        allowed = {
            m.pk for m in members
            if m.pk not in taken[application.pk]
            and (application.pk, m.pk) not in conflicted
            and not _same_country(call, application, m)
        }
        picks = sorted(allowed, key=lambda r: (loads[r], r))[:need]
        for reviewer_id in picks:
            loads[reviewer_id] += 1
        chosen[application.pk], candidates[application.pk] = set(picks), allowed
        if len(picks) < need:
            shortfalls.append((application, need - len(picks)))
    while chain := _improving_chain(chosen, candidates, loads):
        for app_id, giver, taker in chain:
            chosen[app_id].remove(giver)
            chosen[app_id].add(taker)
        loads[chain[0][1]] -= 1
        loads[chain[-1][2]] += 1
    return chosen, shortfalls


def _assign(*, actor, panel, applications):
    """Bring `applications` (locked, eligible) up to the call's number of reviewers. Returns an AssignmentRun."""
    call = panel.call
    members = list(_reviewers(panel))
    app_ids = [a.pk for a in applications]
    taken, active = {pk: set() for pk in app_ids}, Counter()
    for app_id, reviewer_id, status in Assignment.objects.filter(application_id__in=app_ids).values_list(
        "application_id", "reviewer_id", "status"
    ):
        taken[app_id].add(reviewer_id)
        if status == AssignmentStatus.ACTIVE:
            active[app_id] += 1
    conflicted = set(
        ConflictDeclaration.objects.filter(application_id__in=app_ids, has_conflict=True).values_list("application_id", "reviewer_id")
    )
    loads = Counter({m.pk: 0 for m in members})
    loads.update(dict(
        Assignment.objects.filter(application__call=call, status=AssignmentStatus.ACTIVE, reviewer__in=members)
        .values_list("reviewer_id").annotate(n=Count("id")).values_list("reviewer_id", "n")
    ))
    chosen, shortfalls = _choose(
        call=call, members=members, applications=applications, active=active, taken=taken, conflicted=conflicted, loads=loads
    )
    by_id = {m.pk: m for m in members}
    created = [
        _start(actor=actor, application=application, reviewer=by_id[reviewer_id], automatic=True)
        for application in applications
        for reviewer_id in sorted(chosen.get(application.pk, ()))
    ]
    _notify_assigned(call, created)
    return AssignmentRun(assigned=len(created), loads=[(m, loads[m.pk]) for m in members], shortfalls=shortfalls)


def _replace(*, actor, panel, application):
    """After an assignment ended: find someone else for the application, if it is still being reviewed."""
    if application.status == ApplicationStatus.ELIGIBLE:
        _assign(actor=actor, panel=panel, applications=[application])


# --- panels ----------------------------------------------------------------------------------------------------


def panel_set_members(*, actor, call, reviewers, force=False, reason="") -> Panel:
    """Make the call's panel exactly `reviewers` (users with the reviewer role). Removing a member who still has
    active assignments in the call is refused unless `force`, which ends those assignments with `reason`."""
    wanted = {user.pk: user for user in reviewers}
    allowed = set(
        get_user_model().objects.filter(pk__in=wanted, is_active=True, groups__name=R.REVIEWER).values_list("pk", flat=True)
    )
    refused = [str(user) for pk, user in wanted.items() if pk not in allowed]
    if refused:
        raise DomainError(
            _("Only users with the reviewer role can sit on a panel: %(names)s.") % {"names": ", ".join(refused)},
            code="not_reviewer", field="reviewers",
        )
    with transaction.atomic():
        panel, created = Panel.objects.get_or_create(call=call, defaults={"created_by": actor})
        panel = _locked_panel(call)
        current = {user.pk: user for user in panel.members.all()}
        removed = [current[pk] for pk in sorted(set(current) - set(wanted))]
        added = [wanted[pk] for pk in sorted(set(wanted) - set(current))]
        to_end = list(
            Assignment.objects.select_for_update(of=("self",)).select_related("reviewer", "application")
            .filter(application__call=call, reviewer__in=removed, status=AssignmentStatus.ACTIVE)
            .order_by("reviewer_id", "application_id")
        )
        if to_end and not force:
            names = ", ".join(sorted({str(a.reviewer) for a in to_end}))
            raise DomainError(
                _("%(names)s still have applications to review in this call. To remove them, confirm that their "
                  "assignments end and give the reason.") % {"names": names},
                code="has_assignments", field="reviewers",
            )
        if to_end:
            reason = _required_reason(reason, _("Say why these reviewers' assignments end."))
        for assignment in to_end:
            _end(actor=actor, assignment=assignment, status=AssignmentStatus.REMOVED, reason=reason)
        panel.members.remove(*removed)
        panel.members.add(*added)
        if created or removed or added:
            audit_record(
                actor=actor, verb="panel.set_members", target=call,
                data={
                    "created": created, "added": [u.email for u in added], "removed": [u.email for u in removed],
                    "ended_assignments": [a.pk for a in to_end],
                },
            )
        if added:
            mail_on_commit(added, lambda person: Mail(
                _("You are on the review panel of call %(call)s") % {"call": call.reference},
                _(
                    "You have been added to the review panel of call %(call)s – %(title)s.\n\n"
                    "Sign in and open Reviews. For each application you will first see only the applicant's name and "
                    "the title, and declare whether you have a conflict of interest."
                ) % {"call": call.reference, "title": call.title},
            ))
    return panel


# --- conflicts of interest -------------------------------------------------------------------------------------


def _declaration_effects(*, actor, panel, application, reviewer):
    """A conflict ends the reviewer's active assignment on the application, and someone else is assigned."""
    assignment = (
        Assignment.objects.select_for_update(of=("self",)).select_related("reviewer", "application")
        .filter(application=application, reviewer=reviewer, status=AssignmentStatus.ACTIVE).first()
    )
    if assignment is not None:
        _end(actor=actor, assignment=assignment, status=AssignmentStatus.REMOVED, reason=_("conflict of interest"))
        _replace(actor=actor, panel=panel, application=application)


def _panel_and_application(call_application, reviewer):
    """Lock the panel then the application; the reviewer must be on the panel and the application eligible."""
    panel = _panel_for_update(call_application.call_id)
    if panel is None or not panel.members.filter(pk=reviewer.pk).exists():
        raise DomainError(_("Only members of the call's review panel declare conflicts of interest."), code="not_panel_member")
    application = _locked_application(call_application)
    _require_eligible(application)
    return panel, application


def conflict_declare(*, actor, application, has_conflict, reason="") -> ConflictDeclaration:
    """The reviewer's own declaration on one application, made once, before they see its content."""
    reason = _required_reason(reason, _("Explain the conflict of interest.")) if has_conflict else ""
    with transaction.atomic():
        panel, application = _panel_and_application(application, actor)
        if ConflictDeclaration.objects.filter(application=application, reviewer=actor).exists():
            raise DomainError(
                _("You have already declared on this application. If a conflict has come to light since, decline the "
                  "assignment or ask the programme officer to record it."),
                code="already_declared",
            )
        declaration = ConflictDeclaration.objects.create(
            application=application, reviewer=actor, has_conflict=has_conflict, reason=reason,
            declared_by=actor, declared_at=timezone.now(),
        )
        audit_record(
            actor=actor, verb="conflict.declare", target=application,
            data={"reviewer": actor.email, "has_conflict": has_conflict, "reason": reason},
        )
        if has_conflict:
            ranking_changed(application.call_id)
            _declaration_effects(actor=actor, panel=panel, application=application, reviewer=actor)
    return declaration


def conflict_record(*, actor, application, reviewer, reason) -> ConflictDeclaration:
    """An officer records a conflict on a reviewer's behalf, also over the reviewer's earlier "no conflict"."""
    reason = _required_reason(reason, _("Explain the conflict of interest."))
    with transaction.atomic():
        panel, application = _panel_and_application(application, reviewer)
        declaration = ConflictDeclaration.objects.select_for_update(of=("self",)).filter(application=application, reviewer=reviewer).first()
        if declaration is not None and declaration.has_conflict:
            raise DomainError(_("A conflict of interest is already recorded for this reviewer."), code="already_declared")
        previous = None if declaration is None else {"has_conflict": False, "declared_by": declaration.declared_by_id}
        if declaration is None:
            declaration = ConflictDeclaration(application=application, reviewer=reviewer)
        declaration.has_conflict, declaration.reason = True, reason
        declaration.declared_by, declaration.declared_at = actor, timezone.now()
        if previous is None:
            declaration.save()
        else:
            declaration.save(update_fields=["has_conflict", "reason", "declared_by", "declared_at"])
        audit_record(
            actor=actor, verb="conflict.record", target=application,
            data={"reviewer": reviewer.email, "reason": reason, "previous": previous},
        )
        ranking_changed(application.call_id)
        _declaration_effects(actor=actor, panel=panel, application=application, reviewer=reviewer)
    return declaration


# --- assignments -----------------------------------------------------------------------------------------------


def assignments_auto(*, actor, call) -> AssignmentRun:
    """Give every eligible application of the call its number of reviewers, keeping the loads even. Running it
    again adds nothing; applications that cannot be fully staffed are reported, never filled with a conflicted
    reviewer."""
    with transaction.atomic():
        panel = _locked_panel(call)
        applications = list(
            Application.objects.select_for_update(of=("self",)).select_related("organisation")
            .filter(call=call, status=ApplicationStatus.ELIGIBLE).order_by("sequence", "pk")
        )
        run = _assign(actor=actor, panel=panel, applications=applications)
        audit_record(
            actor=actor, verb="assignment.auto", target=call,
            data={
                "assigned": run.assigned, "loads": {r.email: n for r, n in run.loads},
                "shortfalls": {a.reference: n for a, n in run.shortfalls},
            },
        )
    return run


def assignments_for_application(*, actor, application) -> AssignmentRun:
    """Give one eligible application its number of reviewers, as the automatic run does for the whole call (a bulk
    action on a list). Refused when the panel cannot staff it fully."""
    with transaction.atomic():
        panel = _locked_panel(application.call)
        application = _locked_application(application)
        _require_eligible(application)
        run = _assign(actor=actor, panel=panel, applications=[application])
        if run.shortfalls:
            raise DomainError(
                _("Not enough panel members free of conflict to review %(ref)s.") % {"ref": application.reference},
                code="shortfall",
            )
        audit_record(actor=actor, verb="assignment.auto", target=application, data={"assigned": run.assigned})
    return run


def assignment_add(*, actor, application, reviewer) -> Assignment:
    """An officer assigns a reviewer by hand. The hard rules still hold: a panel member with the reviewer role, no
    declared conflict, not kept away by country, and not someone who declined this application before."""
    with transaction.atomic():
        panel = _locked_panel(application.call)
        application = _locked_application(application)
        _require_eligible(application)
        if not _reviewers(panel).filter(pk=reviewer.pk).exists():
            raise DomainError(_("%(name)s is not a reviewer on this call's panel.") % {"name": reviewer}, code="not_panel_member", field="reviewer")
        if ConflictDeclaration.objects.filter(application=application, reviewer=reviewer, has_conflict=True).exists():
            raise DomainError(
                _("%(name)s declared a conflict of interest on this application.") % {"name": reviewer}, code="conflict", field="reviewer"
            )
        if _same_country(panel.call, application, reviewer):
            raise DomainError(
                _("This call never assigns reviewers from the applicant's country, and %(name)s is from there.") % {"name": reviewer},
                code="same_country", field="reviewer",
            )
        previous = Assignment.objects.select_for_update(of=("self",)).filter(application=application, reviewer=reviewer).first()
        if previous is not None and previous.status == AssignmentStatus.ACTIVE:
            raise DomainError(_("%(name)s is already assigned to this application.") % {"name": reviewer}, code="already_assigned", field="reviewer")
        if previous is not None and previous.status == AssignmentStatus.DECLINED:
            raise DomainError(
                _("%(name)s declined this application: “%(reason)s”.") % {"name": reviewer, "reason": previous.end_reason},
                code="declined", field="reviewer",
            )
        assignment = _start(actor=actor, application=application, reviewer=reviewer, automatic=False, previous=previous)
        _notify_assigned(panel.call, [assignment])
    return assignment


def _locked_active(assignment):
    assignment = Assignment.objects.select_for_update(of=("self",)).select_related("reviewer", "application").get(pk=assignment.pk)
    if assignment.status != AssignmentStatus.ACTIVE:
        raise DomainError(_("This assignment has already ended."), code="not_active")
    return assignment


def assignment_remove(*, actor, assignment, reason) -> Assignment:
    """An officer takes an application away from a reviewer, saying why. Nobody is assigned in their place
    automatically: the officer chooses, or runs the automatic assignment again."""
    reason = _required_reason(reason, _("Say why the assignment ends."))
    with transaction.atomic():
        _locked_panel(assignment.application.call)
        assignment = _locked_active(assignment)
        _end(actor=actor, assignment=assignment, status=AssignmentStatus.REMOVED, reason=reason)
    return assignment


def assignment_decline(*, actor, assignment, reason) -> Assignment:
    """The reviewer declines an assignment, saying why; another panel member is assigned in their place."""
    reason = _required_reason(reason, _("Say why you decline this application."))
    with transaction.atomic():
        panel = _locked_panel(assignment.application.call)
        assignment = _locked_active(assignment)
        if assignment.reviewer_id != actor.pk:
            raise DomainError(_("Only the assigned reviewer can decline an assignment."), code="not_yours")
        review = getattr(assignment, "review", None)
        if review is not None and review.status == ReviewStatus.SUBMITTED:
            raise DomainError(
                _("You have submitted this review. Ask the programme officer if it must be withdrawn."), code="review_submitted"
            )
        _end(actor=actor, assignment=assignment, status=AssignmentStatus.DECLINED, reason=reason)
        _replace(actor=actor, panel=panel, application=_locked_application(assignment.application))
    return assignment
