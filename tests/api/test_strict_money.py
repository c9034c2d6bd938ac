"""Money and ids in API bodies are read exactly as docs/API.md documents them: amounts as decimal strings of ASCII
digits ("83541.78"), ids as JSON integers. What Python would also read ("1_000", Arabic-Indic digits, JSON numbers,
padded or signed text, 1.5 as the id 1) is a 400 on the field."""
from datetime import date

import pytest

from disbursements.models import Payment
from tests.api.conftest import TOKEN, api_client
from tests.grant_helpers import signed_grant

pytestmark = [pytest.mark.django_db]

PAYMENTS = "/api/v1/payments/"


@pytest.fixture
def tranche(call, organisation):
    return signed_grant(call=call, organisation=organisation).tranches.get(number=1)


def post_payment(finance, tranche, /, **change):
    """Record a payment on `tranche` through the API, with `change` to the body (a `tranche` there overrides it)."""
    body = {"tranche": tranche.pk, "amount": "100.00", "value_date": date(2026, 2, 2).isoformat(), "bank_reference": "TRF-1",
            **change}
    return api_client(finance, via=TOKEN).post(PAYMENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="strict-1")


@pytest.mark.parametrize(
    "amount",
    ["1_000", "١٠٠", "۱۰۰", " +100.00 ", "+100", "100.5 ", "1e3", "100.", ".5", "0x10", "NaN", "Infinity", "100,00", "",
     100.5, 100, True, None, ["100"], {"value": "100"}],
)
def test_an_amount_not_written_as_a_decimal_string_is_refused_on_the_amount(finance, tranche, amount):
    response = post_payment(finance, tranche, amount=amount)

    assert response.status_code == 400
    assert list(response.json()) == ["amount"]
    assert not Payment.objects.exists()


@pytest.mark.parametrize("field", ["local_amount", "local_rate"])
@pytest.mark.parametrize("value", ["1_000", "٣", 143.25, " 143.25"])
def test_local_amounts_and_rates_are_strict_too(finance, tranche, field, value):
    response = post_payment(finance, tranche, local_currency="NPR", **{field: value})

    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize("amount", ["-100.00", "0", "0.00"])
def test_an_amount_that_is_not_positive_is_refused_by_the_rule(finance, tranche, amount):
    response = post_payment(finance, tranche, amount=amount)

    assert response.status_code == 400
    assert response.json() == {"amount": ["The amount must be greater than zero."]}


@pytest.mark.parametrize(("amount", "stored"), [("100", "100.00"), ("100.5", "100.50"), ("0100.25", "100.25")])
def test_decimal_strings_are_accepted(finance, tranche, amount, stored):
    response = post_payment(finance, tranche, amount=amount, local_currency="NPR", local_rate="143.255")

    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == stored


@pytest.mark.parametrize(
    "spelling",
    [
        lambda pk: pk + 0.5,  # read as int(pk + 0.5) == pk by the database
        float,
        str,
        lambda pk: str(pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")),
        lambda pk: True,
    ],
)
def test_the_tranche_is_a_json_integer(finance, tranche, spelling):
    response = post_payment(finance, tranche, tranche=spelling(tranche.pk))

    assert response.status_code == 400
    assert list(response.json()) == ["tranche"]
    assert not Payment.objects.exists()


def test_a_tranche_id_beyond_any_id_column_is_refused_like_a_missing_one(finance, tranche):
    response = post_payment(finance, tranche, tranche=10**40)

    assert response.status_code == 400
    assert list(response.json()) == ["tranche"]


def test_the_schema_shows_the_pattern_the_field_enforces(client):
    schema = client.get("/api/schema/?format=json").json()
    amount = schema["components"]["schemas"]["PaymentCreateRequest"]["properties"]["amount"]

    assert amount["type"] == "string" and amount["pattern"] == r"^-?[0-9]{1,12}(?:\.[0-9]{1,2})?$"
