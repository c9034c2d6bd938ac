import pytest
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse

from accounts import roles as R
from accounts.services import role_grant
from audit.middleware import AuditContextMiddleware
from audit.models import AppendOnlyError, AuditEvent
from audit.services import audit_record


@pytest.fixture
def event(db, officer, call):
    return audit_record(actor=officer, verb="test.something", target=call, amount="10.00", data={"k": "v"})


def test_record_keeps_actor_target_and_amounts(event, officer, call):
    event.refresh_from_db()
    assert event.actor == officer
    assert event.actor_email == officer.email
    assert event.target_repr == str(call)
    assert event.target_id == str(call.pk)
    assert str(event.amount) == "10.00"
    assert event.data == {"k": "v"}


def test_model_refuses_update_and_delete(event):
    event.verb = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(verb="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).verb == "test.something"


def test_database_refuses_raw_update(event):
    with pytest.raises(DatabaseError):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET verb = 'tampered' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).verb == "test.something"


def test_database_refuses_raw_delete_on_postgresql(event):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps DELETE possible so the test runner can empty tables; PostgreSQL refuses it")
    with pytest.raises(DatabaseError):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_admin_is_read_only(client, administrator, event):
    administrator.is_superuser = True
    administrator.save(update_fields=["is_superuser"])
    client.force_login(administrator)
    assert client.get("/admin/audit/auditevent/").status_code == 200
    assert client.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code == 200  # view only
    response = client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert client.get("/admin/audit/auditevent/add/").status_code == 403


def test_middleware_gives_services_the_client_address(rf, officer):
    """Services take no request; the middleware makes the client's address available to audit_record."""

    def view(request):
        role_grant(actor=officer, user=officer, role=R.REVIEWER)
        return HttpResponse("ok")

    request = rf.get("/", REMOTE_ADDR="203.0.113.7")
    AuditContextMiddleware(view)(request)
    assert AuditEvent.objects.filter(verb="role.grant").latest("id").ip_address == "203.0.113.7"
    # Outside a request nothing is recorded as the address.
    assert audit_record(actor=None, verb="test.outside").ip_address is None
