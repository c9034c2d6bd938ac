from decimal import Decimal

import pytest

from accounts import roles as R
from audit.models import AuditEvent
from grants import ledger
from grants.models import Programme

from ..conftest import make_user


def test_staff_roles_reach_the_admin_and_others_do_not(client, db):
    for role, expected in [(R.PROGRAMME_OFFICER, 200), (R.FINANCE_OFFICER, 200), (R.ADMINISTRATOR, 200)]:
        client.force_login(make_user(role))
        assert client.get("/admin/grants/call/").status_code == expected, role
    for role in (R.APPLICANT, R.DONOR_OBSERVER, R.REVIEWER):
        client.force_login(make_user(role))
        assert client.get("/admin/grants/call/").status_code == 302, role  # sent to the admin login


def test_revoking_the_last_staff_role_removes_admin_access(db):
    from accounts.services import role_revoke

    user = make_user(R.PROGRAMME_OFFICER)
    assert user.is_staff
    role_revoke(actor=None, user=user, role=R.PROGRAMME_OFFICER)
    user.refresh_from_db()
    assert not user.is_staff


def test_administrator_creates_a_programme_with_its_envelope(client, db):
    admin = make_user(R.ADMINISTRATOR)
    client.force_login(admin)
    response = client.post(
        "/admin/grants/programme/add/",
        {
            "code": "SAFE", "name": "Safe Migration Fund", "short_name": "SMF", "donor": "EU", "agency": "UNODC",
            "description": "", "start_date": "2027-01-01", "end_date": "2029-12-31", "envelope_amount": "2500000.00",
            "objectives-TOTAL_FORMS": "0", "objectives-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    programme = Programme.objects.get(code="SAFE")
    assert programme.envelope.amount.amount == Decimal("2500000.00")
    assert AuditEvent.objects.filter(verb="programme.create", target_id=str(programme.pk)).exists()


def test_finance_resizes_the_envelope_never_below_allocations(client, envelope, call):
    finance = make_user(R.FINANCE_OFFICER)
    ledger.allocation_add(actor=finance, call=call, amount="600000.00")
    client.force_login(finance)
    url = f"/admin/grants/envelope/{envelope.pk}/change/"
    response = client.post(url, {"new_amount": "599999.99", "memo": "Donor cut"})
    assert response.status_code == 200
    assert "already allocated" in response.content.decode()
    envelope.refresh_from_db()
    assert envelope.amount.amount == Decimal("1000000.00")

    response = client.post(url, {"new_amount": "1200000.00", "memo": "Top-up from the donor"})
    assert response.status_code == 302
    envelope.refresh_from_db()
    assert envelope.amount.amount == Decimal("1200000.00")
    event = AuditEvent.objects.get(verb="ledger.resize_envelope")
    assert (event.amount_before, event.amount_after) == (Decimal("1000000.00"), Decimal("1200000.00"))


def test_call_status_changes_through_admin_actions_are_audited(client, programme):
    from ..factories import CallFactory

    call = CallFactory(programme=programme, status="draft")
    client.force_login(make_user(R.PROGRAMME_OFFICER))
    client.post("/admin/grants/call/", {"action": "close", "_selected_action": [call.pk]})
    call.refresh_from_db()
    assert call.status == "draft", "a draft call cannot be closed"
    client.post("/admin/grants/call/", {"action": "publish", "_selected_action": [call.pk]})
    call.refresh_from_db()
    assert call.status == "published"
    assert AuditEvent.objects.filter(verb="call.published", target_id=str(call.pk)).exists()


@pytest.mark.parametrize("url", ["/admin/grants/ledgerentry/add/", "/admin/grants/envelope/add/", "/admin/grants/grant/add/"])
def test_ledger_and_grants_cannot_be_written_in_the_admin(client, db, url):
    client.force_login(make_user(R.ADMINISTRATOR))
    assert client.get(url).status_code == 403
