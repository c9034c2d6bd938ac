"""The payments API: who may read which payments and who may record them, refusals on their field, filters."""
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from audit.models import AuditEvent
from disbursements.models import Payment
from disbursements.services import payment_record, payment_reverse
from grants import ledger
from grants.models import LedgerEntry, LedgerKind
from tests.api.conftest import TOKEN
from tests.api.conftest import api_client as _client
from tests.grant_helpers import signed_grant

pytestmark = [pytest.mark.django_db]

PAYMENTS = "/api/v1/payments/"
PAID_ON = date(2026, 2, 2)


def api_client(user=None):
    """A client sending a new bearer token of `user` (anonymous without a user), as machine clients do."""
    return _client(user, via=TOKEN)


def payment_body(tranche, amount="83541.78", reference="TRF-001", value_date=PAID_ON, **extra):
    return {"tranche": tranche.pk, "amount": amount, "value_date": value_date.isoformat(), "bank_reference": reference, **extra}


def post_payment(client, body, key="key-1"):
    return client.post(PAYMENTS, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.fixture
def grant(call, organisation):
    # EUR 150,000 over 2026: tranche 1 pays 120,000 on signature, tranche 2 the balance after the final report.
    return signed_grant(call=call, organisation=organisation)


@pytest.fixture
def tranche(grant):
    return grant.tranches.get(number=1)


@pytest.fixture
def other_grant(call, other_organisation):
    return signed_grant(call=call, organisation=other_organisation)


def pay(tranche, actor, amount="1000.00", reference="TRF-X", value_date=PAID_ON):
    return payment_record(actor=actor, tranche=tranche, amount=amount, value_date=value_date, bank_reference=reference)


# --- Recording ---------------------------------------------------------------------------------------------------

def test_finance_records_a_payment_with_a_bearer_token(finance, tranche, grant):
    response = post_payment(api_client(finance), payment_body(tranche, local_currency="npr", local_rate="143.255"))

    assert response.status_code == 201, response.json()
    payment = Payment.objects.get()
    assert response.json() == {
        "id": payment.pk, "grant": grant.reference, "tranche": tranche.pk, "tranche_number": 1,
        "amount": "83541.78", "value_date": "2026-02-02", "bank_reference": "TRF-001",
        "local_amount": "11967777.69", "local_currency": "NPR", "local_rate": "143.255000",
        "reversed": False, "reversal_reason": "", "recorded_at": response.json()["recorded_at"],
    }
    assert payment.recorded_by == finance and payment.amount == D("83541.78")
    assert ledger.balances(grant=grant).disbursed == D("83541.78")
    assert AuditEvent.objects.get(verb="payment.record").actor == finance


@pytest.mark.parametrize("role", ["officer", "donor", "cso_user", "reviewer", "administrator"])
def test_only_finance_may_record(request, role, tranche):
    client = api_client(request.getfixturevalue(role))
    assert post_payment(client, payment_body(tranche)).status_code == 403
    assert not Payment.objects.exists()


def test_anonymous_may_not_record_or_read(tranche):
    # 401 once BearerTokenAuthentication is listed first in REST_FRAMEWORK; 403 while SessionAuthentication is
    # (DRF takes the challenge from the first class): see tests/api/test_tokens.py.
    client = api_client()
    assert post_payment(client, payment_body(tranche)).status_code in (401, 403)
    assert client.get(PAYMENTS).status_code in (401, 403)
    assert not Payment.objects.exists()


def test_amount_beyond_the_tranche_is_refused_on_the_amount(finance, tranche):
    response = post_payment(api_client(finance), payment_body(tranche, amount="120000.01"))

    assert response.status_code == 400
    [message] = response.json()["amount"]
    assert "may pay at most €120,000.00" in message
    assert not Payment.objects.exists()
    assert not LedgerEntry.objects.filter(kind=LedgerKind.DISBURSEMENT).exists()


def test_future_value_date_is_refused_on_the_value_date(finance, tranche):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = post_payment(api_client(finance), payment_body(tranche, value_date=tomorrow))

    assert response.status_code == 400
    assert list(response.json()) == ["value_date"] and "future" in response.json()["value_date"][0]
    assert not Payment.objects.exists()


def test_duplicate_bank_reference_is_refused_on_the_reference(finance, tranche):
    pay(tranche, finance, reference="TRF-9")
    response = post_payment(api_client(finance), payment_body(tranche, reference=" trf-9 "))

    assert response.status_code == 400
    assert "trf-9 is already recorded" in response.json()["bank_reference"][0]
    assert Payment.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 83541.78}, "amount"),  # a JSON number: a float cannot hold money exactly
        ({"amount": "10.001"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"tranche": 999999}, "tranche"),
        ({"local_currency": "EUR", "local_amount": "10.00"}, "local_currency"),
    ],
)
def test_malformed_or_refused_values_are_400_on_their_field(finance, tranche, change, field):
    response = post_payment(api_client(finance), {**payment_body(tranche), **change})
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Payment.objects.exists()


def test_a_refusal_without_a_field_is_a_non_field_error(finance, tranche, grant):
    ledger.commitment_release(actor=None, grant=grant, amount="100000.00")  # 50,000 committed, the tranche plans 120,000
    response = post_payment(api_client(finance), payment_body(tranche, amount="60000.00"))
    assert response.status_code == 400
    assert "would exceed its commitment" in response.json()["non_field_errors"][0]


# --- Reading -----------------------------------------------------------------------------------------------------

def test_cso_sees_its_own_payments_only(cso_user, finance, tranche, other_grant):
    own = pay(tranche, finance, reference="OWN")
    other = pay(other_grant.tranches.get(number=1), finance, reference="OTHER")
    client = api_client(cso_user)

    listing = client.get(PAYMENTS)
    assert listing.status_code == 200
    assert [p["id"] for p in listing.json()["results"]] == [own.pk]
    assert client.get(f"{PAYMENTS}{own.pk}/").json()["bank_reference"] == "OWN"
    assert client.get(f"{PAYMENTS}{other.pk}/").status_code == 404


@pytest.mark.parametrize("role", ["officer", "donor", "finance", "administrator"])
def test_staff_and_donors_see_every_payment(request, role, finance, tranche, other_grant):
    pay(tranche, finance, reference="A")
    pay(other_grant.tranches.get(number=1), finance, reference="B")
    listing = api_client(request.getfixturevalue(role)).get(PAYMENTS)
    assert listing.json()["count"] == 2


def test_reviewer_may_not_read_payments(reviewer, finance, tranche):
    """As on the grant pages: a reviewer is neither programme staff nor a grantee's member."""
    payment = pay(tranche, finance)
    client = api_client(reviewer)
    assert client.get(PAYMENTS).status_code == 403
    assert client.get(f"{PAYMENTS}{payment.pk}/").status_code == 403


def test_filters_and_ordering(finance, tranche, grant, other_grant):
    early = pay(tranche, finance, amount="5000.00", reference="E", value_date=date(2026, 1, 10))
    late = pay(tranche, finance, amount="1000.00", reference="L", value_date=date(2026, 3, 1))
    other = pay(other_grant.tranches.get(number=1), finance, amount="3000.00", reference="O", value_date=date(2026, 2, 1))
    payment_reverse(actor=finance, payment=late, reason="Returned by the bank")
    client = api_client(finance)

    def ids(**params):
        response = client.get(PAYMENTS, params)
        assert response.status_code == 200, response.json()
        return [p["id"] for p in response.json()["results"]]

    assert ids() == [early.pk, other.pk, late.pk]  # by value date
    assert ids(grant=grant.reference) == [early.pk, late.pk]
    assert ids(value_date_after="2026-01-15", value_date_before="2026-02-01") == [other.pk]
    assert ids(reversed="true") == [late.pk]
    assert ids(reversed="false") == [early.pk, other.pk]
    assert ids(ordering="-amount") == [early.pk, other.pk, late.pk]
    assert ids(ordering="amount") == [late.pk, other.pk, early.pk]
    assert client.get(PAYMENTS, {"value_date_after": "not a date"}).status_code == 400


def test_list_costs_the_same_queries_for_one_or_many_payments(finance, tranche, other_grant):
    client = api_client(finance)
    client.get(PAYMENTS)  # the token's first use writes last_used_at; later requests within a minute do not
    pay(tranche, finance, reference="P0")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PAYMENTS).status_code == 200
        return len(queries)

    one = count()
    for i in range(1, 6):
        pay(other_grant.tranches.get(number=1), finance, reference=f"P{i}")
    assert count() == one == 4  # the token, the user's roles, the count, the page


# --- Reversing ---------------------------------------------------------------------------------------------------

def test_finance_reverses_a_payment(finance, tranche, grant):
    payment = pay(tranche, finance)
    client = api_client(finance)

    response = client.post(f"{PAYMENTS}{payment.pk}/reverse/", {"reason": "Wrong account"}, format="json",
                           HTTP_IDEMPOTENCY_KEY="rev-1")

    assert response.status_code == 200
    assert response.json()["reversed"] is True and response.json()["reversal_reason"] == "Wrong account"
    assert ledger.balances(grant=grant).disbursed == 0
    assert AuditEvent.objects.filter(verb="payment.reverse").count() == 1

    again = client.post(f"{PAYMENTS}{payment.pk}/reverse/", {"reason": "Again"}, format="json", HTTP_IDEMPOTENCY_KEY="rev-2")
    assert again.status_code == 400 and "already been reversed" in again.json()["non_field_errors"][0]


def test_reversal_needs_a_reason_and_a_finance_officer(finance, officer, cso_user, tranche):
    payment = pay(tranche, finance)
    url = f"{PAYMENTS}{payment.pk}/reverse/"

    blank = api_client(finance).post(url, {"reason": "  "}, format="json", HTTP_IDEMPOTENCY_KEY="r")
    assert blank.status_code == 400 and list(blank.json()) == ["reason"]
    for user in (officer, cso_user):
        assert api_client(user).post(url, {"reason": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="r").status_code == 403
    assert not Payment.objects.get().is_reversed


def test_reversing_a_payment_the_user_cannot_see_is_404(finance, tranche):
    response = api_client(finance).post(f"{PAYMENTS}424242/reverse/", {"reason": "x"}, format="json",
                                        HTTP_IDEMPOTENCY_KEY="r")
    assert response.status_code == 404


def test_refusals_come_in_the_token_owners_language_or_the_one_asked_for(tranche, finance):
    payment = pay(tranche, finance)
    finance.language = "fr"
    finance.save(update_fields=["language"])
    client = api_client(finance)
    client.post(f"{PAYMENTS}{payment.pk}/reverse/", {"reason": "Wrong account"}, format="json", HTTP_IDEMPOTENCY_KEY="l-1")
    french = client.post(f"{PAYMENTS}{payment.pk}/reverse/", {"reason": "Again"}, format="json", HTTP_IDEMPOTENCY_KEY="l-2")
    english = client.post(f"{PAYMENTS}{payment.pk}/reverse/", {"reason": "Again"}, format="json",
                          HTTP_IDEMPOTENCY_KEY="l-3", HTTP_ACCEPT_LANGUAGE="en")
    assert french.status_code == english.status_code == 400
    assert "already been reversed" in english.json()["non_field_errors"][0]
    assert "already been reversed" not in french.json()["non_field_errors"][0]
    assert french["Content-Language"] == "fr"
