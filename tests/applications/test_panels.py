"""Review panels and conflict-of-interest declarations (applications.review.services), and the builders the other
review test modules share."""
import pytest
from django.core import mail

from accounts import roles as R
from applications.review import services as services
from applications.models import ApplicationStatus, Assignment, AssignmentStatus, ConflictDeclaration, Panel
from audit.models import AuditEvent
from core.errors import DomainError

from ..conftest import make_user
from .review_helpers import eligible_application



def make_reviewers(n, **fields):
    return [make_user(R.REVIEWER, **fields) for _ in range(n)]


def make_applications(call, n, *, country="NP"):
    applications = [eligible_application(call) for _ in range(n)]
    for application in applications:
        if application.organisation.country != country:
            application.organisation.country = country
            application.organisation.save(update_fields=["country"])
    return applications


def active_pairs(call):
    return set(
        Assignment.objects.filter(application__call=call, status=AssignmentStatus.ACTIVE).values_list("application_id", "reviewer_id")
    )


def perm_pairs(call, users):
    """(application, reviewer) pairs where the reviewer holds the review permission, among `users`."""
    return {
        (application.pk, user.pk)
        for user in users
        for application in call.applications.all()
        if user.has_perm(services.REVIEW_PERM, application)
    }


def assert_perms_match(call, users):
    assert perm_pairs(call, users) == active_pairs(call)


@pytest.fixture
def trio(officer, call):
    """A panel of three reviewers on a call with one eligible application."""
    members = make_reviewers(3)
    services.panel_set_members(actor=officer, call=call, reviewers=members)
    return members


# --- panels --------------------------------------------------------------------------------------------------


def test_setting_members_creates_the_panel_audits_and_tells_the_new_members(officer, call, django_capture_on_commit_callbacks):
    members = make_reviewers(2)
    with django_capture_on_commit_callbacks(execute=True):
        panel = services.panel_set_members(actor=officer, call=call, reviewers=members)
    assert set(panel.members.all()) == set(members)
    assert panel.created_by == officer
    event = AuditEvent.objects.get(verb="panel.set_members")
    assert event.data["created"] is True and sorted(event.data["added"]) == sorted(m.email for m in members)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.email for m in members)
    assert call.reference in mail.outbox[0].subject


def test_setting_the_same_members_again_changes_nothing(officer, call, trio, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.panel_set_members(actor=officer, call=call, reviewers=trio)
    assert AuditEvent.objects.filter(verb="panel.set_members").count() == 1
    assert callbacks == [] and mail.outbox == []


def test_only_reviewers_can_sit_on_a_panel(officer, call, cso_user):
    members = make_reviewers(1)
    with pytest.raises(DomainError) as exc:
        services.panel_set_members(actor=officer, call=call, reviewers=[*members, cso_user])
    assert exc.value.code == "not_reviewer" and exc.value.field == "reviewers"
    assert not Panel.objects.filter(call=call).exists()


def test_removing_a_member_without_assignments(officer, call, trio):
    services.panel_set_members(actor=officer, call=call, reviewers=trio[:2])
    assert set(call.panel.members.all()) == set(trio[:2])
    assert AuditEvent.objects.filter(verb="panel.set_members").order_by("pk").last().data["removed"] == [trio[2].email]


def test_removing_a_member_with_assignments_needs_force_and_a_reason(officer, call, trio):
    application = make_applications(call, 1)[0]
    services.assignments_auto(actor=officer, call=call)
    leaving = trio[0]
    with pytest.raises(DomainError) as exc:
        services.panel_set_members(actor=officer, call=call, reviewers=trio[1:])
    assert exc.value.code == "has_assignments" and str(leaving) in exc.value.message
    with pytest.raises(DomainError) as exc:
        services.panel_set_members(actor=officer, call=call, reviewers=trio[1:], force=True, reason="  ")
    assert exc.value.code == "reason_required"
    assert call.panel.members.filter(pk=leaving.pk).exists()

    services.panel_set_members(actor=officer, call=call, reviewers=trio[1:], force=True, reason="Left the programme")
    assignment = Assignment.objects.get(application=application, reviewer=leaving)
    assert assignment.status == AssignmentStatus.REMOVED and assignment.end_reason == "Left the programme"
    assert assignment.ended_at is not None
    assert not leaving.has_perm(services.REVIEW_PERM, application)
    assert not call.panel.members.filter(pk=leaving.pk).exists()
    assert_perms_match(call, trio)


# --- declarations --------------------------------------------------------------------------------------------


def test_a_member_declares_no_conflict_once(officer, call, trio):
    application = make_applications(call, 1)[0]
    declaration = services.conflict_declare(actor=trio[0], application=application, has_conflict=False, reason="ignored")
    assert declaration.has_conflict is False and declaration.reason == "" and declaration.declared_by == trio[0]
    event = AuditEvent.objects.get(verb="conflict.declare")
    assert event.data == {"reviewer": trio[0].email, "has_conflict": False, "reason": ""}
    with pytest.raises(DomainError) as exc:
        services.conflict_declare(actor=trio[0], application=application, has_conflict=True, reason="Changed my mind")
    assert exc.value.code == "already_declared"
    assert ConflictDeclaration.objects.get(application=application, reviewer=trio[0]).has_conflict is False


def test_a_conflict_needs_a_reason(call, trio):
    application = make_applications(call, 1)[0]
    with pytest.raises(DomainError) as exc:
        services.conflict_declare(actor=trio[0], application=application, has_conflict=True, reason=" ")
    assert exc.value.code == "reason_required" and exc.value.field == "reason"
    assert not ConflictDeclaration.objects.exists()


def test_only_panel_members_declare_and_only_on_eligible_applications(call, trio, reviewer):
    application = make_applications(call, 1)[0]
    with pytest.raises(DomainError) as exc:
        services.conflict_declare(actor=reviewer, application=application, has_conflict=False)
    assert exc.value.code == "not_panel_member"
    application.status = ApplicationStatus.INELIGIBLE
    application.save(update_fields=["status"])
    with pytest.raises(DomainError) as exc:
        services.conflict_declare(actor=trio[0], application=application, has_conflict=False)
    assert exc.value.code == "not_eligible"
    assert not ConflictDeclaration.objects.exists()


def test_declaring_a_conflict_while_assigned_removes_revokes_and_replaces(officer, call):
    call.reviewers_per_application = 2
    call.save(update_fields=["reviewers_per_application"])
    members = make_reviewers(3)
    services.panel_set_members(actor=officer, call=call, reviewers=members)
    application = make_applications(call, 1)[0]
    services.assignments_auto(actor=officer, call=call)
    first, second, spare = members  # ties go to the lowest user id
    assert active_pairs(call) == {(application.pk, first.pk), (application.pk, second.pk)}

    services.conflict_declare(actor=first, application=application, has_conflict=True, reason="I sit on their board")

    ended = Assignment.objects.get(application=application, reviewer=first)
    assert ended.status == AssignmentStatus.REMOVED and ended.end_reason == "conflict of interest"
    assert not first.has_perm(services.REVIEW_PERM, application)
    assert active_pairs(call) == {(application.pk, second.pk), (application.pk, spare.pk)}
    assert spare.has_perm(services.REVIEW_PERM, application)
    assert_perms_match(call, members)
    verbs = list(AuditEvent.objects.filter(verb__startswith="assignment.").values_list("verb", flat=True).order_by("pk"))
    assert verbs == ["assignment.start", "assignment.start", "assignment.auto", "assignment.remove", "assignment.start"]


def test_an_officer_records_a_conflict_on_a_reviewers_behalf(officer, call, trio):
    application = make_applications(call, 1)[0]
    services.conflict_declare(actor=trio[0], application=application, has_conflict=False)
    services.assignments_auto(actor=officer, call=call)
    assert (application.pk, trio[0].pk) in active_pairs(call)

    declaration = services.conflict_record(actor=officer, application=application, reviewer=trio[0], reason="Brother is the director")

    assert declaration.has_conflict and declaration.declared_by == officer and declaration.reviewer == trio[0]
    assert ConflictDeclaration.objects.filter(application=application, reviewer=trio[0]).count() == 1
    assert (application.pk, trio[0].pk) not in active_pairs(call)
    assert not trio[0].has_perm(services.REVIEW_PERM, application)
    event = AuditEvent.objects.get(verb="conflict.record")
    assert event.actor == officer and event.data["previous"]["has_conflict"] is False
    with pytest.raises(DomainError) as exc:
        services.conflict_record(actor=officer, application=application, reviewer=trio[0], reason="Again")
    assert exc.value.code == "already_declared"


def test_recording_a_conflict_needs_a_reason_and_a_panel_member(officer, call, trio, reviewer):
    application = make_applications(call, 1)[0]
    with pytest.raises(DomainError) as exc:
        services.conflict_record(actor=officer, application=application, reviewer=trio[0], reason="")
    assert exc.value.code == "reason_required"
    with pytest.raises(DomainError) as exc:
        services.conflict_record(actor=officer, application=application, reviewer=reviewer, reason="Known to them")
    assert exc.value.code == "not_panel_member"
    assert not ConflictDeclaration.objects.exists()


def test_a_conflict_declared_before_assignment_keeps_the_reviewer_away(officer, call, trio):
    application = make_applications(call, 1)[0]
    services.conflict_declare(actor=trio[1], application=application, has_conflict=True, reason="Former employer")
    run = services.assignments_auto(actor=officer, call=call)
    assert active_pairs(call) == {(application.pk, trio[0].pk), (application.pk, trio[2].pk)}
    assert run.shortfalls == [(application, 1)]
    with pytest.raises(DomainError) as exc:
        services.assignment_add(actor=officer, application=application, reviewer=trio[1])
    assert exc.value.code == "conflict"
