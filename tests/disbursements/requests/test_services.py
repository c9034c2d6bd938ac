"""Grantee requests: payment requests (payable tranches only, one open per tranche, a statement of expenditure,
approved or rejected by finance with a reason, paid through the payment service and linked), amendment requests
(approved by officers: an extension enacted as an agreement version; others recorded for the officer), comments,
audit events and notifications."""
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from core.errors import DomainError
from disbursements.models import GrantRequest, Payment, RequestStatus
from disbursements.requests import services as svc
from grants.models import AgreementVersionKind
from notifications.models import Notification

from .conftest import statement

pytestmark = pytest.mark.django_db


def _payment_request(grant, user, number=1, **kwargs):
    kwargs.setdefault("statement", statement())
    return svc.payment_request_submit(actor=user, grant=grant, tranche=grant.tranches.get(number=number), **kwargs)


def test_payment_request_for_a_payable_tranche_is_approved_and_paid(grant, cso_user, finance):
    tranche = grant.tranches.get(number=1)
    request = _payment_request(grant, cso_user)
    assert request.status == RequestStatus.SUBMITTED
    assert request.amount == tranche.planned_amount  # all the tranche may pay now
    assert request.reference == f"{grant.reference}-RQ01"
    assert request.statement_name == "statement.pdf"
    assert Notification.objects.filter(recipient=finance, kind="grant_request_submitted").count() == 1

    svc.request_approve(actor=finance, request=request)
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED and request.decided_by == finance
    assert Notification.objects.filter(recipient=cso_user, kind="grant_request_decided", params__outcome="approved").exists()

    svc.payment_request_pay(actor=finance, request=request, value_date=date(2025, 2, 1), bank_reference="RQ-TRF-1")
    request.refresh_from_db()
    payment = Payment.objects.get(bank_reference="RQ-TRF-1")
    assert request.status == RequestStatus.PAID and request.payment == payment
    assert payment.tranche == tranche and payment.amount == request.amount
    verbs = list(AuditEvent.objects.filter(verb__startswith="grant_request.").order_by("pk").values_list("verb", flat=True))
    assert verbs == ["grant_request.payment_submitted", "grant_request.approved", "grant_request.paid"]
    assert AuditEvent.objects.filter(verb="payment.record").count() == 1


def test_tranche_not_payable_is_refused(grant, cso_user):
    with pytest.raises(DomainError) as exc:
        _payment_request(grant, cso_user, number=2)  # waits for the first report
    assert exc.value.code == "not_payable" and exc.value.field == "tranche"
    assert not GrantRequest.objects.exists()


def test_more_than_payable_is_refused(grant, cso_user):
    with pytest.raises(DomainError) as exc:
        _payment_request(grant, cso_user, amount=grant.tranches.get(number=1).planned_amount + D("0.01"))
    assert exc.value.code == "exceeds_tranche"


def test_duplicate_open_request_is_refused_until_the_first_is_rejected(grant, cso_user, finance):
    first = _payment_request(grant, cso_user)
    with pytest.raises(DomainError) as exc:
        _payment_request(grant, cso_user)
    assert exc.value.code == "duplicate"
    svc.request_reject(actor=finance, request=first, reason="The statement is not signed.")
    second = _payment_request(grant, cso_user)
    assert second.number == 2


def test_reject_without_reason_is_refused(grant, cso_user, finance):
    request = _payment_request(grant, cso_user)
    with pytest.raises(DomainError) as exc:
        svc.request_reject(actor=finance, request=request, reason="  ")
    assert exc.value.code == "required" and exc.value.field == "reason"
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    svc.request_reject(actor=finance, request=request, reason="Missing invoices.")
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED and request.decision_reason == "Missing invoices."
    assert Notification.objects.filter(recipient=cso_user, kind="grant_request_decided", params__outcome="rejected").exists()
    with pytest.raises(DomainError) as exc:  # decided once
        svc.request_approve(actor=finance, request=request)
    assert exc.value.code == "wrong_status"


def test_statement_is_required_and_checked(grant, cso_user):
    with pytest.raises(DomainError) as exc:
        _payment_request(grant, cso_user, statement=None)
    assert exc.value.code == "statement_required"
    fake = SimpleUploadedFile("statement.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")
    with pytest.raises(DomainError) as exc:
        _payment_request(grant, cso_user, statement=fake)
    assert exc.value.field == "statement"
    assert not GrantRequest.objects.exists()


def test_wrong_roles_are_refused(grant, cso_user, viewer, officer, other_cso_user, finance):
    for user in (viewer, other_cso_user, officer):
        with pytest.raises(DomainError) as exc:
            _payment_request(grant, user)
        assert exc.value.code == "forbidden"
    request = _payment_request(grant, cso_user)
    with pytest.raises(DomainError):
        svc.request_approve(actor=officer, request=request)  # finance decides payments
    with pytest.raises(DomainError):
        svc.payment_request_pay(actor=finance, request=request, value_date=date(2025, 2, 1), bank_reference="X-1")  # not approved
    assert not Payment.objects.exists()


def test_extension_request_approved_becomes_an_amendment(grant, cso_user, officer, finance):
    new_end = grant.end_date + timedelta(days=90)
    request = svc.amendment_request_submit(actor=cso_user, grant=grant, amendment_kind="extension",
                                           justification="Flooding delayed the trainings.", new_end_date=new_end)
    assert Notification.objects.filter(recipient=officer, kind="grant_request_submitted").exists()
    assert not Notification.objects.filter(recipient=finance, kind="grant_request_submitted").exists()
    with pytest.raises(DomainError):
        svc.request_approve(actor=finance, request=request)  # officers decide amendments
    svc.request_approve(actor=officer, request=request)
    request.refresh_from_db()
    grant.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert request.amendment.kind == AgreementVersionKind.EXTENSION and grant.end_date == new_end
    assert AuditEvent.objects.filter(verb="agreement.amend_extension").count() == 1


def test_budget_and_activities_requests_are_checked_and_recorded(grant, cso_user, officer):
    with pytest.raises(DomainError) as exc:
        svc.amendment_request_submit(actor=cso_user, grant=grant, amendment_kind="budget", justification="x", lines=[])
    assert exc.value.field == "lines"
    with pytest.raises(DomainError) as exc:
        svc.amendment_request_submit(actor=cso_user, grant=grant, amendment_kind="budget", justification="x",
                                     lines=[{"line": "1", "amount": "1.001"}])
    assert exc.value.code == "invalid_line"
    with pytest.raises(DomainError) as exc:
        svc.amendment_request_submit(actor=cso_user, grant=grant, amendment_kind="activities", justification="  ",
                                     description="More shelters")
    assert exc.value.field == "justification"
    budget = svc.amendment_request_submit(actor=cso_user, grant=grant, amendment_kind="budget", justification="Prices",
                                          lines=[{"line": "1", "amount": "1000.00"}])
    assert budget.lines == [{"line": 1, "amount": "1000.00"}]
    with pytest.raises(DomainError) as exc:
        svc.amendment_request_submit(actor=cso_user, grant=grant, amendment_kind="budget", justification="Again",
                                     lines=[{"line": "1", "amount": "900.00"}])
    assert exc.value.code == "duplicate"
    svc.request_approve(actor=officer, request=budget)
    budget.refresh_from_db()
    assert budget.status == RequestStatus.APPROVED and budget.amendment is None  # for the officer to enact
    activities = svc.amendment_request_submit(actor=cso_user, grant=grant, amendment_kind="activities",
                                              justification="Needs changed", description="Add legal aid clinics")
    svc.request_reject(actor=officer, request=activities, reason="Outside the call's objectives.")
    activities.refresh_from_db()
    assert activities.status == RequestStatus.REJECTED


def test_comments_from_both_sides_viewer_only_reads(grant, cso_user, viewer, finance, donor):
    request = _payment_request(grant, cso_user)
    svc.request_comment(actor=cso_user, request=request, body="The statement covers January to March.")
    svc.request_comment(actor=finance, request=request, body="Thank you.")
    assert [c.body for c in request.comments.all()] == ["The statement covers January to March.", "Thank you."]
    for user in (viewer, donor):
        with pytest.raises(DomainError):
            svc.request_comment(actor=user, request=request, body="Hello")
    assert AuditEvent.objects.filter(verb="grant_request.comment").count() == 2


def test_a_payment_recorded_on_the_payment_page_marks_the_approved_request_paid(client, grant, cso_user, finance):
    from django.urls import reverse

    from tests.conftest import login

    tranche = grant.tranches.get(number=1)
    request = _payment_request(grant, cso_user)
    svc.request_approve(actor=finance, request=request)
    login(client, finance)
    response = client.post(reverse("payment_new", args=[tranche.pk]), {
        "amount": "100000.00", "value_date": "2025-02-01", "bank_reference": "PAGE-TRF-1"})
    assert response.status_code == 302

    request.refresh_from_db()
    payment = Payment.objects.get(bank_reference="PAGE-TRF-1")
    assert request.status == RequestStatus.PAID and request.payment == payment
    event = AuditEvent.objects.get(verb="grant_request.paid")
    assert event.data == {"request": request.pk, "number": 1, "payment": payment.pk, "requested": "100000.00"}
    assert event.amount == D("100000.00")
    assert Notification.objects.filter(recipient=cso_user, kind="grant_request_decided", params__outcome="paid").count() == 1
    assert Notification.objects.filter(recipient=cso_user, kind="payment_made").count() == 1


def test_a_payment_of_another_tranche_or_a_submitted_request_is_left_alone(grant, cso_user, finance, officer):
    from disbursements.services import expenditure_accept, payment_record

    first = _payment_request(grant, cso_user)  # submitted, not approved
    payment_record(actor=finance, tranche=grant.tranches.get(number=1), amount="100000.00",
                   value_date=date(2025, 2, 1), bank_reference="TRF-A")
    first.refresh_from_db()
    assert first.status == RequestStatus.SUBMITTED and first.payment is None
    svc.request_reject(actor=finance, request=first, reason="Paid meanwhile.")
    expenditure_accept(actor=officer, grant=grant, period_number=1, is_final=False, amount="95000.00",
                       period_end=date(2025, 12, 31), source="Report 1")
    second = _payment_request(grant, cso_user, number=2)
    svc.request_approve(actor=finance, request=second)
    # Paying it through the request: one path, one "paid" event, linked once.
    svc.payment_request_pay(actor=finance, request=second, value_date=date(2026, 2, 1), bank_reference="TRF-B")
    second.refresh_from_db()
    assert second.status == RequestStatus.PAID and second.payment.bank_reference == "TRF-B"
    assert AuditEvent.objects.filter(verb="grant_request.paid").count() == 1
    with pytest.raises(DomainError) as exc:  # already paid
        svc.payment_request_pay(actor=finance, request=second, value_date=date(2026, 2, 1), bank_reference="TRF-C")
    assert exc.value.code == "wrong_status"
    assert not Payment.objects.filter(bank_reference="TRF-C").exists()
