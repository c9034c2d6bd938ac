"""The finance officer's inbox: tranches payable now with their amount, and exchange rates reports will need."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import roles as R
from disbursements.fx import fx_rate_set
from reports.models import ReportStatus

from ..grant_helpers import signed_grant
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


def test_queries_do_not_grow_with_items(finance, programme):
    def add(n):
        for _ in range(n):
            k = next(months)
            grant = signed_grant(programme=programme, amount="10000.00")
            start = date(2020 + k // 12, k % 12 + 1, 1)
            report(grant, status=ReportStatus.DRAFT, currency="KES", start=start, end=start + timedelta(days=20))

    months = iter(range(100))
    add(5)
    few, items_few = queries_of(finance, R.FINANCE_OFFICER)
    add(45)
    many, items_many = queries_of(finance, R.FINANCE_OFFICER)
    assert (items_few, items_many) == (6, 51)  # one line for the tranches, one per month without a rate
    assert few == many <= 9  # one more: the payment requests from grantees
