"""Request bodies of the API: a JSON body nested deeper than any request needs, or larger than any request needs,
is a 400 before it is parsed, never a server error (Python's json recursed until RecursionError)."""
import json
from datetime import date

import pytest

from api.parsers import MAX_BODY_BYTES, MAX_DEPTH, nested_deeper_than
from disbursements.services import payment_record
from tests.api.conftest import TOKEN, api_client
from tests.grant_helpers import signed_grant

pytestmark = [pytest.mark.django_db]

PAYMENTS = "/api/v1/payments/"


@pytest.fixture
def finance_api(finance):
    return api_client(finance, via=TOKEN)


def post(client, body: bytes, path=PAYMENTS, content_type="application/json"):
    return client.generic("POST", path, body, content_type=content_type, HTTP_IDEMPOTENCY_KEY="depth-1")


def nested(depth):
    return ("[" * depth + "]" * depth).encode()


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_a_body_nested_too_deep_is_a_400(finance_api, depth):
    response = post(finance_api, nested(depth))

    assert response.status_code == 400
    assert "nests more than 32 levels" in response.json()["detail"]


def test_a_deep_body_on_the_reversal_is_a_400_too(finance, finance_api, call, organisation):
    tranche = signed_grant(call=call, organisation=organisation).tranches.get(number=1)
    payment = payment_record(actor=finance, tranche=tranche, amount="100.00", value_date=date(2026, 2, 2), bank_reference="D-1")
    response = post(finance_api, b'{"reason": ' + nested(50_000) + b"}", path=f"{PAYMENTS}{payment.pk}/reverse/")

    assert response.status_code == 400
    assert "nests more than 32 levels" in response.json()["detail"]


def test_a_body_as_deep_as_allowed_reaches_the_fields(finance_api):
    response = post(finance_api, json.dumps({"amount": json.loads(nested(MAX_DEPTH - 1))}).encode())

    assert response.status_code == 400
    assert "amount" in response.json() and "detail" not in response.json()


def test_brackets_inside_strings_are_not_nesting():
    assert not nested_deeper_than(json.dumps({"reason": "[[[[{{{{" * 100, "note": 'say "[["'}), 2)
    assert nested_deeper_than('{"a": "\\\\", "b": [[[]]]}', 3)
    assert not nested_deeper_than('{"a": "\\"[[[[", "b": [[]]}', 3)


def test_a_body_larger_than_the_bound_is_a_400(finance_api):
    body = json.dumps({"reason": "x" * MAX_BODY_BYTES}).encode()
    response = post(finance_api, body)

    assert response.status_code == 400
    assert "larger than" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"\xff\xfe{}", "application/json"), (b"{", "application/json"), (b'{"amount": NaN}', "application/json")],
)
def test_bodies_that_are_not_json_text_are_a_400(finance_api, body, content_type):
    response = post(finance_api, body, content_type=content_type)

    assert response.status_code == 400
    assert list(response.json()) == ["detail"]
