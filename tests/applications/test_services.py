import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import MemberRole
from accounts.services import membership_set
from applications import services
from applications.models import Application, ApplicationStatus, ReferenceCounter
from applications.services import SubmissionRefused
from audit.models import AuditEvent
from core.errors import DomainError

from ..conftest import make_user
from ..factories import OrganisationFactory
from .helpers import VALID_LINES, VALID_ROWS, complete_draft, pdf_upload, valid_fields


def _problems(application, actor):
    with pytest.raises(SubmissionRefused) as exc:
        services.application_submit(actor=actor, application=application)
    return {(p.section, p.field, p.row): p.message for p in exc.value.problems}


def _resave(application, actor, call, lines=VALID_LINES, rows=VALID_ROWS, **overrides):
    services.application_save_draft(
        actor=actor, application=application, fields=valid_fields(call, **overrides),
        countries=list(call.countries.all()), lines=lines, rows=rows,
    )


def test_start_is_idempotent_and_prefills_the_country(cso_user, open_call, organisation):
    first = services.application_start(actor=cso_user, call=open_call, organisation=organisation)
    again = services.application_start(actor=cso_user, call=open_call, organisation=organisation)
    assert first == again
    assert [c.code.code for c in first.countries.all()] == ["NP"]
    assert AuditEvent.objects.filter(verb="application.start").count() == 1


def test_start_needs_an_editor_and_an_open_call(open_call, organisation, cso_user):
    viewer = make_user()
    membership_set(actor=None, organisation=organisation, user=viewer, role=MemberRole.VIEWER)
    with pytest.raises(DomainError):
        services.application_start(actor=viewer, call=open_call, organisation=organisation)
    open_call.closes_at = timezone.now() - timedelta(seconds=1)
    open_call.save(update_fields=["closes_at"])
    with pytest.raises(DomainError, match="not open"):
        services.application_start(actor=cso_user, call=open_call, organisation=organisation)


def test_draft_accepts_partial_data(cso_user, open_call, organisation):
    application = services.application_start(actor=cso_user, call=open_call, organisation=organisation)
    services.application_save_draft(
        actor=cso_user, application=application, fields={"title": "Half done"}, countries=[],
        lines=[{"description": "Only a description"}], rows=[{"level": "outcome"}],
    )
    application.refresh_from_db()
    assert application.title == "Half done"
    assert application.budget_lines.get().quantity is None


def test_submit_gives_a_readable_gapless_reference_and_freezes_the_amount(cso_user, draft, open_call):
    application, newly = services.application_submit(actor=cso_user, application=draft)
    assert newly
    assert re.fullmatch(rf"{open_call.programme.code}-\d{{4}}-{open_call.reference}-0001", application.reference)
    assert application.requested_amount == Decimal("106400.00")
    assert application.status == ApplicationStatus.SUBMITTED
    assert ReferenceCounter.objects.get(call=open_call).last_number == 1
    event = AuditEvent.objects.get(verb="application.submit")
    assert event.amount == Decimal("106400.00")

    second_org = OrganisationFactory(country="MA")
    other_user = make_user()
    membership_set(actor=None, organisation=second_org, user=other_user, role=MemberRole.EDITOR)
    second = complete_draft(actor=other_user, call=open_call, organisation=second_org)
    # A refused submission in between must not use up a number.
    _resave(second, other_user, open_call, title="")
    with pytest.raises(SubmissionRefused):
        services.application_submit(actor=other_user, application=second)
    _resave(second, other_user, open_call)
    second, _ = services.application_submit(actor=other_user, application=second)
    assert second.reference.endswith("-0002")


def test_submitting_twice_submits_once(cso_user, draft):
    first, newly = services.application_submit(actor=cso_user, application=draft)
    again, newly_again = services.application_submit(actor=cso_user, application=Application.objects.get(pk=draft.pk))
    assert newly and not newly_again
    assert again.reference == first.reference and again.submitted_at == first.submitted_at
    assert AuditEvent.objects.filter(verb="application.submit").count() == 1


def test_one_second_late_is_refused_by_the_server_clock(cso_user, draft, open_call):
    with pytest.raises(DomainError) as exc:
        services.application_submit(actor=cso_user, application=draft, now=open_call.closes_at)
    assert exc.value.code == "deadline_passed"
    with pytest.raises(DomainError):
        services.application_submit(actor=cso_user, application=draft, now=open_call.closes_at + timedelta(seconds=1))
    application, newly = services.application_submit(actor=cso_user, application=draft, now=open_call.closes_at - timedelta(seconds=1))
    assert newly


def test_submitted_applications_are_read_only(cso_user, draft, open_call):
    services.application_submit(actor=cso_user, application=draft)
    with pytest.raises(DomainError, match="can no longer be changed"):
        _resave(draft, cso_user, open_call, title="Changed")
    with pytest.raises(DomainError):
        services.attachment_add(actor=cso_user, application=draft, title="x", uploaded_file=pdf_upload())


@pytest.mark.parametrize(
    ("overrides", "key", "fragment"),
    [
        ({"indirect_costs": Decimal("7000.01")}, ("", "indirect_costs", None), "at most 7% of direct costs (€7,000.00)"),
        ({"contingency": Decimal("5000.01")}, ("", "contingency", None), "at most 5% of direct costs (€5,000.00)"),
        ({"own_contribution": Decimal("5599.99")}, ("", "own_contribution", None), "at least 5% of total costs (€5,600.00)"),
        ({"title": "  "}, ("", "title", None), "title"),
        ({"objective": None}, ("", "objective", None), "objective"),
        ({"women": 0, "men": None, "girls": None, "boys": None, "victims_of_trafficking": 0, "smuggled_migrants": 0}, ("", "women", None), "number of people"),
        ({"victims_of_trafficking": 1000}, ("", "victims_of_trafficking", None), "cannot exceed"),
    ],
)
def test_each_rule_is_reported_on_its_field(cso_user, draft, open_call, overrides, key, fragment):
    _resave(draft, cso_user, open_call, **overrides)
    problems = _problems(draft, cso_user)
    assert key in problems, problems
    assert fragment in problems[key]
    assert Application.objects.get(pk=draft.pk).status == ApplicationStatus.DRAFT


def test_dates_must_fit_the_call_duration(cso_user, draft, open_call):
    start = timezone.now().date() + timedelta(days=30)
    _resave(draft, cso_user, open_call, start_date=start, end_date=start + timedelta(days=200))
    assert "between 12 and 24 months" in _problems(draft, cso_user)[("", "end_date", None)]
    _resave(draft, cso_user, open_call, start_date=timezone.now().date() - timedelta(days=1))
    assert "past" in _problems(draft, cso_user)[("", "start_date", None)]


def test_requested_amount_must_be_in_the_call_range(cso_user, draft, open_call):
    small = [{"heading": "1", "description": "Staff", "unit": "month", "quantity": Decimal("1"), "unit_cost": Decimal("1000.00")}]
    _resave(draft, cso_user, open_call, lines=small, indirect_costs=Decimal("0"), contingency=Decimal("0"), own_contribution=Decimal("50"))
    assert "between €50,000.00 and €300,000.00" in _problems(draft, cso_user)[("", "requested_amount", None)]


def test_incomplete_rows_are_reported_by_row(cso_user, draft, open_call):
    lines = VALID_LINES + [{"heading": "3", "description": "Laptops", "unit": "", "quantity": None, "unit_cost": Decimal("900")}]
    rows = [VALID_ROWS[0]]
    _resave(draft, cso_user, open_call, lines=lines, rows=rows)
    problems = _problems(draft, cso_user)
    assert ("budget_lines", "unit", 3) in problems and ("budget_lines", "quantity", 3) in problems
    assert ("logframe_rows", "__all__", None) in problems


def test_withdraw_before_the_deadline_only(cso_user, draft, open_call):
    services.application_submit(actor=cso_user, application=draft)
    with pytest.raises(DomainError, match="deadline"):
        services.application_withdraw(actor=cso_user, application=draft, now=open_call.closes_at)
    application = services.application_withdraw(actor=cso_user, application=draft, reason="Merged with a partner's proposal")
    assert application.status == ApplicationStatus.WITHDRAWN
    with pytest.raises(DomainError):
        services.application_withdraw(actor=cso_user, application=draft)
    # After withdrawing, the organisation may start afresh.
    fresh = services.application_start(actor=cso_user, call=open_call, organisation=draft.organisation)
    assert fresh.pk != draft.pk and fresh.status == ApplicationStatus.DRAFT


def test_receipt_email_carries_a_pdf_with_the_application(cso_user, draft, mailoutbox, django_capture_on_commit_callbacks):
    services.attachment_add(actor=cso_user, application=draft, title="Work plan", uploaded_file=pdf_upload())
    with django_capture_on_commit_callbacks(execute=True):
        application, _ = services.application_submit(actor=cso_user, application=draft)
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert application.reference in mail.subject and mail.to == [cso_user.email]
    name, content, mimetype = mail.attachments[0]
    assert mimetype == "application/pdf" and name == f"{application.reference}.pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    for expected in (application.reference, "Safe shelters for child victims", "€106,400.00", "Case workers", "Work plan", "Children reintegrated"):
        assert expected in text, expected


def test_screening_decisions(officer, cso_user, draft, mailoutbox, django_capture_on_commit_callbacks):
    services.application_submit(actor=cso_user, application=draft)
    checks = dict(on_time=True, complete=True, applicant_eligible=True, action_eligible=True, costs_eligible=False)
    with pytest.raises(DomainError) as exc:
        services.screening_record(actor=officer, application=draft, **checks)
    assert exc.value.field == "reason"
    with django_capture_on_commit_callbacks(execute=True):
        services.screening_record(actor=officer, application=draft, reason="Costs of a vehicle are not eligible.", **checks)
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.INELIGIBLE and draft.screening.reason.startswith("Costs")
    assert "not pass" in mailoutbox[-1].body and "vehicle" in mailoutbox[-1].body
    services.screening_record(actor=officer, application=draft, **{**checks, "costs_eligible": True})
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.ELIGIBLE and draft.screening.reason == ""
    assert AuditEvent.objects.filter(verb="application.screen").count() == 2


def test_drafts_cannot_be_screened(officer, draft):
    with pytest.raises(DomainError):
        services.screening_record(actor=officer, application=draft, on_time=True, complete=True, applicant_eligible=True, action_eligible=True, costs_eligible=True)
