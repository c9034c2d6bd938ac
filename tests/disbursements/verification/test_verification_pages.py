"""Check pages: an officer plans a check, records a finding; the grantee sees it on its grant page, answers with a
document; the officer accepts the answer and follows the finding up. Another organisation gets 404, a wrong role 403;
bad input gives a message on the field."""
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from disbursements.verification.models import CheckStatus, ExpenditureCheck, Finding, FindingOutcome
from tests.conftest import login
from tests.grant_helpers import signed_grant

from .test_verification import PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def grant(organisation):
    return signed_grant(amount="300000.00", start=date(2025, 1, 1), end=date(2027, 12, 31), signed_on=date(2025, 1, 1),
                        organisation=organisation)


def test_officer_records_a_finding_grantee_answers_officer_accepts(client, grant, officer, cso_user):
    login(client, officer)
    url = reverse("grant_checks", args=[grant.reference])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"kind": "spot_check", "period_start": "2025-06-30", "period_end": "2025-01-01", "period_number": "1"})
    assert bad.status_code == 400 and "The period ends before it starts." in bad.content.decode()
    response = client.post(url, {"kind": "spot_check", "period_start": "2025-01-01", "period_end": "2025-06-30",
                                 "period_number": "1", "sample": "10 vouchers", "amount_covered": "12000.00"})
    check = ExpenditureCheck.objects.get(grant=grant)
    assert response.status_code == 302 and check.staff == officer
    detail = reverse("check_detail", args=[check.pk])
    client.post(detail, {"action": "start", "sample": "10 vouchers", "amount_covered": "12000.00"})
    check.refresh_from_db()
    assert check.status == CheckStatus.IN_PROGRESS
    bad = client.post(detail, {"action": "finding", "category": "ineligible", "priority": "high", "description": "x",
                               "ineligible_amount": "12.345"})
    assert bad.status_code == 400
    client.post(detail, {"action": "finding", "category": "ineligible", "priority": "high",
                         "description": "Hotel above the rates", "ineligible_amount": "450.00"})
    finding = Finding.objects.get(grant=grant)

    client.logout()
    login(client, cso_user)
    page = client.get(reverse("my_grant", args=[grant.reference])).content.decode()
    assert reverse("finding_detail", args=[finding.pk]) in page
    finding_url = reverse("finding_detail", args=[finding.pk])
    bad = client.post(finding_url, {"action": "respond", "text": "Invoice", "document": SimpleUploadedFile("x.pdf", b"not a pdf")})
    assert bad.status_code == 400
    client.post(finding_url, {"action": "respond", "text": "The hotel invoice and the waiver",
                              "document": SimpleUploadedFile("waiver.pdf", PDF)})
    answer = finding.responses.get()
    assert answer.document_name == "waiver.pdf"

    client.logout()
    login(client, officer)
    client.post(finding_url, {"action": "decide", "response": answer.pk, "accepted": "yes", "note": ""})
    client.post(finding_url, {"action": "follow_up", "outcome": "documents_accepted", "note": ""})
    finding.refresh_from_db()
    assert finding.outcome == FindingOutcome.DOCUMENTS_ACCEPTED
    client.post(detail, {"action": "close", "conclusion": "Documents provided."})
    check.refresh_from_db()
    assert check.status == CheckStatus.CLOSED


def test_other_organisation_404_and_wrong_role_403(client, grant, officer, other_cso_user, cso_user, finance):
    from disbursements.verification.services import check_plan, check_start, finding_record
    check = check_start(actor=officer, check=check_plan(
        actor=officer, grant=grant, kind="verification", period_start=date(2025, 1, 1), period_end=date(2025, 12, 31),
        period_number=1, verifier="Verifiers Ltd"))
    finding = finding_record(actor=officer, check=check, category="cut_off", priority="low", description="Late invoice")
    login(client, other_cso_user)
    assert client.get(reverse("finding_detail", args=[finding.pk])).status_code == 404
    client.logout()
    login(client, cso_user)
    assert client.get(reverse("finding_detail", args=[finding.pk])).status_code == 200
    assert client.get(reverse("check_detail", args=[check.pk])).status_code == 403
    assert client.get(reverse("grant_checks", args=[grant.reference])).status_code == 403
    client.logout()
    login(client, finance)  # reads, but does not record
    assert client.get(reverse("check_detail", args=[check.pk])).status_code == 200
    assert client.post(reverse("grant_checks", args=[grant.reference]), {"kind": "spot_check"}).status_code == 403
    assert client.post(reverse("check_detail", args=[check.pk]), {"action": "close", "conclusion": "x"}).status_code == 403
