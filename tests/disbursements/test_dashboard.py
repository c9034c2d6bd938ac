"""The dashboard figures, computed by hand on a small programme, and their fixed query count."""
import io
import json
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from disbursements.dashboard import bucket_of, dashboard, dashboard_from_rows, export_rows, full_months, EXPORT_HEADER
from disbursements.models import Tranche
from disbursements.services import expenditure_accept, payment_record, payment_reverse
from grants import ledger

from ..factories import CallFactory, CountryFactory, ObjectiveFactory
from ..grant_helpers import signed_grant


def _pay(actor, grant, amount, day, ref):
    tranche = Tranche.objects.filter(grant=grant).order_by("number").first()
    return payment_record(actor=actor, tranche=tranche, amount=amount, value_date=day, bank_reference=ref)


@pytest.fixture
def small(programme, finance, officer):
    """Two calls, three grants; payments, one reversal, approved expenditure.

    C1: A (Nepal, objective 1) 100,000 paid 30,000 (15 Jan) + 50,000 (10 May), 40,000 approved;
        B (India, objective 2) 60,000 paid 48,000 (1 Feb, reversed) then 40,000 (1 Mar).
    C2: C (no country or objective) 50,000, nothing paid; 20,000 more allocated to the call.
    """
    nepal = CountryFactory(code="NP", name="Nepal")
    india = CountryFactory(code="IN", name="India")
    first = ObjectiveFactory(programme=programme, number=1, title="Protect victims")
    second = ObjectiveFactory(programme=programme, number=2, title="Prosecute")
    c1 = CallFactory(programme=programme, reference="C1")
    c2 = CallFactory(programme=programme, reference="C2")
    a = signed_grant(call=c1, amount="100000.00", country=nepal, objective=first, reference="G-A")
    b = signed_grant(call=c1, amount="60000.00", country=india, objective=second, reference="G-B")
    c = signed_grant(call=c2, amount="50000.00", reference="G-C")
    ledger.allocation_add(actor=officer, call=c2, amount="20000.00")
    _pay(finance, a, "30000.00", date(2026, 1, 15), "BANK-1")
    _pay(finance, a, "50000.00", date(2026, 5, 10), "BANK-2")
    wrong = _pay(finance, b, "48000.00", date(2026, 2, 1), "BANK-3")
    payment_reverse(actor=finance, payment=wrong, reason="Wrong account")
    _pay(finance, b, "40000.00", date(2026, 3, 1), "BANK-4")
    expenditure_accept(actor=finance, grant=a, period_number=1, is_final=False, amount="40000.00",
                       period_end=date(2026, 6, 30), source="Interim report 1")
    return {"a": a, "b": b, "c": c, "c1": c1, "c2": c2}


def test_overall_and_by_call(programme, small):
    d = dashboard(programme)
    p = d.position
    assert (p.envelope, p.allocated, p.committed, p.disbursed, p.available) == (
        D("1000000.00"), D("230000.00"), D("210000.00"), D("120000.00"), D("770000.00"))
    calls = {c.call.reference: (c.allocated, c.committed, c.disbursed, c.available) for c in p.calls}
    assert calls == {
        "C1": (D("160000.00"), D("160000.00"), D("120000.00"), D("0.00")),
        "C2": (D("70000.00"), D("50000.00"), D("0.00"), D("20000.00")),
    }
    for name in ("allocated", "committed", "disbursed"):
        assert sum(getattr(c, name) for c in p.calls) == getattr(p, name)
    assert [amount for _key, _label, amount in d.use] == [D("120000.00"), D("90000.00"), D("20000.00"), D("770000.00")]
    assert sum(amount for _key, _label, amount in d.use) == p.envelope


def test_by_country_and_objective_sum_to_the_overall(programme, small):
    d = dashboard(programme)
    assert [(r.label, r.committed, r.disbursed) for r in d.by_country] == [
        ("India", D("60000.00"), D("40000.00")),
        ("Nepal", D("100000.00"), D("80000.00")),
        ("Not set", D("50000.00"), D("0.00")),
    ]
    assert [(r.label, r.committed, r.disbursed) for r in d.by_objective] == [
        ("1. Protect victims", D("100000.00"), D("80000.00")),
        ("2. Prosecute", D("60000.00"), D("40000.00")),
        ("Not set", D("50000.00"), D("0.00")),
    ]
    for rows in (d.by_country, d.by_objective):
        assert sum(r.committed for r in rows) == d.position.committed
        assert sum(r.disbursed for r in rows) == d.position.disbursed


def test_timeline_counts_payments_by_value_date_and_reversals_when_recorded(programme, small):
    today = timezone.localdate()
    d = dashboard(programme, as_of=today)
    net = {m.month: m.net for m in d.timeline if m.net}
    expected = {date(2026, 1, 1): D("30000.00"), date(2026, 2, 1): D("48000.00"), date(2026, 3, 1): D("40000.00"),
                date(2026, 5, 1): D("50000.00")}
    reversal_month = today.replace(day=1)
    expected[reversal_month] = expected.get(reversal_month, D("0")) - D("48000.00")
    assert net == {k: v for k, v in expected.items() if v}
    assert d.timeline[0].month == date(2026, 1, 1) and d.timeline[-1].month == reversal_month
    assert d.timeline[-1].cumulative == d.position.disbursed == D("120000.00")
    assert [m.cumulative for m in d.timeline[:5]] == [D("30000.00"), D("78000.00"), D("118000.00"), D("118000.00"), D("168000.00")]


def test_ageing_clears_the_oldest_payments_first(programme, small):
    d = dashboard(programme, as_of=date(2026, 9, 1))
    # A: 80,000 paid less 40,000 approved clears the January payment and 10,000 of May's: 40,000 from 10 May,
    # 3 whole months on 1 September. B: the reversed payment does not count; 40,000 from 1 March, exactly 6 months.
    buckets = {b.key: b.amount for b in d.ageing.buckets}
    assert buckets == {"lt3": D("0.00"), "3to6": D("40000.00"), "6to9": D("40000.00"), "gt9": D("0.00")}
    assert d.ageing.total == D("80000.00") == sum(a.outstanding for a in d.ageing.advances)
    rows = [(a.reference, a.paid, a.approved, a.outstanding, a.oldest, a.age_months) for a in d.ageing.advances]
    assert rows == [
        ("G-B", D("40000.00"), D("0.00"), D("40000.00"), date(2026, 3, 1), 6),
        ("G-A", D("80000.00"), D("40000.00"), D("40000.00"), date(2026, 5, 10), 3),
    ]


def test_ageing_later_and_fully_justified(programme, small, finance):
    expenditure_accept(actor=finance, grant=small["b"], period_number=1, is_final=False, amount="45000.00",
                       period_end=date(2026, 6, 30), source="Interim report 1")
    d = dashboard(programme, as_of=date(2027, 2, 10))
    assert [a.reference for a in d.ageing.advances] == ["G-A"], "B's expenditure exceeds what it was paid"
    assert {b.key: b.amount for b in d.ageing.buckets}["gt9"] == D("40000.00")


@pytest.mark.parametrize(
    ("start", "end", "months", "bucket"),
    [
        (date(2026, 1, 15), date(2026, 1, 15), 0, "lt3"),
        (date(2026, 1, 15), date(2026, 4, 14), 2, "lt3"),
        (date(2026, 1, 15), date(2026, 4, 15), 3, "3to6"),
        (date(2026, 1, 31), date(2026, 2, 28), 1, "lt3"),
        (date(2026, 3, 1), date(2026, 9, 1), 6, "6to9"),
        (date(2026, 3, 1), date(2026, 12, 1), 9, "gt9"),
        (date(2026, 3, 1), date(2026, 2, 1), 0, "lt3"),
    ],
)
def test_age_edges_belong_to_the_older_bucket(start, end, months, bucket):
    assert full_months(start, end) == months
    assert bucket_of(months) == bucket


def test_export_rows_match_the_envelope_command(programme, small):
    rows = [dict(zip(EXPORT_HEADER, r, strict=True)) for r in export_rows(dashboard(programme))]
    out = io.StringIO()
    call_command("envelope", "--json", "--programme", programme.code, stdout=out)
    position = json.loads(out.getvalue())
    overall = next(r for r in rows if r["section"] == "overall")
    for key in ("envelope", "allocated", "committed", "disbursed", "available"):
        assert overall[f"{key}_eur"] == position[key]
    calls = [r for r in rows if r["section"] == "call"]
    assert sum(D(r["allocated_eur"]) for r in calls) == D(position["allocated"])
    assert overall["outstanding_eur"] == "80000.00"
    ageing = [r for r in rows if r["section"] == "ageing"]
    assert sum(D(r["outstanding_eur"]) for r in ageing) == D("80000.00")


def _grants_with_payments(programme, finance, n):
    call = CallFactory(programme=programme)
    for i in range(n):
        grant = signed_grant(call=call, amount="20000.00", country=CountryFactory(), objective=ObjectiveFactory(programme=programme))
        _pay(finance, grant, "5000.00", date(2026, 2, 1), f"Q-{call.reference}-{i}")


def test_selectors_cost_a_fixed_number_of_queries(programme, finance):
    today = timezone.localdate()
    _grants_with_payments(programme, finance, 2)
    with CaptureQueriesContext(connection) as few:
        dashboard_from_rows(programme, as_of=today)
    _grants_with_payments(programme, finance, 10)
    with CaptureQueriesContext(connection) as many:
        d = dashboard_from_rows(programme, as_of=today)
    assert len(few.captured_queries) == len(many.captured_queries) == 9  # with the exchange differences' one
    assert len(d.ageing.advances) == 12
