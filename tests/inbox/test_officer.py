"""The programme officer's inbox: each kind of work found in the models, counted per call, linked to its page."""
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from accounts import roles as R
from accounts.models import DocumentKind, DocumentStatus, DueDiligenceDocument, Flag, FlagLevel
from applications.models import ApplicationStatus
from conversations.models import Side
from disbursements.verification.models import FindingOutcome
from disbursements.verification.services import finding_follow_up, response_decide
from grants.models import AgreementStatus
from reports.models import ReportStatus

from ..conftest import make_user
from ..factories import CallFactory, OrganisationFactory
from ..grant_helpers import awarded_grant, signed_grant
from .builders import (
    application, assigned, closed_call, finding_answers, items_of, panel, queries_of, question, report, thread,
)

pytestmark = pytest.mark.django_db


def texts(items):
    return {item.text: item for item in items}


def test_calls_to_screen_staff_review_and_decide(officer, programme):
    now = timezone.now()
    open_call = CallFactory(programme=programme, reference="OPEN")
    for _ in range(3):
        application(open_call)
    application(open_call, status=ApplicationStatus.DRAFT)  # drafts are not the officer's

    no_panel = closed_call(programme, reference="NOPANEL")
    application(no_panel, status=ApplicationStatus.ELIGIBLE)
    application(no_panel, status=ApplicationStatus.ELIGIBLE)

    late = closed_call(programme, reference="LATE", review_deadline=now - timedelta(days=2))
    reviewer = make_user(R.REVIEWER)
    panel(late, reviewer)
    assigned(application(late, status=ApplicationStatus.ELIGIBLE), reviewer)
    application(late, status=ApplicationStatus.ELIGIBLE)  # nobody assigned

    done = closed_call(programme, reference="DONE")
    panel(done, reviewer)
    assigned(application(done, status=ApplicationStatus.ELIGIBLE), reviewer, submitted=True)
    assigned(application(done, status=ApplicationStatus.ELIGIBLE), make_user(R.REVIEWER), submitted=True)

    items = texts(items_of(officer, R.PROGRAMME_OFFICER))
    screen = items["3 submitted applications of OPEN to screen"]
    assert screen.count == 3 and screen.url == f"/screening/calls/{open_call.pk}/"
    assert items["NOPANEL has closed without a review panel (2 eligible applications)"].url == f"/screening/calls/{no_panel.pk}/panel/"
    assert items["1 eligible application of LATE has no reviewer assigned"].count == 1
    overdue = items["1 review of LATE is overdue"]
    assert overdue.overdue and overdue.due == late.review_deadline and overdue.url == f"/screening/calls/{late.pk}/reviews/"
    decide = items["Reviews of DONE are complete: 2 applications await an award decision"]
    assert decide.url == f"/screening/calls/{done.pk}/ranking/"
    assert not any("LATE are complete" in text for text in items)


def test_reviews_made_without_a_panel_are_not_reported_as_missing_a_panel(officer, programme):
    """Assignments made before panels existed (or imported) count as the call being reviewed."""
    call = closed_call(programme, reference="NOPANEL")
    assigned(application(call, status=ApplicationStatus.ELIGIBLE), make_user(R.REVIEWER), submitted=True)
    items = texts(items_of(officer, R.PROGRAMME_OFFICER))
    assert not any("without a review panel" in text for text in items)
    assert "Reviews of NOPANEL are complete: 1 application awaits an award decision" in items


def test_agreements_diligence_and_reports(officer, programme):
    today = timezone.localdate()
    awarded_grant(programme=programme)
    signed_grant(programme=programme, start=today - timedelta(days=10), end=today + timedelta(days=400))
    ended = signed_grant(programme=programme, start=today - timedelta(days=400), end=today - timedelta(days=5))
    ended.status = AgreementStatus.IN_IMPLEMENTATION
    ended.save(update_fields=["status"])
    report(ended, status=ReportStatus.SUBMITTED, submitted_at=timezone.now())
    organisation = OrganisationFactory()
    for kind in (DocumentKind.REGISTRATION_CERTIFICATE, DocumentKind.AUDITED_ACCOUNTS):
        DueDiligenceDocument.objects.create(
            organisation=organisation, kind=kind, file=ContentFile(b"%PDF-1.4", name="doc.pdf"), original_name="doc.pdf",
            file_kind="pdf", size=8, uploaded_by=officer,
        )
    DueDiligenceDocument.objects.filter(kind=DocumentKind.AUDITED_ACCOUNTS).update(status=DocumentStatus.ACCEPTED)
    Flag.objects.create(organisation=organisation, level=FlagLevel.YELLOW, reason="Late accounts")

    items = texts(items_of(officer, R.PROGRAMME_OFFICER))
    assert items["1 award without a signed agreement"].url == "/grants/?status=draft"
    assert items["1 signed agreement has started: mark it in implementation"].url == "/grants/?status=signed"
    assert items["1 grant has passed its end date: start closing it or extend it"].count == 1
    assert items["1 due-diligence document to review"].url == "/due-diligence/"
    assert items["1 open flag to confirm or dismiss"].url == "/due-diligence/?flags=open"
    assert items["1 report submitted for review"].url == "/reports/"


def test_questions_and_conversations_to_answer(officer, programme, organisation):
    call = CallFactory(programme=programme, reference="QA")
    asker = make_user(R.APPLICANT)
    question(call, asker)
    question(call, asker)
    submitted = application(call, organisation=organisation)
    thread(organisation, last_side=Side.ORGANISATION, application=submitted)
    answered = application(CallFactory(programme=programme), organisation=organisation)
    thread(organisation, last_side=Side.PROGRAMME, application=answered)  # the organisation's turn
    items = texts(items_of(officer, R.PROGRAMME_OFFICER))
    assert items["2 public questions on QA to answer"].url == f"/screening/calls/{call.pk}/questions/"
    message = items[f"{submitted.reference}: {organisation} wrote, the programme has not answered"]
    assert message.url == f"/applications/{submitted.pk}/messages/"
    assert not any(answered.reference in text for text in items)


def _answers(user, role=R.PROGRAMME_OFFICER):
    return [(item.text, item.count, item.url) for item in items_of(user, role) if "from the grantee to decide" in item.text]


def test_answers_to_findings_waiting_for_a_decision(officer, finance, programme):
    grant = signed_grant(programme=programme)
    finding = finding_answers(grant, None, None, False)  # two to decide, one already rejected
    finding_answers(signed_grant(programme=programme), True, number=2)  # decided: nothing to do
    url = reverse("finding_detail", args=[finding.pk])
    assert _answers(officer) == [(f"{finding}: 2 answers from the grantee to decide", 2, url)]
    assert _answers(finance, R.FINANCE_OFFICER) == []  # finance does not decide answers

    first, _second = finding.responses.filter(accepted__isnull=True)
    response_decide(actor=officer, response=first, accepted=True)
    assert _answers(officer) == [(f"{finding}: 1 answer from the grantee to decide", 1, url)]
    # Once the finding is followed up its remaining answer can no longer be decided: the item goes.
    finding_follow_up(actor=officer, finding=finding, outcome=FindingOutcome.DOCUMENTS_ACCEPTED, note="Receipts seen")
    assert _answers(officer) == []


def test_nothing_waiting(officer, programme):
    CallFactory(programme=programme)
    assert items_of(officer, R.PROGRAMME_OFFICER) == []


@pytest.mark.parametrize("more", [45])
def test_queries_do_not_grow_with_items(officer, programme, more):
    def add(n):
        for _ in range(n):
            question(CallFactory(programme=programme), officer)
            call = closed_call(programme)
            thread(OrganisationFactory(), last_side=Side.ORGANISATION, application=application(call))
            application(call, status=ApplicationStatus.ELIGIBLE)
            finding_answers(awarded_grant(programme=programme, amount="10000.00"), None)

    add(5)
    few, items_few = queries_of(officer, R.PROGRAMME_OFFICER)
    add(more)
    many, items_many = queries_of(officer, R.PROGRAMME_OFFICER)
    # Per open call a question; per closed call: to screen, no panel, a conversation; per grant an answered finding;
    # one line for the drafts.
    assert (items_few, items_many) == (26, 251)
    assert few == many <= 11
