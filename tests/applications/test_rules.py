"""Budget and submission rules against hand-computed examples."""
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from grants.budget import cap, summarise
from applications.models import BudgetLine
from grants.periods import add_months

D = Decimal


def line(heading, quantity, unit_cost):
    return BudgetLine(heading=heading, description="x", unit="u", quantity=D(quantity), unit_cost=D(unit_cost))


def app(**amounts):
    return SimpleNamespace(
        indirect_costs=amounts.get("indirect"), contingency=amounts.get("contingency"),
        own_contribution=amounts.get("own"), third_party_contribution=amounts.get("third"),
    )


def test_line_total_is_rounded_once_half_up():
    assert line("1", "3", "33.335").total == D("100.01")  # 100.005 -> 100.01
    assert line("1", "0.5", "0.01").total == D("0.01")  # 0.005 -> 0.01
    assert BudgetLine(heading="1", quantity=None, unit_cost=D("5")).total is None


def test_summary_by_hand():
    lines = [line("1", "24", "2500"), line("5", "12", "3333.33"), line("2", "1", "0.04"), BudgetLine(heading="3")]
    budget = summarise(app(indirect=D("7000"), contingency=D("5000"), own=D("5000"), third=D("600")), lines)
    assert budget.direct == D("100000.00")
    assert budget.total == D("112000.00")
    assert budget.cofinancing == D("5600.00")
    assert budget.requested == D("106400.00")
    assert budget.indirect_percent == D("7.00")
    assert budget.contingency_percent == D("5.00")
    assert budget.cofinancing_percent == D("5.00")
    assert [label for label, _ in budget.by_heading] == ["1. Human resources", "2. Travel", "5. Other costs, services"]


def test_empty_budget_is_zero_not_an_error():
    budget = summarise(app(), [])
    assert budget.total == budget.requested == D("0") and budget.indirect_percent == D("0")


@pytest.mark.parametrize(("base", "pct", "expected"), [("100000", "7", "7000.00"), ("33333.33", "7", "2333.33"), ("10.07", "5", "0.50")])
def test_cap(base, pct, expected):
    assert cap(D(base), D(pct)) == D(expected)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [(date(2027, 1, 31), 1, date(2027, 2, 28)), (date(2027, 1, 15), 12, date(2028, 1, 15)), (date(2027, 11, 1), 3, date(2028, 2, 1))],
)
def test_add_months_clamps_the_day(start, months, expected):
    assert add_months(start, months) == expected
