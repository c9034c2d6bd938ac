"""List pages cost a fixed number of queries, whatever the number of rows they show."""
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.services import audit_record
from grants import ledger

from ..factories import CallFactory, GrantFactory


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_envelope_page_queries_do_not_grow_with_calls(client, officer, programme):
    client.force_login(officer)

    def add_calls(n):
        for _ in range(n):
            call = CallFactory(programme=programme)
            ledger.allocation_add(actor=officer, call=call, amount="1000.00")
            grant = GrantFactory(call=call)
            ledger.commitment_add(actor=officer, grant=grant, amount="500.00")
            ledger.disbursement_add(actor=officer, grant=grant, amount="100.00")

    add_calls(2)
    few = _queries(client, "/envelope/")
    add_calls(20)
    many = _queries(client, "/envelope/")
    assert few == many
    assert many <= 10  # after a write: the ledger version, then the figures from the rows (envelope read afresh)


def test_audit_log_queries_do_not_grow_with_events(client, officer, call):
    client.force_login(officer)
    for i in range(5):
        audit_record(actor=officer, verb="test.event", target=call, amount=i)
    few = _queries(client, "/audit/")
    for i in range(45):
        audit_record(actor=officer, verb="test.event", target=call, amount=i)
    many = _queries(client, "/audit/")
    assert few == many
    assert many <= 15


def test_home_queries_do_not_grow_with_calls(client, officer, programme):
    client.force_login(officer)
    CallFactory.create_batch(2, programme=programme)
    _queries(client, "/")  # the first request fills the process's content-type cache (the inbox's access checks)
    few = _queries(client, "/")
    CallFactory.create_batch(20, programme=programme)
    assert _queries(client, "/") == few
