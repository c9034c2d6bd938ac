"""A CSO member's inbox: their own organisations' drafts, what came back for changes, reports due, agreements and
payments; never another organisation's."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts import roles as R
from accounts.models import DocumentKind, DocumentStatus, DueDiligenceDocument
from applications.models import ApplicationStatus
from conversations.models import Side
from disbursements.services import payment_record
from grants.periods import add_months
from reports.models import ReportStatus

from ..factories import CallFactory
from ..grant_helpers import awarded_grant, signed_grant
from .builders import application, items_of, queries_of, report, thread

pytestmark = pytest.mark.django_db


def _situation(organisation, programme, finance):
    """Everything a member of `organisation` has waiting; returns the objects the items point to."""
    today = timezone.localdate()
    call = CallFactory(programme=programme, reference="OPEN")
    draft = application(call, status=ApplicationStatus.DRAFT, organisation=organisation, title="Shelter for survivors")
    closed = CallFactory(programme=programme, opens_at=timezone.now() - timedelta(days=30), closes_at=timezone.now() - timedelta(days=1))
    application(closed, status=ApplicationStatus.DRAFT, organisation=organisation)  # too late: not work any more
    awarded = awarded_grant(programme=programme, organisation=organisation, amount="20000.00")
    start = today - timedelta(days=400)
    running = signed_grant(programme=programme, organisation=organisation, amount="300000.00", start=start,
                           end=add_months(start, 36) - timedelta(days=1), signed_on=start)
    sent_back = report(running, status=ReportStatus.CHANGES_REQUESTED, start=start, end=add_months(start, 12) - timedelta(days=1))
    tranche = running.tranches.get(number=1)
    payment_record(actor=finance, tranche=tranche, amount=Decimal("1000.00"), value_date=today, bank_reference=f"B-{organisation.pk}")
    thread(organisation, last_side=Side.PROGRAMME, grant=running)
    DueDiligenceDocument.objects.create(
        organisation=organisation, kind=DocumentKind.SAFEGUARDING_POLICY, file=ContentFile(b"%PDF-1.4", name="p.pdf"),
        original_name="p.pdf", file_kind="pdf", size=8, uploaded_by=finance, status=DocumentStatus.REJECTED,
    )
    return draft, awarded, running, sent_back


def test_each_kind_of_work_of_the_member(cso_user, organisation, programme, finance):
    draft, awarded, running, sent_back = _situation(organisation, programme, finance)
    items = {item.text: item for item in items_of(cso_user, R.APPLICANT)}
    draft_item = items["Draft “Shelter for survivors” for OPEN"]
    assert draft_item.url == f"/applications/{draft.pk}/edit/" and draft_item.due == draft.call.closes_at
    assert items[f"Interim report 1 of {running.reference}: changes requested"].url == f"/reports/{sent_back.pk}/"
    assert items[f"Agreement of {awarded.reference} to sign"].url == f"/my/grants/{awarded.reference}/"
    assert items[f"1 due-diligence document of {organisation.legal_name} was rejected: upload a new one"].url == (
        f"/organisations/{organisation.pk}/due-diligence/"
    )
    paid = items["1 payment received in the last 30 days"]
    assert paid.amount == Decimal("1000.00") and paid.url == "/my/grants/"
    assert items[f"{running.reference}: the programme wrote, your answer is awaited"].url == f"/grants/{running.reference}/messages/"
    assert len(items) == 6


def test_reports_due_and_overdue(cso_user, organisation, programme):
    today = timezone.localdate()
    start = today - timedelta(days=430)  # period 1 ended 65 days ago: its report was due 5 days ago
    grant = signed_grant(programme=programme, organisation=organisation, amount="300000.00", start=start,
                         end=add_months(start, 36) - timedelta(days=1), signed_on=start)
    (item,) = items_of(cso_user, R.APPLICANT)
    assert item.text == f"Interim report 1 of {grant.reference} to submit"
    assert item.overdue and item.due < today and item.url == f"/grants/{grant.reference}/reports/"
    report(grant, status=ReportStatus.SUBMITTED, start=start, end=add_months(start, 12) - timedelta(days=1),
           submitted_at=timezone.now())
    assert items_of(cso_user, R.APPLICANT) == []


def test_another_organisation_sees_none_of_it(cso_user, organisation, other_cso_user, programme, finance):
    _situation(organisation, programme, finance)
    assert items_of(other_cso_user, R.APPLICANT) == []
    assert len(items_of(cso_user, R.APPLICANT)) == 6


def test_nothing_waiting(cso_user):
    assert items_of(cso_user, R.APPLICANT) == []


def test_queries_do_not_grow_with_items(cso_user, organisation, programme):
    def add(n):
        for _ in range(n):
            application(CallFactory(programme=programme), status=ApplicationStatus.DRAFT, organisation=organisation)
            thread(organisation, last_side=Side.PROGRAMME,
                   application=application(CallFactory(programme=programme), organisation=organisation))
            awarded_grant(programme=programme, organisation=organisation, amount="10000.00",
                          start=date(2026, 1, 1), end=date(2026, 12, 31))

    add(5)
    few, items_few = queries_of(cso_user, R.APPLICANT)
    add(45)
    many, items_many = queries_of(cso_user, R.APPLICANT)
    assert (items_few, items_many) == (15, 150)
    assert few == many <= 10
