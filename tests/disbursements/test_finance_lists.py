"""The grant list and the payment queue as staff lists: exports (types, filters, who may), query counts that do not
grow with grants, and the payment queue's "payable now" query against the schedules computed in Python."""
import csv
import io
import random
from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from accounts import roles as R
from disbursements.payment.selectors import payment_queue
from disbursements.schedule import PAYABLE, payable_grant_ids, schedule_status
from disbursements.services import payment_record
from grants.models import AgreementStatus, Grant

from ..conftest import login, make_user
from ..factories import CallFactory, CountryFactory
from ..grant_helpers import signed_grant
from .test_schedule import approve

pytestmark = pytest.mark.django_db

EXPORTS = ("/grants/export/", "/payments/export/")


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def _sheet(response):
    assert response.status_code == 200
    return load_workbook(io.BytesIO(_body(response))).active


def _count(client, url):
    client.get(url)  # warm per-process caches so only the page itself is counted
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        _body(response)  # a streamed export queries while it is read
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _paid_grant(call, finance, amount="50000.00", **kwargs):
    grant = signed_grant(call=call, amount=amount, **kwargs)
    payment_record(actor=finance, tranche=grant.tranches.get(number=1), amount="1000.00", value_date=date(2026, 2, 2),
                   bank_reference=f"Q-{grant.pk}")
    return grant


# Exports ------------------------------------------------------------------------------------------------------------


def test_grant_list_exports_carry_filters_and_typed_amounts(client, finance, call, programme):
    country = CountryFactory(code="NE", name="Niger")
    grant = _paid_grant(call, finance, country=country)
    _paid_grant(CallFactory(programme=programme), finance)
    login(client, finance)
    sheet = _sheet(client.get(f"/grants/export/?call={call.pk}&format=xlsx"))
    rows = list(sheet.iter_rows(values_only=True))
    header, [row] = rows[0], rows[1:]
    assert header[:3] == ("Reference", "Title", "Organisation") and sheet.freeze_panes == "A2"
    cells = dict(zip(header, row))
    assert cells["Reference"] == grant.reference and cells["Country"] == "Niger"
    assert cells["Amount (EUR)"] == 50000 and isinstance(cells["Amount (EUR)"], (int, float))
    assert cells["Paid (EUR)"] == 1000 and cells["Start date"].date() == grant.start_date
    lines = list(csv.reader(io.StringIO(_body(client.get(f"/grants/export/?country={country.pk}")).decode("utf-8-sig"))))
    assert [line[0] for line in lines[1:]] == [grant.reference] and lines[1][7] == "1000.00"


def test_payment_queue_export_has_the_states_of_every_matching_grant(client, finance, call):
    payable = _paid_grant(call, finance)
    paid_up = signed_grant(call=call, amount="50000.00")
    payment_record(actor=finance, tranche=paid_up.tranches.get(number=1), amount="40000.00", value_date=date(2026, 2, 2),
                   bank_reference="ALL")
    login(client, finance)
    sheet = _sheet(client.get("/payments/export/?format=xlsx"))
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[payable.reference][4] == 39000 and rows[payable.reference][5] == "1"
    assert rows[paid_up.reference][4] == 0 and "Waits for the approved final report." in rows[paid_up.reference][6]
    waiting = _sheet(client.get("/payments/export/?payability=waiting&format=xlsx"))
    assert [row[0] for row in waiting.iter_rows(min_row=2, values_only=True)] == [paid_up.reference]


@pytest.mark.parametrize("url", EXPORTS)
def test_exports_refuse_grantees_and_reviewers(client, url, call, finance, cso_user, organisation):
    _paid_grant(call, finance, organisation=organisation)  # even the grantee's own grant
    for user in (cso_user, make_user(R.REVIEWER), make_user(R.APPLICANT)):
        login(client, user)
        assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


@pytest.mark.parametrize("url", EXPORTS)
def test_readers_may_export(client, url, call, finance, donor, officer):
    _paid_grant(call, finance)
    for user in (finance, donor, officer):
        login(client, user)
        assert client.get(f"{url}?format=csv").status_code == 200


# Query counts -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "/grants/", "/grants/?q=G&sort=-paid&status=signed", "/grants/export/?format=xlsx",
    "/payments/", "/payments/?payability=payable&sort=organisation", "/payments/?payability=waiting&q=G",
    "/payments/export/?format=csv",
])
def test_lists_cost_the_same_for_few_or_many_grants(client, finance, call, url):
    login(client, finance)
    for _ in range(3):
        _paid_grant(call, finance)
    few = _count(client, url)
    for _ in range(12):
        _paid_grant(call, finance)
    many = _count(client, url)
    assert few == many <= 15, (few, many)


# The "payable now" query against schedule_status ------------------------------------------------------------------


def _payable_in_python(grants):
    return {g.pk for g in grants for s in schedule_status(Grant.objects.get(pk=g.pk)) if s.status == PAYABLE and s.payable > 0}


def _step(rnd, grant, finance, n):
    """One random event in the grant's life: a payment (full or partial) on a payable tranche, an approved report
    (interim or final, spending more or less than paid), or a suspension and its lifting."""
    grant.refresh_from_db()
    states = schedule_status(grant)
    event = rnd.choices(["pay", "report", "final", "status"], weights=[5, 3, 1, 1])[0]
    payable = [s for s in states if s.status == PAYABLE and s.payable > 0]
    if event == "pay" and payable:
        state = rnd.choice(payable)
        amount = state.payable if rnd.random() < 0.6 else (state.payable * D(rnd.randrange(10, 90)) / 100).quantize(D("0.01"))
        payment_record(actor=finance, tranche=state.tranche, amount=amount, value_date=date(2026, 2, 2), bank_reference=f"R-{grant.pk}-{n}")
    elif event in ("report", "final"):
        done = set(grant.approved_expenditure.values_list("period_number", flat=True))
        if grant.approved_expenditure.filter(is_final=True).exists():
            return
        period = max(done, default=0) + 1
        paid = sum((s.paid for s in states), D(0))
        approve(grant, period, (paid * D(rnd.randrange(40, 130)) / 100).quantize(D("0.01")), final=event == "final", user=finance)
    elif event == "status":
        status = AgreementStatus.SUSPENDED if grant.status != AgreementStatus.SUSPENDED else AgreementStatus.IN_IMPLEMENTATION
        Grant.objects.filter(pk=grant.pk).update(status=status)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_payable_query_matches_the_schedules(seed, finance):
    rnd = random.Random(seed)
    shapes = [("150000.00", date(2026, 12, 31)), ("300000.00", date(2028, 12, 31)), ("250000.00", date(2028, 12, 31))]
    grants = []
    for i in range(9):
        amount, end = shapes[i % len(shapes)]
        grant = signed_grant(amount=amount, end=end)  # each in its own programme, so envelopes do not run out
        for n in range(rnd.randrange(0, 14)):
            _step(rnd, grant, finance, n)
        grants.append(grant)
        expected = _payable_in_python(grants)
        assert set(Grant.objects.filter(pk__in=payable_grant_ids()).values_list("pk", flat=True)) == expected
    assert {row.grant.pk for row in payment_queue(finance).payable} == expected


def test_payable_query_after_a_reduced_tranche_paid_at_its_reduced_amount(finance):
    """The previous tranche, reduced by unspent money and paid as far as it was due, does not block the next."""
    grant = signed_grant(amount="300000.00", end=date(2028, 12, 31))
    tranches = {t.number: t for t in grant.tranches.all()}
    payment_record(actor=finance, tranche=tranches[1], amount="100000.00", value_date=date(2026, 2, 2), bank_reference="T1")
    assert not Grant.objects.filter(pk__in=payable_grant_ids()).exists()  # waits for the first report
    approve(grant, 1, "60000.00", user=finance)  # under 70%: the second tranche is reduced to 60,000
    payment_record(actor=finance, tranche=tranches[2], amount="60000.00", value_date=date(2026, 2, 3), bank_reference="T2")
    assert not Grant.objects.filter(pk__in=payable_grant_ids()).exists()
    approve(grant, 2, "90000.00", user=finance)
    assert list(Grant.objects.filter(pk__in=payable_grant_ids())) == [grant]
    assert [r.state.tranche.number for r in payment_queue(finance).payable] == [3]
