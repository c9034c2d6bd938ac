"""Agreement pages: who may see and do what, form errors on their fields, the PDF's text, query counts."""
import io
import unicodedata
from datetime import date, timedelta
from decimal import Decimal as D

import pypdf
import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from disbursements.agreements import agreement_amend_extension, agreement_sign
from disbursements.services import payment_record
from grants import ledger
from grants.models import AgreementStatus
from tests.conftest import login
from tests.grant_helpers import awarded_grant, signed_grant

pytestmark = pytest.mark.django_db

VIEW_NAMES = ["grant_detail", "grant_edit", "grant_sign", "grant_status", "agreement_pdf"]


def url(name, grant, *args):
    return reverse(name, args=[grant.reference, *args])


def pdf_text(response):
    assert response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def line_post(rows, **fields):
    """POST data for a budget line formset (prefix "lines") plus other fields."""
    data = {"lines-TOTAL_FORMS": str(len(rows)), "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "200", **fields}
    for i, (heading, description, quantity, unit_cost) in enumerate(rows):
        data.update({f"lines-{i}-heading": heading, f"lines-{i}-description": description, f"lines-{i}-unit": "lump sum",
                     f"lines-{i}-quantity": quantity, f"lines-{i}-unit_cost": unit_cost})
    return data


def edit_post(**fields):
    base = {"start_date": "2026-01-01", "end_date": "2026-12-31", "indirect_costs": "0", "contingency": "0",
            "own_contribution": "0", "third_party_contribution": "0", "reporting_currency": "EUR",
            "grantee_signatory": "", "special_conditions": ""}
    return line_post([("1", "Coordinator", "1", "100000.00"), ("2", "Field trips", "10", "5000.00")], **{**base, **fields})


# --- access -------------------------------------------------------------------------------------------------------

def test_anonymous_is_sent_to_sign_in(client):
    grant = awarded_grant()
    urls = [reverse("grant_list"), *[url(name, grant) for name in VIEW_NAMES],
            url("grant_amend", grant, "amount"), url("agreement_version_pdf", grant, 1)]
    for address in urls:
        response = client.get(address)
        assert response.status_code == 302 and response.url.startswith(resolve_url(settings.LOGIN_URL)), address


@pytest.mark.parametrize("who", ["officer", "finance", "donor", "administrator"])
def test_staff_and_donors_read_the_list_and_the_grant(client, request, who):
    grant = awarded_grant()
    login(client, request.getfixturevalue(who))
    listing = client.get(reverse("grant_list"))
    assert listing.status_code == 200 and grant.reference in listing.content.decode()
    detail = client.get(url("grant_detail", grant))
    assert detail.status_code == 200
    page = detail.content.decode()
    assert "Staff" in page and "120,000.00" in page  # a budget line, the proposed pre-financing
    assert ("Record the signature" in page) == (who in ("officer", "administrator"))
    assert client.get(url("agreement_pdf", grant)).status_code == 200


def test_reviewer_and_grantee_may_not_use_the_list(client, reviewer, cso_user):
    for user in (reviewer, cso_user):
        login(client, user)
        assert client.get(reverse("grant_list")).status_code == 403


def test_reviewer_gets_403_on_a_grant(client, reviewer):
    grant = awarded_grant()
    login(client, reviewer)
    assert client.get(url("grant_detail", grant)).status_code == 403
    assert client.get(url("agreement_pdf", grant)).status_code == 403


def test_grantee_member_is_sent_to_the_portal_and_reads_the_pdf(client, cso_user, organisation):
    grant = signed_grant(organisation=organisation)
    login(client, cso_user)
    response = client.get(url("grant_detail", grant))
    assert response.status_code == 302 and response.url == reverse("my_grant", args=[grant.reference])
    assert "€150,000.00" in pdf_text(client.get(url("agreement_pdf", grant)))
    for name in ("grant_edit", "grant_sign", "grant_status"):
        assert client.post(url(name, grant), {}).status_code == 403


def test_other_organisations_grant_is_404(client, other_cso_user, organisation):
    grant = signed_grant(organisation=organisation)
    login(client, other_cso_user)
    assert client.get(url("grant_detail", grant)).status_code == 404
    assert client.get(url("agreement_pdf", grant)).status_code == 404
    assert client.get(url("agreement_version_pdf", grant, 1)).status_code == 404


@pytest.mark.parametrize("who", ["donor", "finance", "reviewer"])
def test_readers_cannot_act(client, request, who):
    grant = awarded_grant()
    login(client, request.getfixturevalue(who))
    for address in (url("grant_edit", grant), url("grant_sign", grant), url("grant_status", grant),
                    url("grant_amend", grant, "amount")):
        assert client.post(address, {"reason": "x"}).status_code == 403, address
    grant.refresh_from_db()
    assert grant.status == AgreementStatus.DRAFT


def test_unknown_amendment_kind_is_404(client, officer):
    grant = signed_grant()
    login(client, officer)
    assert client.get(url("grant_amend", grant, "nonsense")).status_code == 404


# --- officer actions and form errors -----------------------------------------------------------------------------

def test_officer_edits_the_draft(client, officer):
    grant = awarded_grant()
    login(client, officer)
    assert client.get(url("grant_edit", grant)).status_code == 200
    response = client.post(url("grant_edit", grant), edit_post(special_conditions="Annual audit."))
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.special_conditions == "Annual audit."
    assert [ln.description for ln in grant.budget_lines.all()] == ["Coordinator", "Field trips"]


def test_edit_errors_come_back_on_their_fields(client, officer):
    grant = awarded_grant()
    login(client, officer)
    response = client.post(url("grant_edit", grant), edit_post(indirect_costs="20000.00", special_conditions="Kept."))
    assert response.status_code == 400
    form = response.context["form"]
    assert "exceed 7%" in form.errors["indirect_costs"][0]
    assert "Kept." in response.content.decode()  # nothing typed is lost
    response = client.post(url("grant_edit", grant), edit_post(indirect_costs="12,5x"))
    assert response.status_code == 400 and "indirect_costs" in response.context["form"].errors
    response = client.post(url("grant_edit", grant), line_post([("1", "", "1", "10")], **edit_post()) | {
        "lines-TOTAL_FORMS": "1", "lines-0-description": ""})
    assert response.status_code == 400
    assert "needs a heading, a description" in response.context["lines"].non_form_errors()[0]
    grant.refresh_from_db()
    assert grant.indirect_costs == 0 and [ln.description for ln in grant.budget_lines.all()] == ["Staff"]


def test_officer_signs_and_errors_show(client, officer):
    grant = awarded_grant()
    login(client, officer)
    assert client.get(url("grant_sign", grant)).status_code == 200
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(url("grant_sign", grant), {"signed_on": tomorrow, "grantee_signatory": "A. Director"})
    assert response.status_code == 400
    assert response.context["form"].errors["signed_on"] == ["The date of signature cannot be in the future."]
    response = client.post(url("grant_sign", grant), {"signed_on": "2026-01-05", "grantee_signatory": "A. Director"})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.status == AgreementStatus.SIGNED and grant.tranches.count() == 2


def test_sign_shows_an_unbalanced_budget_above_the_form(client, officer):
    grant = awarded_grant()
    grant.budget_lines.update(unit_cost=D("140000.00"))
    login(client, officer)
    response = client.post(url("grant_sign", grant), {"signed_on": "2026-01-05", "grantee_signatory": "A. Director"})
    assert response.status_code == 400
    assert "does not balance" in response.context["form"].non_field_errors()[0]


def test_status_change_needs_a_reason(client, officer):
    grant = signed_grant()
    login(client, officer)
    assert client.get(url("grant_status", grant)).status_code == 200
    response = client.post(url("grant_status", grant), {"status": AgreementStatus.SUSPENDED, "reason": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["reason"] == ["Give the reason."]
    response = client.post(url("grant_status", grant), {"status": AgreementStatus.SUSPENDED, "reason": "Audit."})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.status == AgreementStatus.SUSPENDED


def test_status_form_preselects_nothing(client, officer):
    grant = signed_grant()
    login(client, officer)
    form = client.get(url("grant_status", grant)).context["form"]
    assert form["status"].value() in (None, "")
    assert [value for value, _label in form.fields["status"].choices][0] == ""
    response = client.post(url("grant_status", grant), {"status": "", "reason": "Audit."})
    assert response.status_code == 400 and "status" in response.context["form"].errors
    grant.refresh_from_db()
    assert grant.status == AgreementStatus.SIGNED


def test_amount_amendment_short_allocation_shows_on_the_field(client, officer):
    grant = signed_grant()
    grant.own_contribution = D("10000.00")
    grant.save(update_fields=["own_contribution"])
    login(client, officer)
    assert client.get(url("grant_amend", grant, "amount")).status_code == 200
    response = client.post(url("grant_amend", grant, "amount"), {"amount": "155000.00", "reason": "More work."})
    assert response.status_code == 400
    assert "would exceed the allocation" in response.context["form"].errors["amount"][0]
    assert ledger.balances(grant=grant).committed == D("150000.00")


def test_budget_and_extension_amendments_by_page(client, officer):
    grant = signed_grant()
    login(client, officer)
    assert client.get(url("grant_amend", grant, "budget")).status_code == 200
    data = line_post([("1", "Staff", "1", "140000.00"), ("2", "Travel", "1", "10000.00")],
                     indirect_costs="0", contingency="0", reason="Travel rose.")
    assert client.post(url("grant_amend", grant, "budget"), data).status_code == 302
    response = client.post(url("grant_amend", grant, "extension"), {"end_date": "2026-06-30", "reason": "x"})
    assert response.status_code == 400 and "end_date" in response.context["form"].errors
    assert client.post(url("grant_amend", grant, "extension"), {"end_date": "2027-03-31", "reason": "Delays."}).status_code == 302
    grant.refresh_from_db()
    assert grant.version == 3 and grant.end_date == date(2027, 3, 31)
    page = client.get(url("grant_detail", grant)).content.decode()
    assert reverse("agreement_version_pdf", args=[grant.reference, 3]) in page


# --- PDF ----------------------------------------------------------------------------------------------------------

def test_draft_pdf_is_marked_and_complete(client, officer):
    grant = awarded_grant()
    login(client, officer)
    text = pdf_text(client.get(url("agreement_pdf", grant)))
    assert "DRAFT" in text
    assert grant.reference in text and "€150,000.00" in text
    assert "Annex I" in text and "Annex II" in text
    assert "Staff" in text  # a budget line
    assert "€120,000.00" in text  # the proposed pre-financing tranche


def test_version_pdfs_render_each_snapshot(client, officer):
    grant = awarded_grant(end=date(2026, 12, 31))
    agreement_sign(actor=officer, grant=grant, signed_on=date(2026, 1, 5), grantee_signatory="A. Director")
    agreement_amend_extension(actor=officer, grant=grant, end_date=date(2027, 6, 30), reason="Delays.")
    login(client, officer)
    first = pdf_text(client.get(url("agreement_version_pdf", grant, 1)))
    assert "Version 1" in first and "31 December 2026" in first and "DRAFT" not in first
    assert "A. Director" in first and "€30,000.00" in first  # the balance tranche
    second = pdf_text(client.get(url("agreement_version_pdf", grant, 2)))
    assert "30 June 2027" in second and "Delays." in second
    current = pdf_text(client.get(url("agreement_pdf", grant)))
    assert "Version 2" in current
    assert client.get(url("agreement_version_pdf", grant, 3)).status_code == 404


# --- query counts -------------------------------------------------------------------------------------------------

def _count(client, address):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
    assert response.status_code == 200
    return len(queries)


def test_grant_list_query_count_does_not_grow(client, officer, call):
    ledger.allocation_add(actor=None, call=call, amount=D("1"))  # the call exists in the ledger before any grant
    for _ in range(2):
        signed_grant(call=call, amount="50000.00")
    login(client, officer)
    few = _count(client, reverse("grant_list"))
    for _ in range(10):
        signed_grant(call=call, amount="50000.00")
    many = _count(client, reverse("grant_list"))
    assert many == few <= 12, (few, many)  # with the filters' choices, the saved views and the header's notifications
    assert _count(client, reverse("grant_list") + f"?call={call.pk}&status=signed&q=a&sort=-paid") == few


def test_grant_detail_query_count_is_constant(client, officer, finance):
    grant = signed_grant()
    tranche = grant.tranches.get(number=1)
    payment_record(actor=finance, tranche=tranche, amount=D("10000.00"), value_date=date(2026, 1, 10), bank_reference="TT-1")
    login(client, officer)
    few = _count(client, url("grant_detail", grant))
    for n in range(2, 5):
        payment_record(actor=finance, tranche=tranche, amount=D("10000.00"), value_date=date(2026, 1, 10), bank_reference=f"TT-{n}")
    grant.budget_lines.create(heading="2", description="Travel", quantity=1, unit_cost=D("0"))
    agreement_amend_extension(actor=officer, grant=grant, end_date=date(2027, 3, 31), reason="Delays.")
    many = _count(client, url("grant_detail", grant))
    assert many == few <= 14, (few, many)  # with the header's count of unread notifications, the results section, the recovery orders and what was offset against the payments


def test_agreement_pdf_in_arabic_reads_back_in_logical_order(client, officer):
    grant = awarded_grant()
    login(client, officer)
    response = client.get(url("agreement_pdf", grant) + "?lang=ar")
    assert response["Content-Disposition"].endswith(f'filename="{grant.reference}-ar.pdf"')
    text = unicodedata.normalize("NFKC", pdf_text(response))
    for expected in ("الملحق الأول – ميزانية المشروع", "إجمالي تكاليف المشروع", "الجهة المستفيدة من المنحة", grant.reference):
        assert expected in text, expected
    assert "Annex I" not in text


@pytest.mark.parametrize("language, words", [
    ("fr", ["Annexe I", "Coûts directs", "Ressources humaines"]), ("es", ["Anexo I"]), ("ru", ["Приложение I"]), ("pt", ["Anexo I"]),
])
def test_agreement_pdf_in_each_language(client, officer, language, words):
    grant = awarded_grant()
    login(client, officer)
    text = pdf_text(client.get(url("agreement_pdf", grant) + f"?lang={language}"))
    for word in words:
        assert word in text, word


def test_agreement_pdf_language_does_not_open_access(client, cso_user):
    grant = awarded_grant()
    login(client, cso_user)  # a member of another organisation
    assert client.get(url("agreement_pdf", grant) + "?lang=fr").status_code in (403, 404)


def test_agreement_page_offers_the_pdf_in_six_languages(client, officer):
    grant = awarded_grant()
    login(client, officer)
    body = client.get(url("grant_detail", grant)).content.decode()
    for code in ("en", "fr", "es", "ru", "pt", "ar"):
        assert f'{url("agreement_pdf", grant)}?lang={code}"' in body
