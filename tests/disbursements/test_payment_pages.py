"""Finance pages: the payment queue, recording and reversing a payment, the payment order PDF."""
import io
from datetime import date, timedelta
from decimal import Decimal as D

import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles as R
from accounts.services import bank_details_set
from disbursements.models import Payment
from disbursements.services import payment_record, payment_reverse
from grants import ledger
from grants.models import AgreementStatus

from ..conftest import make_user
from ..factories import CallFactory
from ..grant_helpers import signed_grant

pytestmark = pytest.mark.django_db

IBAN = "GB82WEST12345698765432"
PAID_ON = date(2026, 2, 2)


@pytest.fixture
def grant(call, organisation):
    return signed_grant(call=call, organisation=organisation)


@pytest.fixture
def first(grant):
    return grant.tranches.get(number=1)


@pytest.fixture
def payment(first, finance):
    return payment_record(actor=finance, tranche=first, amount="100000.00", value_date=PAID_ON, bank_reference="TRF-100")


def as_user(client, user):
    client.force_login(user)
    return client


def form_data(**overrides):
    data = {"amount": "120000.00", "value_date": "2026-02-02", "bank_reference": "TRF-1",
            "local_amount": "", "local_currency": "", "local_rate": ""}
    data.update(overrides)
    return data


def pdf_text(response):
    assert response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


# Access ---------------------------------------------------------------------------------------------------


def urls(payment):
    return {
        "queue": "/payments/",
        "new": f"/payments/new/{payment.tranche_id}/",
        "detail": f"/payments/{payment.pk}/",
        "pdf": f"/payments/{payment.pk}/order.pdf",
    }


# Status of GET per role; None = 403.
GET_MATRIX = {
    R.FINANCE_OFFICER: {"queue": 200, "new": 200, "detail": 200, "pdf": 200},
    R.PROGRAMME_OFFICER: {"queue": 200, "new": 403, "detail": 200, "pdf": 200},
    R.ADMINISTRATOR: {"queue": 200, "new": 403, "detail": 200, "pdf": 200},
    R.DONOR_OBSERVER: {"queue": 200, "new": 403, "detail": 200, "pdf": 403},
    R.APPLICANT: {"queue": 403, "new": 403, "detail": 403, "pdf": 403},
    R.REVIEWER: {"queue": 403, "new": 403, "detail": 403, "pdf": 403},
}


@pytest.mark.parametrize("role", list(GET_MATRIX))
def test_access_matrix(client, payment, role):
    as_user(client, make_user(role))
    for name, url in urls(payment).items():
        assert client.get(url).status_code == GET_MATRIX[role][name], (role, name)


def test_anonymous_is_sent_to_login(client, payment):
    for url in urls(payment).values():
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


def test_grantee_members_cannot_see_even_their_own_payments(client, payment, cso_user, other_cso_user):
    for user in (cso_user, other_cso_user):
        as_user(client, user)
        assert all(client.get(url).status_code == 403 for url in urls(payment).values())


@pytest.mark.parametrize("role", [R.PROGRAMME_OFFICER, R.DONOR_OBSERVER, R.ADMINISTRATOR])
def test_only_finance_records_or_reverses(client, first, payment, role):
    as_user(client, make_user(role))
    assert client.post(f"/payments/new/{first.pk}/", form_data(bank_reference="X")).status_code == 403
    assert client.post(f"/payments/{payment.pk}/", {"reason": "No"}).status_code == 403
    assert Payment.objects.count() == 1 and not Payment.objects.get().is_reversed


def test_missing_objects_are_404(client, finance):
    as_user(client, finance)
    for url in ("/payments/new/999999/", "/payments/999999/", "/payments/999999/order.pdf"):
        assert client.get(url).status_code == 404


# The queue ------------------------------------------------------------------------------------------------


def test_queue_lists_payable_waiting_and_latest_payments(client, finance, grant, payment):
    payment_reverse(actor=finance, payment=payment, reason="Wrong account")
    response = as_user(client, finance).get("/payments/")
    page = response.content.decode()
    [row] = response.context["rows"]
    assert row.grant == grant
    assert [(s.tranche.number, s.payable) for s in row.payable] == [(1, D("120000.00"))]
    assert f'href="/payments/new/{row.payable[0].tranche.pk}/"' in page and "Record payment" in page
    assert [s.tranche.number for s in row.waiting] == [2]
    assert "<details" in page and "Waits for the approved final report." in page
    assert "TRF-100" in page and "Reversed" in page


def test_latest_payments_come_newest_value_date_first(client, finance, grant, payment):
    """Recorded late, an earlier transfer still sorts by its value date, not by when finance typed it in."""
    second = payment_record(actor=finance, tranche=payment.tranche, amount="10000.00", value_date=PAID_ON - timedelta(days=20),
                            bank_reference="TRF-099")
    latest = as_user(client, finance).get("/payments/").context["payments"]
    assert [p.pk for p in latest][:2] == [payment.pk, second.pk]


def test_officer_reads_the_queue_without_pay_links(client, officer, payment):
    page = as_user(client, officer).get("/payments/").content.decode()
    assert "/payments/new/" not in page and "TRF-100" in page


def _grants(response):
    return {row.grant for row in response.context["rows"]}


def test_queue_filters_by_call_and_search(client, finance, grant, programme):
    other = signed_grant(call=CallFactory(programme=programme))
    as_user(client, finance)
    assert _grants(client.get("/payments/", {"call": grant.call_id})) == {grant}
    assert _grants(client.get("/payments/")) == {grant, other}
    assert _grants(client.get("/payments/", {"q": other.reference})) == {other}
    grant.organisation.legal_name = "Fondation Éclairée"
    grant.organisation.save(update_fields=["legal_name"])
    assert _grants(client.get("/payments/", {"q": "ECLAIREE"})) == {grant}


def test_queue_filters_payable_now_and_waiting(client, finance, grant, first, programme):
    paid_up = signed_grant(call=CallFactory(programme=programme))
    payment_record(actor=finance, tranche=paid_up.tranches.get(number=1), amount="120000.00", value_date=PAID_ON,
                   bank_reference="TRF-ALL")
    as_user(client, finance)
    assert _grants(client.get("/payments/", {"payability": "payable"})) == {grant}
    waiting = client.get("/payments/", {"payability": "waiting"})
    assert _grants(waiting) == {paid_up} and "Record payment" not in waiting.content.decode()


def test_queue_sorts_by_organisation_and_pages(client, finance, grant, programme):
    others = [signed_grant(call=CallFactory(programme=programme)) for _ in range(2)]
    as_user(client, finance)
    response = client.get("/payments/", {"sort": "-organisation", "per_page": "25"})
    names = [row.grant.organisation.legal_name for row in response.context["rows"]]
    assert names == sorted(names, reverse=True) and len(names) == len(others) + 1


def test_suspended_grant_waits_with_its_reason(client, finance, grant):
    grant.status = AgreementStatus.SUSPENDED
    grant.save(update_fields=["status"])
    response = as_user(client, finance).get("/payments/")
    assert not any(row.payable for row in response.context["rows"])
    assert "Nothing is payable while the agreement is suspended." in response.content.decode()
    assert not _grants(client.get("/payments/", {"payability": "payable"}))


def test_queue_query_count_does_not_grow_with_grants(client, finance, programme):
    call = CallFactory(programme=programme)

    def add(n):
        for _ in range(n):
            grant = signed_grant(call=call, amount="50000.00")
            payment_record(actor=finance, tranche=grant.tranches.get(number=1), amount="1000.00",
                           value_date=PAID_ON, bank_reference=f"Q-{grant.pk}")

    as_user(client, finance)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/payments/").status_code == 200
        return len(ctx.captured_queries)

    add(2)
    few = count()
    add(10)
    many = count()
    assert few == many <= 15, (few, many)
    # The page's schedules are computed for the grants shown only: a filtered, searched, sorted page costs the same.
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/payments/", {"payability": "payable", "q": "G", "sort": "-call", "call": call.pk}).status_code == 200
    assert len(ctx.captured_queries) == few


# Recording ------------------------------------------------------------------------------------------------


def test_form_is_prefilled(client, finance, call):
    grant = signed_grant(call=call, reporting_currency="NPR")
    response = as_user(client, finance).get(f"/payments/new/{grant.tranches.get(number=1).pk}/")
    form = response.context["form"]
    assert form["amount"].value() == D("120000.00")
    assert form["value_date"].value() == timezone.localdate()
    assert form["local_currency"].value() == "NPR"
    page = response.content.decode()
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in page and 'value="NPR"' in page
    assert "Pre-financing, payable on signature." in page


def test_eur_grant_leaves_the_local_currency_empty(client, finance, first):
    form = as_user(client, finance).get(f"/payments/new/{first.pk}/").context["form"]
    assert not form["local_currency"].value()


def test_finance_records_a_payment(client, finance, first, grant):
    response = as_user(client, finance).post(
        f"/payments/new/{first.pk}/", form_data(local_currency="NPR", local_rate="143.25"), follow=True
    )
    payment = Payment.objects.get()
    assert response.redirect_chain == [(f"/payments/{payment.pk}/", 302)]
    page = response.content.decode()
    assert "recorded" in page and "TRF-1" in page and f"#{payment.ledger_entry_id}" in page
    assert payment.recorded_by == finance and payment.local_amount == D("17190000.00")
    assert ledger.balances(grant=grant).disbursed == D("120000.00")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "120000.01"}, "amount", "may pay at most €120,000.00"),
        ({"amount": "12.345"}, "amount", "at most two decimals"),
        ({"amount": "abc"}, "amount", "Enter a number"),
        ({"value_date": "2099-01-01"}, "value_date", "cannot be in the future"),
        ({"value_date": "2025-12-01"}, "value_date", "before the agreement was signed"),
        ({"bank_reference": ""}, "bank_reference", "required"),
        ({"local_amount": "1000.00", "local_currency": "EUR"}, "local_currency", "three-letter code"),
        ({"local_currency": "NPR"}, "local_amount", "amount received or the rate"),
    ],
)
def test_refusals_land_on_their_field_and_keep_the_input(client, finance, first, overrides, field, message):
    data = form_data(**overrides)
    response = as_user(client, finance).post(f"/payments/new/{first.pk}/", data)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    page = response.content.decode()
    assert f'value="{data["amount"]}"' in page and "The payment was not recorded" in page
    assert not Payment.objects.exists()


def test_duplicate_reference_is_shown_on_its_field(client, finance, first, payment):
    response = as_user(client, finance).post(f"/payments/new/{first.pk}/", form_data(amount="1.00", bank_reference="trf-100"))
    assert response.status_code == 400
    assert "already recorded" in response.context["form"].errors["bank_reference"][0]


def test_commitment_refusal_is_shown_on_the_form(client, finance, first, grant):
    ledger.commitment_release(actor=None, grant=grant, amount="40000.00")
    response = as_user(client, finance).post(f"/payments/new/{first.pk}/", form_data())
    assert response.status_code == 400
    assert "would exceed its commitment" in " ".join(response.context["form"].non_field_errors())


def test_tranche_that_cannot_pay_shows_why(client, finance, grant):
    balance = grant.tranches.get(number=2)
    response = as_user(client, finance).get(f"/payments/new/{balance.pk}/")
    assert response.status_code == 200 and not response.context["show_form"]
    assert "Waits for the approved final report." in response.content.decode()
    response = client.post(f"/payments/new/{balance.pk}/", form_data(amount="1.00"))
    assert response.status_code == 400
    assert "may pay at most €0.00" in response.context["form"].errors["amount"][0]


# Detail and reversal --------------------------------------------------------------------------------------


def test_finance_reverses_a_payment(client, finance, payment, grant):
    as_user(client, finance)
    assert client.get(f"/payments/{payment.pk}/").context["reverse_form"] is not None
    response = client.post(f"/payments/{payment.pk}/", {"reason": "Returned by the bank"}, follow=True)
    assert response.redirect_chain == [(f"/payments/{payment.pk}/", 302)]
    page = response.content.decode()
    assert "Reversed" in page and "Returned by the bank" in page and response.context["reverse_form"] is None
    assert ledger.balances(grant=grant).disbursed == 0


def test_reversal_needs_a_reason_and_is_refused_twice(client, finance, payment):
    as_user(client, finance)
    response = client.post(f"/payments/{payment.pk}/", {"reason": ""})
    assert response.status_code == 400 and "reason" in response.context["reverse_form"].errors
    payment_reverse(actor=finance, payment=payment, reason="Wrong")
    response = client.post(f"/payments/{payment.pk}/", {"reason": "Again"})
    assert response.status_code == 400
    assert "already been reversed" in response.context["reverse_form"].non_field_errors()[0]


def test_readers_see_the_detail_without_the_form(client, donor, payment):
    response = as_user(client, donor).get(f"/payments/{payment.pk}/")
    assert response.context["reverse_form"] is None
    page = response.content.decode()
    assert "TRF-100" in page and "order.pdf" not in page


# The payment order ----------------------------------------------------------------------------------------


@pytest.fixture
def bank(organisation):
    return bank_details_set(
        actor=None, organisation=organisation, account_holder="Friends of the Valley Trust", bank_name="Valley Bank",
        iban=IBAN, swift_bic="VALLGB2L",
    )


def test_payment_order_for_finance_names_the_full_account(client, finance, payment, grant, bank, programme):
    payment_record(actor=finance, tranche=payment.tranche, amount="20000.00", value_date=PAID_ON, bank_reference="TRF-101")
    response = as_user(client, finance).get(f"/payments/{payment.pk}/order.pdf")
    assert response["Cache-Control"] == "private, no-store"  # the full IBAN is never kept by a cache
    text = pdf_text(response)
    for expected in (programme.name, grant.reference, grant.organisation.legal_name, "Friends of the Valley Trust",
                     IBAN, "VALLGB2L", "€100,000.00", "2 February 2026", "TRF-100", finance.email,
                     "Pre-financing", "€150,000.00", "€50,000.00"):
        assert expected in text, expected
    # The position is the one just after this payment, not after the later one.
    assert "€120,000.00" not in text.split("position")[-1]


def test_payment_order_for_an_officer_masks_the_account(client, officer, payment, bank):
    text = pdf_text(as_user(client, officer).get(f"/payments/{payment.pk}/order.pdf"))
    assert IBAN not in text and "5432" in text and "Friends of the Valley Trust" in text


def test_payment_order_says_when_bank_details_are_missing_or_reversed(client, finance, payment):
    payment_reverse(actor=finance, payment=payment, reason="Returned by the bank")
    text = pdf_text(as_user(client, finance).get(f"/payments/{payment.pk}/order.pdf"))
    assert "has not given its bank details" in text and "REVERSED: Returned by the bank" in text
