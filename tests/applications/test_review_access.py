"""The review pages: who may open them (403 wrong role, 404 others' objects), what they show and do, and their cost."""
from datetime import timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles as R
from applications.review import selectors as selectors
from applications.review import services as services
from applications import services as application_services
from applications.models import ApplicationStatus, Assignment, AssignmentStatus, ConflictDeclaration
from grants.models import CallStatus
from guardian.shortcuts import assign_perm, remove_perm

from ..conftest import make_user
from .helpers import complete_draft, rules_call
from .test_panels import active_pairs, make_applications, make_reviewers


SECRET = "Shelter addresses are confidential"


@pytest.fixture
def members(officer, call):
    call.reviewers_per_application = 2
    call.save(update_fields=["reviewers_per_application"])
    reviewers = make_reviewers(3)
    services.panel_set_members(actor=officer, call=call, reviewers=reviewers)
    return reviewers


@pytest.fixture
def application(call, members):
    application = make_applications(call, 1)[0]
    application.summary = SECRET
    application.save(update_fields=["summary"])
    return application


def assigned(officer, call, application, reviewer):
    services.assignments_auto(actor=officer, call=call)
    return Assignment.objects.get(application=application, reviewer=reviewer, status=AssignmentStatus.ACTIVE)


# --- who may open what ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [R.APPLICANT, R.PROGRAMME_OFFICER, R.FINANCE_OFFICER, R.DONOR_OBSERVER, None])
def test_reviewer_pages_refuse_other_roles(client, officer, call, application, members, role):
    assignment = assigned(officer, call, application, members[0])
    client.force_login(make_user(role) if role else make_user())
    for url in ("/reviews/", f"/reviews/applications/{application.pk}/declare/", f"/reviews/assignments/{assignment.pk}/decline/"):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("role", [R.REVIEWER, R.APPLICANT, R.FINANCE_OFFICER, R.DONOR_OBSERVER])
def test_panel_page_refuses_other_roles(client, call, role):
    client.force_login(make_user(role))
    assert client.get(f"/screening/calls/{call.pk}/panel/").status_code == 403
    assert client.post(f"/screening/calls/{call.pk}/panel/", {"action": "auto"}).status_code == 403


@pytest.mark.parametrize("role", [R.PROGRAMME_OFFICER, R.ADMINISTRATOR])
def test_panel_page_for_officers_and_administrators(client, call, application, role):
    client.force_login(make_user(role))
    response = client.get(f"/screening/calls/{call.pk}/panel/")
    assert response.status_code == 200
    assert application.reference in response.content.decode()


def test_panel_page_of_a_draft_call_is_404(client, officer, call):
    call.status = CallStatus.DRAFT
    call.save(update_fields=["status"])
    client.force_login(officer)
    assert client.get(f"/screening/calls/{call.pk}/panel/").status_code == 404


def test_pages_need_a_login(client, call, application):
    for url in ("/reviews/", f"/reviews/applications/{application.pk}/declare/", f"/screening/calls/{call.pk}/panel/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_a_reviewer_off_the_panel_gets_404(client, reviewer, officer, call, application, members):
    assignment = assigned(officer, call, application, members[0])
    client.force_login(reviewer)
    assert client.get(f"/reviews/applications/{application.pk}/declare/").status_code == 404
    assert client.post(f"/reviews/applications/{application.pk}/declare/", {"has_conflict": "no"}).status_code == 404
    assert client.get(f"/reviews/assignments/{assignment.pk}/decline/").status_code == 404
    assert not ConflictDeclaration.objects.exists()


def test_another_reviewers_assignment_is_404(client, officer, call, application, members):
    assignment = assigned(officer, call, application, members[0])
    client.force_login(members[1])
    assert client.get(f"/reviews/assignments/{assignment.pk}/decline/").status_code == 404
    assert client.post(f"/reviews/assignments/{assignment.pk}/decline/", {"reason": "x"}).status_code == 404
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.ACTIVE


def test_an_ineligible_application_cannot_be_declared_on(client, call, application, members):
    application.status = ApplicationStatus.INELIGIBLE
    application.save(update_fields=["status"])
    client.force_login(members[0])
    assert client.get(f"/reviews/applications/{application.pk}/declare/").status_code == 404


# --- the application's content: only to an assigned reviewer who declared no conflict ------------------------


def test_content_only_with_an_active_assignment_the_permission_and_no_conflict(officer, call, application, members):
    first, _second, third = members
    with pytest.raises(Http404):
        selectors.application_for_reviewer(first, application.pk)  # not assigned
    assignment = assigned(officer, call, application, first)
    with pytest.raises(Http404):
        selectors.application_for_reviewer(first, application.pk)  # assigned, but has not declared yet
    services.conflict_declare(actor=first, application=application, has_conflict=False)
    assert selectors.application_for_reviewer(first, application.pk) == application
    with pytest.raises(Http404):
        selectors.application_for_reviewer(third, application.pk)  # not assigned (ties went to lower ids)

    remove_perm(services.REVIEW_PERM, first, application)
    with pytest.raises(Http404):
        selectors.application_for_reviewer(first, application.pk)  # the permission is needed too
    services.assignment_decline(actor=first, assignment=assignment, reason="Travelling")
    with pytest.raises(Http404):
        selectors.application_for_reviewer(first, application.pk)


def test_a_conflicted_reviewer_never_gets_the_content(officer, call, application, members):
    first = members[0]
    services.conflict_declare(actor=first, application=application, has_conflict=True, reason="My sister works there")
    services.assignments_auto(actor=officer, call=call)
    with pytest.raises(Http404):
        selectors.application_for_reviewer(first, application.pk)
    # Even a stray permission and assignment row made by hand do not open it.
    Assignment.objects.create(application=application, reviewer=first)
    assign_perm(services.REVIEW_PERM, first, application)
    with pytest.raises(Http404):
        selectors.application_for_reviewer(first, application.pk)


# --- reviewer pages ------------------------------------------------------------------------------------------


def _close(call):
    """The call's deadline passes: scoring opens."""
    type(call).objects.filter(pk=call.pk).update(closes_at=timezone.now() - timedelta(minutes=1))


def test_reviewer_home_lists_declarations_and_assignments(client, officer, call, application, members):
    other = make_applications(call, 1)[0]
    _close(call)
    assignment = assigned(officer, call, application, members[0])
    services.conflict_declare(actor=members[0], application=application, has_conflict=False)
    client.force_login(members[0])
    response = client.get("/reviews/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "How reviewing works" in body
    assert application.organisation.legal_name in body and other.organisation.legal_name in body
    assert f"/reviews/assignments/{assignment.pk}/score/" in body
    assert f"/reviews/assignments/{assignment.pk}/decline/" in body
    assert f"/reviews/applications/{other.pk}/declare/" in body
    assert f"/reviews/applications/{application.pk}/declare/" not in body
    assert response.context["to_declare"] == 1 and response.context["to_score"] == 1
    assert SECRET not in body


def test_reviewer_home_counts_and_buttons_only_what_is_outstanding(client, officer, call, application, members):
    """A submitted review is read, not scored again: one primary Score button and a count of one, for the one left."""
    from applications.models import Review, ReviewStatus

    other = make_applications(call, 1)[0]
    done = assigned(officer, call, application, members[0])
    services.conflict_declare(actor=members[0], application=application, has_conflict=False)
    Review.objects.create(assignment=done, status=ReviewStatus.SUBMITTED)
    services.conflict_declare(actor=members[0], application=other, has_conflict=False)
    left = assigned(officer, call, other, members[0])
    _close(call)
    client.force_login(members[0])
    response = client.get("/reviews/")
    body = response.content.decode()
    assert response.context["to_score"] == 1 and response.context["to_declare"] == 0
    assert response.context["submitted"] == 1
    assert "Review submitted" in body and "To score" in body
    assert body.count('class="button small primary"') == 1
    assert f'class="button small primary" href="/reviews/assignments/{left.pk}/score/"' in body
    assert f'class="button small" href="/reviews/assignments/{done.pk}/score/">View your review' in body


def test_reviewer_home_scores_nothing_before_the_call_closes(client, officer, call, application, members):
    """Scoring starts at the call's deadline: until then an assignment is tagged as waiting, with no Score button."""
    assignment = assigned(officer, call, application, members[0])
    services.conflict_declare(actor=members[0], application=application, has_conflict=False)
    client.force_login(members[0])
    response = client.get("/reviews/")
    body = response.content.decode()
    assert response.context["to_score"] == 0 and response.context["submitted"] == 0
    assert "Scoring opens when the call closes" in body
    assert f"/reviews/assignments/{assignment.pk}/score/" not in body


def test_reviewer_home_when_on_no_panel(client, reviewer):
    client.force_login(reviewer)
    response = client.get("/reviews/")
    assert response.status_code == 200
    assert "You are not on any review panel yet" in response.content.decode()


def test_declaration_page_shows_only_the_applicant_and_the_title(client, application, members):
    client.force_login(members[0])
    response = client.get(f"/reviews/applications/{application.pk}/declare/")
    assert response.status_code == 200
    body = response.content.decode()
    assert application.organisation.legal_name in body and application.title in body
    assert SECRET not in body and application.reference not in body
    assert str(application.requested_amount) not in body


def test_declaring_no_conflict_through_the_page(client, application, members):
    client.force_login(members[0])
    response = client.post(f"/reviews/applications/{application.pk}/declare/", {"has_conflict": "no", "reason": ""})
    assert response.status_code == 302 and response["Location"] == "/reviews/"
    declaration = ConflictDeclaration.objects.get(application=application, reviewer=members[0])
    assert declaration.has_conflict is False
    # Declared once: the page now shows the declaration, and a second post changes nothing.
    response = client.post(f"/reviews/applications/{application.pk}/declare/", {"has_conflict": "yes", "reason": "Later"})
    assert response.status_code == 200 and "Your declaration is recorded" in response.content.decode()
    declaration.refresh_from_db()
    assert declaration.has_conflict is False


def test_a_conflict_without_a_reason_comes_back_with_the_choice_kept(client, application, members):
    client.force_login(members[0])
    response = client.post(f"/reviews/applications/{application.pk}/declare/", {"has_conflict": "yes", "reason": "  "})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Explain the conflict of interest." in body
    assert response.context["form"]["has_conflict"].value() == "yes"
    response = client.post(f"/reviews/applications/{application.pk}/declare/", {})
    assert response.status_code == 400 and "Choose one of the two declarations." in response.content.decode()
    assert not ConflictDeclaration.objects.exists()


def test_declaring_a_conflict_through_the_page_ends_the_assignment(client, officer, call, application, members):
    assignment = assigned(officer, call, application, members[0])
    client.force_login(members[0])
    response = client.post(
        f"/reviews/applications/{application.pk}/declare/", {"has_conflict": "yes", "reason": "Board member"}
    )
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.REMOVED
    assert (application.pk, members[2].pk) in active_pairs(call)


def test_declining_through_the_page(client, officer, call, application, members):
    assignment = assigned(officer, call, application, members[0])
    client.force_login(members[0])
    response = client.get(f"/reviews/assignments/{assignment.pk}/decline/")
    assert response.status_code == 200 and application.title in response.content.decode()
    response = client.post(f"/reviews/assignments/{assignment.pk}/decline/", {"reason": ""})
    assert response.status_code == 400 and "Say why you decline this application." in response.content.decode()
    response = client.post(f"/reviews/assignments/{assignment.pk}/decline/", {"reason": "Away until June"})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.DECLINED and assignment.end_reason == "Away until June"
    assert client.get(f"/reviews/assignments/{assignment.pk}/decline/").status_code == 404


# --- the officer's panel page --------------------------------------------------------------------------------


def test_officer_forms_the_panel_assigns_and_overrides(client, officer, call, application):
    newcomer = make_reviewers(1)[0]
    client.force_login(officer)
    url = f"/screening/calls/{call.pk}/panel/"
    current = list(call.panel.members.values_list("pk", flat=True))

    response = client.post(url, {"action": "members", "members-reviewers": [*current, newcomer.pk]})
    assert response.status_code == 302
    assert call.panel.members.filter(pk=newcomer.pk).exists()

    response = client.post(url, {"action": "auto"}, follow=True)
    assert "2 assignments made." in response.content.decode()
    assert len(active_pairs(call)) == 2

    response = client.post(url, {"action": "change", "change-application": application.pk, "change-reviewer": newcomer.pk, "change-change": "assign"})
    assert response.status_code == 302 and (application.pk, newcomer.pk) in active_pairs(call)

    response = client.post(url, {"action": "change", "change-application": application.pk, "change-reviewer": newcomer.pk, "change-change": "remove", "change-reason": ""})
    assert response.status_code == 400 and "Say why the assignment ends." in response.content.decode()
    assert response.context["change_form"]["reviewer"].value() == str(newcomer.pk)
    response = client.post(
        url, {"action": "change", "change-application": application.pk, "change-reviewer": newcomer.pk, "change-change": "remove", "change-reason": "Too many"}
    )
    assert response.status_code == 302 and (application.pk, newcomer.pk) not in active_pairs(call)

    reviewer_pk = next(r for _a, r in active_pairs(call))
    response = client.post(
        url, {"action": "change", "change-application": application.pk, "change-reviewer": reviewer_pk, "change-change": "conflict", "change-reason": "Co-author"}
    )
    assert response.status_code == 302
    assert ConflictDeclaration.objects.get(reviewer_id=reviewer_pk).declared_by == officer
    assert (application.pk, reviewer_pk) not in active_pairs(call)


def test_panel_page_shows_shortfalls_and_refusals(client, officer, call, application, members):
    for reviewer in members[1:]:
        services.conflict_declare(actor=reviewer, application=application, has_conflict=True, reason="Conflict")
    client.force_login(officer)
    url = f"/screening/calls/{call.pk}/panel/"
    body = client.post(url, {"action": "auto"}, follow=True).content.decode()
    assert "1 assignment made." in body and f"{application.reference} (1 missing)" in body
    assert "1 reviewer missing" in body

    response = client.post(url, {"action": "change", "change-application": application.pk, "change-reviewer": members[1].pk, "change-change": "assign"})
    assert response.status_code == 400 and "declared a conflict of interest" in response.content.decode()

    response = client.post(url, {"action": "members", "members-reviewers": [members[1].pk, members[2].pk]})
    assert response.status_code == 400 and "still have applications to review" in response.content.decode()
    assert call.panel.members.filter(pk=members[0].pk).exists()


def test_auto_without_a_panel_says_so(client, officer, call):
    client.force_login(officer)
    response = client.post(f"/screening/calls/{call.pk}/panel/", {"action": "auto"})
    assert response.status_code == 400 and "no review panel yet" in response.content.decode()


# --- the applicant never learns who reviews ------------------------------------------------------------------


def test_the_applicant_never_sees_reviewer_identities(client, officer, cso_user, organisation, programme):
    call = rules_call(programme)
    application = complete_draft(actor=cso_user, call=call, organisation=organisation)
    application_services.application_submit(actor=cso_user, application=application)
    application_services.screening_record(
        actor=officer, application=application, on_time=True, complete=True, applicant_eligible=True,
        action_eligible=True, costs_eligible=True,
    )
    reviewers = make_reviewers(3)
    services.panel_set_members(actor=officer, call=call, reviewers=reviewers)
    services.assignments_auto(actor=officer, call=call)
    services.conflict_declare(actor=reviewers[0], application=application, has_conflict=False)
    client.force_login(cso_user)
    for url in (f"/applications/{application.pk}/", "/applications/", "/"):
        body = client.get(url).content.decode()
        for reviewer in reviewers:
            assert reviewer.email not in body and reviewer.full_name not in body, url
    # Nor may the applicant open the reviewers' pages.
    assert client.get("/reviews/").status_code == 403
    assert client.get(f"/screening/calls/{call.pk}/panel/").status_code == 403


# --- query counts --------------------------------------------------------------------------------------------


def _count(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow(officer, call, members, n):
    applications = make_applications(call, n)
    services.assignments_auto(actor=officer, call=call)
    for application in applications[::2]:
        services.conflict_declare(actor=members[0], application=application, has_conflict=False)
    for application in applications[1::3]:
        ConflictDeclaration.objects.get_or_create(
            application=application, reviewer=members[1],
            defaults={"has_conflict": True, "reason": "r", "declared_by": members[1], "declared_at": timezone.now()},
        )


def test_reviewer_home_is_constant(client, officer, call, members):
    client.force_login(members[0])
    _grow(officer, call, members, 5)
    few = _count(client, "/reviews/")
    _grow(officer, call, members, 45)
    many = _count(client, "/reviews/")
    assert few == many <= 12, (few, many)



def test_panel_page_is_constant(client, officer, call, members):
    client.force_login(officer)
    _grow(officer, call, members, 5)
    few = _count(client, f"/screening/calls/{call.pk}/panel/")
    _grow(officer, call, members, 45)
    many = _count(client, f"/screening/calls/{call.pk}/panel/")
    assert few == many <= 16, (few, many)

