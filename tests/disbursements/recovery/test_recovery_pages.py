"""The recovery pages: who may see and do what, bad input answered on its field, the list's fixed query count, the
grantee's read-only section."""
import io
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AuditEvent
from disbursements.models import RecoveryOrder, RecoveryStatus
from disbursements.recovery.services import recovery_order_issue
from disbursements.services import expenditure_accept, payment_record
from grants import ledger
from tests.conftest import login
from tests.grant_helpers import signed_grant

pytestmark = pytest.mark.django_db

DUE = timezone.localdate() + timedelta(days=30)


def _paid(call, finance, organisation=None, amount="300000.00", reference=None):
    extra = {"organisation": organisation} if organisation else {}
    grant = signed_grant(call=call, amount=amount, start=date(2025, 1, 1), end=date(2027, 12, 31),
                         signed_on=date(2025, 1, 1), **extra)
    payment_record(actor=finance, tranche=grant.tranches.get(number=1), amount="100000.00",
                   value_date=date(2025, 1, 15), bank_reference=reference or f"TRF-{grant.pk}")
    return grant


@pytest.fixture
def grant(call, finance, organisation, cso_user):
    return _paid(call, finance, organisation)


@pytest.fixture
def order(grant, finance):
    return recovery_order_issue(actor=finance, grant=grant, amount="2500.00", due_date=DUE, reason="Bank charges twice")


def test_finance_issues_an_order_with_a_reason(client, finance, grant):
    login(client, finance)
    url = reverse("recovery_new", args=[grant.reference])
    page = client.get(url)
    assert page.status_code == 200 and "Unspent advance" in page.content.decode()
    response = client.post(url, {"action": "order", "amount": "1234.56", "reason": "Ineligible travel",
                                 "due_date": DUE.isoformat(), "origin": "manual"})
    order = RecoveryOrder.objects.get()
    assert response.status_code == 302 and response.url == reverse("recovery_detail", args=[order.pk])
    assert order.amount == D("1234.56") and order.reason == "Ineligible travel"


@pytest.mark.parametrize("data, field, message", [
    ({"amount": "100000.01", "reason": "Too much"}, "amount", "would claim more than"),
    ({"amount": "12.345", "reason": "x"}, "amount", "two decimals"),
    ({"amount": "10.00", "reason": ""}, "reason", "required"),
    ({"amount": "abc", "reason": "x"}, "amount", ""),
])
def test_bad_input_is_answered_on_its_field(client, finance, grant, data, field, message):
    login(client, finance)
    response = client.post(reverse("recovery_new", args=[grant.reference]),
                           {"action": "order", "due_date": DUE.isoformat(), "origin": "manual", **data})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert not RecoveryOrder.objects.exists()


def test_finance_records_a_refund_and_a_duplicate_reference_is_refused(client, finance, order):
    login(client, finance)
    url = reverse("recovery_detail", args=[order.pk])
    today = timezone.localdate().isoformat()
    assert client.post(url, {"action": "refund", "amount": "1000.00", "value_date": today,
                             "bank_reference": "IN-77"}).status_code == 302
    response = client.post(url, {"action": "refund", "amount": "100.00", "value_date": today, "bank_reference": "in-77"})
    assert response.status_code == 400
    assert "already recorded" in " ".join(response.context["forms"]["refund"].errors["bank_reference"])
    response = client.post(url, {"action": "refund", "amount": "1500.01", "value_date": today, "bank_reference": "IN-78"})
    assert "outstanding" in " ".join(response.context["forms"]["refund"].errors["amount"])
    order.refresh_from_db()
    assert order.status == RecoveryStatus.PARTLY_SETTLED
    assert ledger.balances(grant=order.grant).recovered == D("1000.00")
    page = client.get(url).content.decode()
    assert "IN-77" in page and "1,500.00" in page


def test_finance_pays_the_next_tranche_net_of_an_offset(client, finance, officer, order, grant):
    expenditure_accept(actor=officer, grant=grant, period_number=1, is_final=False, amount="90000.00",
                       period_end=date(2025, 12, 31), source="Report 1")
    login(client, finance)
    url = reverse("recovery_detail", args=[order.pk])
    page = client.get(url)
    form = page.context["forms"]["offset"]
    tranche_id = form.fields["tranche"].choices[0][0]
    response = client.post(url, {"action": "offset", "tranche": tranche_id, "amount": "100000.00", "offset": "2500.00",
                                 "value_date": "2026-02-10", "bank_reference": "TRF-2026-2"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == RecoveryStatus.SETTLED
    totals = ledger.balances(grant=grant)
    assert (totals.paid, totals.recovered, totals.disbursed) == (D("200000.00"), D("2500.00"), D("197500.00"))


def test_finance_cancels_with_a_reason(client, finance, order):
    login(client, finance)
    url = reverse("recovery_detail", args=[order.pk])
    assert client.post(url, {"action": "cancel", "reason": ""}).status_code == 400
    assert client.post(url, {"action": "cancel", "reason": "Written off"}).status_code == 302
    order.refresh_from_db()
    assert order.status == RecoveryStatus.CANCELLED
    assert AuditEvent.objects.filter(verb="recovery.cancel").count() == 1
    # Nothing more can be done on it.
    response = client.post(url, {"action": "refund", "amount": "1.00", "value_date": timezone.localdate().isoformat(),
                                 "bank_reference": "IN-1"})
    assert response.status_code == 302 and not order.settlements.exists()
    page = client.get(url).content.decode()
    assert "Written off" in page and "Record a refund received" not in page


def test_who_may_see_and_act(client, order, grant, officer, donor, finance, cso_user, other_cso_user, reviewer):
    detail = reverse("recovery_detail", args=[order.pk])
    for user in (officer, donor):
        login(client, user)
        assert client.get(reverse("recovery_list")).status_code == 200
        page = client.get(detail)
        assert page.status_code == 200 and not page.context["forms"]
        assert client.get(reverse("recovery_new", args=[grant.reference])).status_code == 403
        assert client.post(detail, {"action": "cancel", "reason": "x"}).status_code == 403
    for user in (cso_user, other_cso_user, reviewer):
        login(client, user)
        assert client.get(reverse("recovery_list")).status_code == 403
        assert client.get(detail).status_code == 403
        assert client.get(reverse("recovery_list_export") + "?format=csv").status_code == 403
    login(client, finance)
    assert client.get(reverse("recovery_new", args=["NO-SUCH-GRANT"])).status_code == 404
    assert client.get(reverse("recovery_detail", args=[order.pk + 1000])).status_code == 404
    assert RecoveryOrder.objects.get().status == RecoveryStatus.OPEN


def test_the_grantee_sees_its_orders_read_only_and_others_do_not(client, order, grant, cso_user, other_cso_user, officer):
    login(client, cso_user)
    page = client.get(reverse("my_grant", args=[grant.reference])).content.decode()
    assert 'id="recoveries"' in page and order.reference in page and "Bank charges twice" in page
    assert reverse("recovery_detail", args=[order.pk]) not in page  # no link to the finance page
    login(client, other_cso_user)
    assert client.get(reverse("my_grant", args=[grant.reference])).status_code == 404
    login(client, officer)
    page = client.get(reverse("grant_detail", args=[grant.reference])).content.decode()
    assert reverse("recovery_detail", args=[order.pk]) in page
    assert reverse("recovery_new", args=[grant.reference]) not in page  # officers read; finance issues


def _count(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_list_of_open_orders_costs_the_same_for_few_and_many(client, finance, call, organisation):
    login(client, finance)
    first = _paid(call, finance, organisation)
    recovery_order_issue(actor=finance, grant=first, amount="10.00", due_date=DUE, reason="One")
    url = reverse("recovery_list") + "?sort=-outstanding"
    few = _count(client, url)
    for n in range(12):
        grant = _paid(None, finance, reference=f"MANY-{n}")  # each in its own programme: envelopes do not run out
        recovery_order_issue(actor=finance, grant=grant, amount=f"{n + 1}.00", due_date=DUE, reason=f"Order {n}")
    many = _count(client, url)
    assert few == many
    page = client.get(url)
    assert page.context["listing"].count == 13
    assert [o.outstanding_amount for o in page.context["listing"].rows][:2] == [D("12.00"), D("11.00")]


def test_the_export_has_typed_amounts(client, finance, order):
    login(client, finance)
    response = client.get(reverse("recovery_list_export") + "?format=xlsx")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(body)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == order.reference and rows[1][5] == 2500
