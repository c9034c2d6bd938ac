"""Idempotency-Key on the money-moving POSTs: a retry pays once and gets the first answer; misuse is refused."""
import pytest
from drf_spectacular.generators import SchemaGenerator

from accounts import roles as R
from api import payments as payments_api
from api.models import IdempotencyKey
from audit.models import AuditEvent
from disbursements.models import Payment
from grants.models import LedgerEntry, LedgerKind
from tests.api.test_payments import PAYMENTS, api_client, pay, payment_body, post_payment
from tests.conftest import make_user
from tests.grant_helpers import signed_grant

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def tranche(call, organisation):
    return signed_grant(call=call, organisation=organisation).tranches.get(number=1)  # may pay 120,000


def disbursements():
    return LedgerEntry.objects.filter(kind=LedgerKind.DISBURSEMENT).count()


def test_a_retry_with_the_same_key_pays_once_and_gets_the_same_answer(finance, tranche):
    client = api_client(finance)
    body = payment_body(tranche, amount="100000.00")

    first = post_payment(client, body, key="pay-42")
    second = post_payment(client, body, key="pay-42")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Payment.objects.count() == 1 and disbursements() == 1
    assert AuditEvent.objects.filter(verb="payment.record").count() == 1
    row = IdempotencyKey.objects.get()
    assert (row.user, row.key, row.method, row.path, row.status_code) == (finance, "pay-42", "POST", PAYMENTS, 201)
    assert row.response == first.json()


def test_another_key_is_a_new_payment_that_the_tranche_checks(finance, tranche):
    client = api_client(finance)
    assert post_payment(client, payment_body(tranche, amount="100000.00", reference="A"), key="k1").status_code == 201

    second = post_payment(client, payment_body(tranche, amount="100000.00", reference="B"), key="k2")

    assert second.status_code == 400 and "may pay at most €20,000.00" in second.json()["amount"][0]
    assert Payment.objects.count() == 1 and disbursements() == 1


def test_a_refusal_is_stored_and_replayed_even_after_the_world_changed(finance, tranche):
    """The answer to a key is fixed once given: after the duplicate is reversed, the retry still gets the 400 it
    got first (a new attempt needs a new key)."""
    original = pay(tranche, finance, reference="TRF-7")
    client = api_client(finance)
    body = payment_body(tranche, reference="TRF-7")
    first = post_payment(client, body, key="dup")
    assert first.status_code == 400 and "bank_reference" in first.json()
    client.post(f"{PAYMENTS}{original.pk}/reverse/", {"reason": "Wrong"}, format="json", HTTP_IDEMPOTENCY_KEY="rev")

    retry = post_payment(client, body, key="dup")

    assert (retry.status_code, retry.json(), retry["Idempotent-Replayed"]) == (400, first.json(), "true")
    assert Payment.objects.count() == 1
    assert post_payment(client, body, key="dup-2").status_code == 201


def test_the_same_key_with_another_body_or_path_is_422(finance, tranche):
    client = api_client(finance)
    first = post_payment(client, payment_body(tranche, amount="1000.00"), key="k")
    payment_id = first.json()["id"]

    other_body = post_payment(client, payment_body(tranche, amount="2000.00"), key="k")
    other_path = client.post(f"{PAYMENTS}{payment_id}/reverse/", {"reason": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k")

    for response in (other_body, other_path):
        assert response.status_code == 422
        assert "already used for a different request" in response.json()["detail"]
    assert Payment.objects.count() == 1 and not Payment.objects.get().is_reversed


@pytest.mark.parametrize("key", [None, "", "   ", "x" * 256])
def test_a_missing_blank_or_too_long_key_is_400_and_writes_nothing(finance, tranche, key):
    client = api_client(finance)
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}

    response = client.post(PAYMENTS, payment_body(tranche), format="json", **headers)

    assert response.status_code == 400 and "Idempotency-Key" in response.json()["detail"]
    assert not Payment.objects.exists() and not IdempotencyKey.objects.exists()


def test_a_key_of_255_characters_is_accepted(finance, tranche):
    assert post_payment(api_client(finance), payment_body(tranche), key="k" * 255).status_code == 201


def test_keys_are_per_user(finance, tranche):
    colleague = make_user(R.FINANCE_OFFICER)

    mine = post_payment(api_client(finance), payment_body(tranche, amount="1000.00", reference="A"), key="same")
    theirs = post_payment(api_client(colleague), payment_body(tranche, amount="2000.00", reference="B"), key="same")

    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs
    assert sorted(Payment.objects.values_list("recorded_by", flat=True)) == sorted([finance.pk, colleague.pk])


def test_a_server_error_is_not_stored_so_the_retry_runs(finance, tranche, monkeypatch):
    client = api_client(finance)
    client.raise_request_exception = False
    body = payment_body(tranche)

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patch:
        patch.setattr(payments_api, "payment_record", broken)
        assert post_payment(client, body, key="k").status_code == 500
    assert not IdempotencyKey.objects.exists()

    retry = post_payment(client, body, key="k")
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry
    assert Payment.objects.count() == 1


def test_a_reversal_retried_with_its_key_reverses_once(finance, tranche):
    payment = pay(tranche, finance)
    client = api_client(finance)
    url = f"{PAYMENTS}{payment.pk}/reverse/"

    first = client.post(url, {"reason": "Wrong account"}, format="json", HTTP_IDEMPOTENCY_KEY="rev-1")
    second = client.post(url, {"reason": "Wrong account"}, format="json", HTTP_IDEMPOTENCY_KEY="rev-1")

    assert first.status_code == second.status_code == 200 and second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert LedgerEntry.objects.filter(reverses__isnull=False).count() == 1
    assert AuditEvent.objects.filter(verb="payment.reverse").count() == 1


def test_the_schema_documents_the_required_header():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    for path in (PAYMENTS, PAYMENTS + "{id}/reverse/"):
        operation = schema["paths"][path]["post"]
        header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
        assert header["in"] == "header" and header["required"] is True
        assert "422" in operation["responses"]
