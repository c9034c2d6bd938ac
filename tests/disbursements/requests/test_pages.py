"""Grantee request pages: who may see and do what (another organisation 404, viewers read only, finance decides
payments, officers amendments, others 403), bad input answered on its field, the staff list's fixed query count,
the statement download, and the finance inbox's counts."""
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disbursements.models import GrantRequest, RequestStatus
from disbursements.requests import services as svc
from inbox.selectors import inbox_for
from tests.applications.helpers import PDF_BYTES
from tests.conftest import login
from tests.grant_helpers import signed_grant

from .conftest import statement

pytestmark = pytest.mark.django_db


def _request(grant, user):
    return svc.payment_request_submit(actor=user, grant=grant, tranche=grant.tranches.get(number=1), statement=statement())


def _amendment(grant, user):
    return svc.amendment_request_submit(actor=user, grant=grant, amendment_kind="activities", justification="Needs changed",
                                        description="Add a legal aid clinic")


def test_grantee_pages_for_members_only(client, grant, cso_user, viewer, other_cso_user, reviewer):
    urls = [reverse(name, args=[grant.reference]) for name in ("my_grant_requests", "payment_request_new", "amendment_request_new")]
    login(client, cso_user)
    for url in urls:
        assert client.get(url).status_code == 200
    login(client, other_cso_user)
    assert {client.get(url).status_code for url in urls} == {404}
    login(client, viewer)
    assert client.get(urls[0]).status_code == 200
    assert b"Request a payment" not in client.get(urls[0]).content
    assert client.get(urls[1]).status_code == 403 and client.get(urls[2]).status_code == 403
    login(client, reviewer)  # belongs to no organisation
    assert client.get(urls[0]).status_code == 403


def test_payment_request_form_submits_and_refuses_on_fields(client, grant, cso_user):
    login(client, cso_user)
    url = reverse("payment_request_new", args=[grant.reference])
    tranche = grant.tranches.get(number=1)
    response = client.post(url, {"tranche": tranche.pk, "amount": "1.001", "expenditure": ""})
    assert response.status_code == 400 and 'id="id_amount_error"' in response.content.decode()
    response = client.post(url, {"tranche": tranche.pk, "expenditure": ""})
    assert response.status_code == 400
    assert "upload a statement of expenditure" in response.content.decode()
    response = client.post(url, {"tranche": grant.tranches.get(number=2).pk, "expenditure": ""})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()  # not payable
    response = client.post(url, {"tranche": "99999999999999999999999", "expenditure": ""})
    assert response.status_code == 400
    with open_pdf() as upload:
        response = client.post(url, {"tranche": tranche.pk, "expenditure": "", "statement": upload})
    request = GrantRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("grant_request_detail", args=[request.pk])
    download = client.get(reverse("grant_request_statement", args=[request.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF_BYTES


class open_pdf:
    def __enter__(self):
        return statement()

    def __exit__(self, *exc):
        return False


def test_amendment_form_refuses_on_fields(client, grant, cso_user):
    login(client, cso_user)
    url = reverse("amendment_request_new", args=[grant.reference])
    response = client.post(url, {"amendment_kind": "extension", "justification": "Floods"})
    assert response.status_code == 400 and "Give the new end date." in response.content.decode()
    response = client.post(url, {"amendment_kind": "budget", "justification": "Prices", "lines": "first line 100"})
    assert response.status_code == 400 and "Row 1" in response.content.decode()
    response = client.post(url, {"amendment_kind": "budget", "justification": "Prices", "lines": "1 = 1500.00"})
    assert response.status_code == 302
    assert GrantRequest.objects.get().lines == [{"line": 1, "amount": "1500.00"}]


def test_request_page_roles(client, grant, cso_user, viewer, other_cso_user, finance, officer, donor):
    payment = _request(grant, cso_user)
    amendment = _amendment(grant, cso_user)
    p_url = reverse("grant_request_detail", args=[payment.pk])
    a_url = reverse("grant_request_detail", args=[amendment.pk])
    for user in (cso_user, viewer, finance, officer, donor):
        login(client, user)
        assert client.get(p_url).status_code == 200
    login(client, other_cso_user)
    assert client.get(p_url).status_code == 404
    assert client.get(reverse("grant_request_statement", args=[payment.pk])).status_code == 404
    login(client, officer)
    assert client.post(p_url, {"action": "approve"}).status_code == 403
    login(client, finance)
    assert client.post(a_url, {"action": "approve"}).status_code == 403
    login(client, cso_user)
    assert client.post(p_url, {"action": "approve"}).status_code == 403
    assert client.post(p_url, {"action": "pay", "bank_reference": "X"}).status_code == 403
    login(client, viewer)
    assert client.post(p_url, {"action": "comment", "body": "Hello"}).status_code == 403
    login(client, donor)
    assert client.post(p_url, {"action": "comment", "body": "Hello"}).status_code == 403
    payment.refresh_from_db()
    assert payment.status == RequestStatus.SUBMITTED and not payment.comments.exists()


def test_decisions_through_the_page(client, grant, cso_user, finance, officer):
    payment = _request(grant, cso_user)
    url = reverse("grant_request_detail", args=[payment.pk])
    login(client, finance)
    response = client.post(url, {"action": "reject", "reason": ""})
    assert response.status_code == 400 and "Give the reason." in response.content.decode()
    assert client.post(url, {"action": "approve", "reason": ""}).status_code == 302
    response = client.post(url, {"action": "pay", "value_date": "2999-01-01", "bank_reference": "B-1"})
    assert response.status_code == 400 and "cannot be in the future" in response.content.decode()
    assert client.post(url, {"action": "pay", "value_date": date.today().isoformat(), "bank_reference": "B-1"}).status_code == 302
    payment.refresh_from_db()
    assert payment.status == RequestStatus.PAID and payment.payment.bank_reference == "B-1"
    amendment = _amendment(grant, cso_user)
    login(client, officer)
    a_url = reverse("grant_request_detail", args=[amendment.pk])
    assert client.post(a_url, {"action": "reject", "reason": "Outside the objectives."}).status_code == 302
    login(client, cso_user)
    assert client.post(a_url, {"action": "comment", "body": "Could we discuss it?"}).status_code == 302
    assert "Outside the objectives." in client.get(a_url).content.decode()


def test_staff_list_roles_and_fixed_queries(client, call, organisation, cso_user, finance, donor):
    login(client, cso_user)
    assert client.get(reverse("grant_request_list")).status_code == 403
    login(client, finance)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("grant_request_list"), {"kind": "payment"})
        assert response.status_code == 200
        return len(ctx.captured_queries), response

    grants = [signed_grant(call=call, organisation=organisation, amount="100000.00", start=date(2025, 1, 1),
                           end=date(2026, 12, 31), signed_on=date(2025, 1, 1)) for _ in range(4)]
    _request(grants[0], cso_user)
    few, _response = count()
    for grant in grants[1:]:
        _request(grant, cso_user)
        _amendment(grant, cso_user)
    many, response = count()
    assert few == many
    assert response.content.decode().count("-RQ0") == 4  # payment requests only
    login(client, donor)
    assert client.get(reverse("grant_request_list")).status_code == 200


def test_finance_inbox_counts_requests(grant, cso_user, finance):
    def texts():
        return [item.text for section in inbox_for(finance) for item in section.items]

    request = _request(grant, cso_user)
    assert "1 payment request to decide" in texts()
    svc.request_approve(actor=finance, request=request)
    assert "1 approved payment request to pay" in texts()
    assert not any("to decide" in text for text in texts())
    svc.payment_request_pay(actor=finance, request=request, value_date=date(2025, 2, 1), bank_reference="IN-1")
    assert not any("payment request" in text for text in texts())
