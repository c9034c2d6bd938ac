from decimal import Decimal

import pytest

from accounts import roles as R
from audit.models import AuditEvent
from grants.ledger import balances

from ..conftest import make_user


@pytest.fixture
def staff_client(client, officer):
    client.force_login(officer)
    return client


def _post(client, programme, call, **overrides):
    data = {"programme": programme.code, "call": call.pk, "action": "allocate", "amount": "250000.00", "memo": "Round 1"}
    data.update(overrides)
    return client.post("/envelope/allocate/", data)


def test_officer_allocates_and_sees_the_new_position(staff_client, programme, call, officer):
    response = _post(staff_client, programme, call)
    assert response.status_code == 302
    assert balances(call=call).allocated == Decimal("250000.00")
    event = AuditEvent.objects.get(verb="ledger.allocate")
    assert event.actor == officer and event.data["memo"] == "Round 1"
    page = staff_client.get(response["Location"]).content.decode()
    assert "€250,000.00" in page and "was updated" in page


def test_over_allocation_is_refused_on_the_amount_field_and_keeps_the_input(staff_client, programme, call):
    response = _post(staff_client, programme, call, amount="1000000.01")
    assert response.status_code == 400
    form = response.context["allocation_form"]
    assert "would exceed the envelope" in form.errors["amount"][0]
    assert 'value="1000000.01"' in response.content.decode()
    assert balances(call=call).allocated == 0


@pytest.mark.parametrize(
    ("amount", "message"),
    [("-5", "greater than or equal to 0.01"), ("abc", "Enter a number"), ("12.345", "at most two decimals"), ("", "required")],
)
def test_bad_amounts_get_a_clear_message(staff_client, programme, call, amount, message):
    response = _post(staff_client, programme, call, amount=amount)
    assert response.status_code == 400
    assert message in " ".join(response.context["allocation_form"].errors["amount"])


def test_release_more_than_uncommitted_is_refused(staff_client, programme, call):
    _post(staff_client, programme, call, amount="1000.00")
    response = _post(staff_client, programme, call, action="release", amount="1000.01")
    assert response.status_code == 400
    assert "at most €1,000.00 can be released" in response.context["allocation_form"].errors["amount"][0]


def test_call_of_another_programme_is_not_a_choice(staff_client, programme):
    from ..factories import CallFactory, EnvelopeFactory

    foreign = CallFactory(programme=EnvelopeFactory().programme)
    response = _post(staff_client, programme, foreign)
    assert response.status_code == 400
    assert "call" in response.context["allocation_form"].errors


@pytest.mark.parametrize("role", [R.DONOR_OBSERVER, R.APPLICANT, R.REVIEWER])
def test_other_roles_cannot_allocate(client, programme, call, role):
    client.force_login(make_user(role))
    assert _post(client, programme, call).status_code == 403
    assert balances(call=call).allocated == 0


def test_donor_sees_the_position_without_the_form(client, programme, call, donor):
    client.force_login(donor)
    response = client.get("/envelope/")
    assert response.status_code == 200
    assert response.context["allocation_form"] is None
    assert "Allocate to a call" not in response.content.decode()


def test_allocation_needs_post(staff_client):
    assert staff_client.get("/envelope/allocate/").status_code == 405
