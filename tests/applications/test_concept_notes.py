"""A call with a concept-note stage: concept notes first, scored on their own grid; only shortlisted organisations
then apply in full, and the two stages are ranked apart."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import MemberRole
from accounts.services import membership_set
from applications import services
from applications.aggregation import call_results
from applications.awards import award_decide, award_proposal
from applications.models import Application, ApplicationStatus, Assignment, ConflictDeclaration, Review, Score
from core.errors import DomainError

from ..conftest import make_user
from ..factories import OrganisationFactory
from .helpers import VALID_LINES, valid_fields
from .review_helpers import reviewer, small_grid

D = Decimal


@pytest.fixture
def two_stage_call(open_call):
    open_call.concept_note_deadline = timezone.now() + timedelta(days=5)
    open_call.closes_at = timezone.now() + timedelta(days=40)
    open_call.reviewers_per_application = 1
    open_call.save(update_fields=["concept_note_deadline", "closes_at", "reviewers_per_application"])
    return open_call


def concept_note(call, user, organisation):
    application = services.application_start(actor=user, call=call, organisation=organisation)
    services.application_save_draft(
        actor=user, application=application, fields=valid_fields(call), countries=list(call.countries.filter(code="NP")),
        lines=VALID_LINES, rows=[],  # no logframe: a concept note does not need one
    )
    return services.application_submit(actor=user, application=application)[0]


def close_concept_stage(call):
    type(call).objects.filter(pk=call.pk).update(concept_note_deadline=timezone.now() - timedelta(minutes=1))
    call.refresh_from_db()


def score(application, values, crit):
    r = reviewer()
    ConflictDeclaration.objects.create(application=application, reviewer=r, has_conflict=False, declared_by=r, declared_at=timezone.now())
    review = Review.objects.create(assignment=Assignment.objects.create(application=application, reviewer=r), status="submitted", submitted_at=timezone.now())
    for key, value in values.items():
        Score.objects.create(review=review, criterion=crit[key], value=value)


def test_concept_notes_then_full_applications_for_the_shortlisted(two_stage_call, cso_user, organisation, officer):
    call = two_stage_call
    other = OrganisationFactory(country="NP")
    other_user = make_user(email_verified_at=timezone.now())
    membership_set(actor=None, organisation=other, user=other_user, role=MemberRole.EDITOR)

    first = concept_note(call, cso_user, organisation)
    second = concept_note(call, other_user, other)
    assert first.stage == second.stage == "concept_note" and first.status == ApplicationStatus.SUBMITTED

    for application in (first, second):
        services.screening_record(actor=officer, application=application, on_time=True, complete=True, applicant_eligible=True, action_eligible=True, costs_eligible=True)
    close_concept_stage(call)
    _, concept_crit = small_grid(call, stage="concept_note")
    score(Application.objects.get(pk=first.pk), {"a1": 5, "a2": 5, "b1": 4}, concept_crit)
    score(Application.objects.get(pk=second.pk), {"a1": 3, "a2": 3, "b1": 1}, concept_crit)

    results, proposals, _ = award_proposal(call, "concept_note")
    assert [(p.result.application.pk, p.outcome) for p in proposals] == [(first.pk, "shortlist"), (second.pk, "shortlist")]
    assert call_results(call).results == [], "full applications are ranked apart"

    with pytest.raises(DomainError, match="concept note is shortlisted or not selected"):
        award_decide(actor=officer, application=first, outcome="award", justification="Too early")
    award_decide(actor=officer, application=first, outcome="shortlist", justification="Strong concept")
    award_decide(actor=officer, application=second, outcome="reject", justification="Weak design")
    assert Application.objects.get(pk=first.pk).status == ApplicationStatus.SHORTLISTED

    full = services.application_start(actor=cso_user, call=call, organisation=organisation)
    assert full.stage == "full" and full.concept_note_id == first.pk and full.title == first.title
    with pytest.raises(DomainError, match="only organisations whose concept note was shortlisted"):
        services.application_start(actor=other_user, call=call, organisation=other)


def test_concept_note_deadline_is_enforced(two_stage_call, cso_user, organisation):
    application = services.application_start(actor=cso_user, call=two_stage_call, organisation=organisation)
    services.application_save_draft(
        actor=cso_user, application=application, fields=valid_fields(two_stage_call), countries=list(two_stage_call.countries.filter(code="NP")),
        lines=VALID_LINES, rows=[],
    )
    with pytest.raises(DomainError) as exc:
        services.application_submit(actor=cso_user, application=application, now=two_stage_call.concept_note_deadline)
    assert exc.value.code == "deadline_passed"


def test_full_applications_still_need_a_logframe(open_call, cso_user, organisation):
    application = services.application_start(actor=cso_user, call=open_call, organisation=organisation)
    services.application_save_draft(
        actor=cso_user, application=application, fields=valid_fields(open_call), countries=list(open_call.countries.filter(code="NP")),
        lines=VALID_LINES, rows=[],
    )
    with pytest.raises(services.SubmissionRefused) as exc:
        services.application_submit(actor=cso_user, application=application)
    assert any(p.section == "logframe_rows" for p in exc.value.problems)


def test_ranking_page_shows_each_stage_apart_and_shortlists(client, two_stage_call, cso_user, organisation, officer):
    call = two_stage_call
    note = concept_note(call, cso_user, organisation)
    services.screening_record(actor=officer, application=note, on_time=True, complete=True, applicant_eligible=True, action_eligible=True, costs_eligible=True)
    close_concept_stage(call)
    _, crit = small_grid(call, stage="concept_note")
    score(Application.objects.get(pk=note.pk), {"a1": 4, "a2": 4, "b1": 4}, crit)
    client.force_login(officer)
    assert note.reference in client.get(f"/screening/calls/{call.pk}/ranking/?stage=concept_note").content.decode()
    assert note.reference not in client.get(f"/screening/calls/{call.pk}/ranking/").content.decode()
    response = client.post(
        f"/screening/calls/{call.pk}/ranking/{note.pk}/decide/",
        {f"d{note.pk}-outcome": "shortlist", f"d{note.pk}-justification": "Promising concept"},
    )
    assert response.status_code == 302 and "stage=concept_note" in response["Location"]
    assert Application.objects.get(pk=note.pk).status == ApplicationStatus.SHORTLISTED
    letter = client.get(f"/applications/{note.pk}/decision-letter.pdf")
    assert letter.status_code == 200


def test_call_create_checks_the_concept_note_deadline(officer, programme):
    from grants.services import call_create

    now = timezone.now()
    with pytest.raises(DomainError) as exc:
        call_create(
            actor=officer, programme=programme, reference="CN1", title="Two stages", opens_at=now, closes_at=now + timedelta(days=30),
            min_grant="10000", max_grant="20000", concept_note_deadline=now + timedelta(days=31),
        )
    assert exc.value.field == "concept_note_deadline"
