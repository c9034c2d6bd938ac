"""The finance officer's inbox: tranches payable now with their amount, recovery orders past their due date, and
exchange rates reports will need."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import roles as R
from disbursements.fx import fx_rate_set
from disbursements.recovery.models import RecoveryOrder, RecoveryOrigin
from disbursements.recovery.services import recovery_order_issue, recovery_refund_record
from disbursements.services import payment_record
from reports.models import ReportStatus

from ..grant_helpers import signed_grant
from ..conftest import make_user
from .builders import items_of, queries_of, report

pytestmark = pytest.mark.django_db


def test_payable_tranches_and_missing_rates(finance, programme):
    today = timezone.localdate()
    first = signed_grant(programme=programme, amount="100000.00")  # 80% on signature
    signed_grant(programme=programme, amount="50000.00")
    grant = signed_grant(programme=programme, amount="60000.00", start=date(2026, 1, 1), end=date(2026, 12, 31))
    report(grant, status=ReportStatus.DRAFT, currency="KES", start=date(2026, 1, 1), end=date(2026, 6, 30))
    report(grant, period_number=2, status=ReportStatus.DRAFT, currency="KES", start=date(2026, 7, 1),
           end=today + timedelta(days=30))  # period not over: no rate needed yet
    report(first, status=ReportStatus.SUBMITTED, currency="UGX", start=date(2026, 1, 1), end=date(2026, 3, 31))
    fx_rate_set(actor=finance, currency="KES", month=date(2026, 5, 1), rate=Decimal("140"), source="InforEuro")

    payable, rate = items_of(finance, R.FINANCE_OFFICER)
    assert (payable.text, payable.count, payable.amount) == ("3 tranches may be paid now", 3, Decimal("168000.00"))
    assert payable.url == "/payments/"
    assert rate.text == "No KES rate for June 2026: 1 report needs it" and rate.url == "/fx-rates/"

    fx_rate_set(actor=finance, currency="KES", month=date(2026, 6, 1), rate=Decimal("141"), source="InforEuro")
    assert [item.url for item in items_of(finance, R.FINANCE_OFFICER)] == ["/payments/"]


def _overdue_order(grant, amount, days_late=3):
    """An open recovery order whose due date has passed (built in the model: the service only takes future dates)."""
    return RecoveryOrder.objects.create(
        grant=grant, number=grant.recovery_orders.count() + 1, origin=RecoveryOrigin.MANUAL, amount=Decimal(amount),
        reason="Ineligible costs", due_date=timezone.localdate() - timedelta(days=days_late), issued_by=make_user(),
    )


def _recoveries(user, role=R.FINANCE_OFFICER):
    return [(item.text, item.count, item.amount, item.url, item.overdue) for item in items_of(user, role)
            if "recovery" in item.text]


def test_recovery_orders_past_their_due_date(finance, officer, programme):
    grant = signed_grant(programme=programme, amount="100000.00")
    first = grant.tranches.get(number=1)
    payment_record(actor=finance, tranche=first, amount=first.planned_amount, value_date=date(2026, 1, 15), bank_reference="P-1")
    order = _overdue_order(grant, "10000.00")
    _overdue_order(grant, "2000.00", days_late=0)  # due today: not late yet
    recovery_order_issue(actor=finance, grant=grant, amount="500.00", reason="Not yet due",
                         due_date=timezone.localdate() + timedelta(days=10))
    url = "/recoveries/?due=overdue"
    assert _recoveries(finance) == [("1 recovery order is past its due date", 1, Decimal("10000.00"), url, True)]
    assert _recoveries(officer, R.PROGRAMME_OFFICER) == []  # recoveries are finance's work

    # Partly settled: still late, with what is outstanding; settled: gone.
    recovery_refund_record(actor=finance, order=order, amount="4000.00", value_date=timezone.localdate(), bank_reference="R-1")
    assert _recoveries(finance) == [("1 recovery order is past its due date", 1, Decimal("6000.00"), url, True)]
    recovery_refund_record(actor=finance, order=order, amount="6000.00", value_date=timezone.localdate(), bank_reference="R-2")
    assert _recoveries(finance) == []


def test_queries_do_not_grow_with_items(finance, programme):
    def add(n):
        for _ in range(n):
            k = next(months)
            grant = signed_grant(programme=programme, amount="10000.00")
            start = date(2020 + k // 12, k % 12 + 1, 1)
            report(grant, status=ReportStatus.DRAFT, currency="KES", start=start, end=start + timedelta(days=20))
            _overdue_order(grant, "100.00")

    months = iter(range(100))
    add(5)
    few, items_few = queries_of(finance, R.FINANCE_OFFICER)
    add(45)
    many, items_many = queries_of(finance, R.FINANCE_OFFICER)
    # One line for the tranches, one for the late recovery orders, one per month without a rate.
    assert (items_few, items_many) == (7, 52)
    assert few == many <= 10  # one more each: the payment requests from grantees, the late recovery orders
