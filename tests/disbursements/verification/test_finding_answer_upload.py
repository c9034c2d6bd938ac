"""The grantee's answer to a finding goes through the project's upload checks: a verified address, the size bound and
the content check (core.uploads), and the personal-data scan (core.personal_data) with the confirmation reports use
(core.personal_data_forms): the warning on the document field, masked; the answer typed kept, nothing sent; the
same file confirmed is sent and the confirmation audited; the box covers neither another file nor another finding.
The answer's document is served only to those who may read the finding. The checks list and a check's page read
a fixed number of queries whatever the number of checks and findings."""
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from lxml import html

from audit.models import AuditEvent
from core.uploads import DEFAULT_MAX_BYTES
from disbursements.verification.models import FindingResponse
from disbursements.verification.services import check_plan, check_start, finding_record, finding_respond
from tests.conftest import login
from tests.grant_helpers import signed_grant
from tests.reports.test_personal_data_upload import ANNEX, CLEAN

pytestmark = pytest.mark.django_db


@pytest.fixture
def grant(organisation):
    return signed_grant(amount="300000.00", start=date(2025, 1, 1), end=date(2027, 12, 31), signed_on=date(2025, 1, 1),
                        organisation=organisation)


def _check(officer, grant):
    return check_start(actor=officer, check=check_plan(
        actor=officer, grant=grant, kind="spot_check", period_start=date(2025, 1, 1), period_end=date(2025, 12, 31),
        period_number=1, staff=officer, sample="12 vouchers", amount_covered="9000.00"))


def _finding(officer, check):
    return finding_record(actor=officer, check=check, category="missing_support", priority="medium",
                          description="Two fuel invoices are missing.", ineligible_amount="340.00")


@pytest.fixture
def finding(officer, grant, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return _finding(officer, _check(officer, grant))


def answer(client, finding, content, name="annex.pdf", **extra):
    return client.post(reverse("finding_detail", args=[finding.pk]), {
        "action": "respond", "text": "The invoices, as asked.", "document": SimpleUploadedFile(name, content), **extra})


def _page(response):
    return html.fromstring(response.content.decode())


def _errors(tree):
    return [" ".join(p.text_content().split()) for p in tree.xpath("//p[contains(@class, 'field-error')]")]


def test_personal_data_is_shown_masked_on_the_document_field_and_nothing_is_sent(client, finding, cso_user):
    login(client, cso_user)
    response = answer(client, finding, ANNEX)
    assert response.status_code == 400
    tree = _page(response)
    errors = _errors(tree)
    assert any("seems to hold personal data (2 findings)" in e for e in errors)
    assert "Passport number •••••••78 (page 2, line 2)" in errors
    assert tree.xpath("//p[@id='id_document_error']")  # on the document field
    assert "A12345678" not in response.content.decode()
    assert tree.xpath("//textarea[@name='text']")[0].text_content().strip() == "The invoices, as asked."
    assert tree.xpath("//input[@name='confirm_personal_data'][@type='checkbox']")
    assert tree.xpath("//input[@name='checked'][@type='hidden']")[0].get("value")
    assert not FindingResponse.objects.exists()


def test_the_same_file_confirmed_is_sent_and_the_confirmation_audited_masked(client, finding, cso_user):
    login(client, cso_user)
    token = _page(answer(client, finding, ANNEX)).xpath("//input[@name='checked']")[0].get("value")
    response = answer(client, finding, ANNEX, checked=token, confirm_personal_data="on")
    assert response.status_code == 302
    sent = finding.responses.get()
    event = AuditEvent.objects.get(verb="verification.personal_data_confirmed")
    assert event.actor == cso_user and event.data["response"] == sent.pk
    assert {f["kind"] for f in event.data["findings"]} == {"passport", "birth_date"}
    assert "A12345678" not in str(event.data)


def test_the_confirmation_covers_neither_another_file_nor_another_finding(client, finding, officer, cso_user):
    login(client, cso_user)
    token = _page(answer(client, finding, ANNEX)).xpath("//input[@name='checked']")[0].get("value")
    other_file = ANNEX + b"\n% another copy"
    assert answer(client, finding, other_file, checked=token, confirm_personal_data="on").status_code == 400
    other = _finding(officer, finding.check_ref)
    assert answer(client, other, ANNEX, checked=token, confirm_personal_data="on").status_code == 400
    assert not FindingResponse.objects.exists()


def test_a_clean_file_is_sent_at_once_without_a_confirmation_event(client, finding, cso_user):
    login(client, cso_user)
    assert answer(client, finding, CLEAN, name="invoices.pdf").status_code == 302
    assert finding.responses.get().document_name == "invoices.pdf"
    assert not AuditEvent.objects.filter(verb="verification.personal_data_confirmed").exists()


def test_a_file_too_large_or_not_what_it_says_is_refused_on_the_field(client, finding, cso_user):
    login(client, cso_user)
    for content, name in ((b"%PDF-1.4\n" + b"0" * DEFAULT_MAX_BYTES, "big.pdf"), (b"MZ\x90\x00", "invoice.pdf")):
        response = answer(client, finding, content, name=name)
        assert response.status_code == 400
        assert _page(response).xpath("//p[@id='id_document_error']"), name
    assert not FindingResponse.objects.exists()


def test_an_unverified_address_cannot_send_a_document(client, finding, cso_user):
    cso_user.email_verified_at = None
    cso_user.save(update_fields=["email_verified_at"])
    login(client, cso_user)
    response = answer(client, finding, CLEAN)
    assert response.status_code == 400
    assert any("confirm your e-mail address" in e for e in _errors(_page(response)))
    assert not FindingResponse.objects.exists()


def test_the_document_is_served_to_readers_of_the_finding_only(client, finding, officer, cso_user, other_cso_user):
    sent = finding_respond(actor=cso_user, finding=finding, text="Here", document=SimpleUploadedFile("invoices.pdf", CLEAN))
    url = reverse("finding_document", args=[finding.pk, sent.pk])
    for user in (cso_user, officer):
        login(client, user)
        response = client.get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content) == CLEAN
        assert 'filename="invoices.pdf"' in response["Content-Disposition"]
    login(client, other_cso_user)
    assert client.get(url).status_code == 404
    login(client, cso_user)
    other = _finding(officer, finding.check_ref)
    assert client.get(reverse("finding_document", args=[other.pk, sent.pk])).status_code == 404
    page = client.get(reverse("finding_detail", args=[finding.pk])).content.decode()
    assert f'href="{url}"' in page


def _queries(client, url):
    client.get(url)  # fills the process's caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_checks_list_and_check_page_queries_do_not_grow(client, officer, grant):
    login(client, officer)
    check = _check(officer, grant)
    _finding(officer, check)
    checks_url, check_url = reverse("grant_checks", args=[grant.reference]), reverse("check_detail", args=[check.pk])
    few = _queries(client, checks_url), _queries(client, check_url)
    for _ in range(6):
        _check(officer, grant)
        _finding(officer, check)
    many = _queries(client, checks_url), _queries(client, check_url)
    assert few == many and max(many) <= 15, (few, many)
