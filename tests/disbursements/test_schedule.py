"""Payment schedules against hand-computed figures (PRAG defaults: 80/20 for short or small grants, annual
tranches otherwise, 90% pre-financing cap, 70% rule, balance after the final report)."""
from datetime import date
from decimal import Decimal as D

import pytest
from django.utils import timezone

from disbursements.models import ApprovedExpenditure, TrancheKind
from disbursements.schedule import PAID, PAYABLE, WAITING, plan, schedule_status
from disbursements.services import PaymentError, payment_record
from tests.factories import ProgrammeFactory
from tests.grant_helpers import signed_grant

pytestmark = pytest.mark.django_db


def amounts(tranches):
    return [t.amount for t in tranches]


def test_short_grant_is_paid_80_then_20():
    tranches = plan(amount=D("150000.00"), start_date=date(2026, 1, 1), end_date=date(2026, 12, 31), programme=ProgrammeFactory())
    assert amounts(tranches) == [D("120000.00"), D("30000.00")]
    assert [t.kind for t in tranches] == [TrancheKind.PREFINANCING, TrancheKind.BALANCE]
    assert tranches[1].expected_on == date(2027, 3, 31)  # final report due 3 months after the end


def test_small_long_grant_is_paid_80_then_20():
    # 36 months but EUR 100,000: small, so 80/20.
    tranches = plan(amount=D("100000.00"), start_date=date(2026, 1, 1), end_date=date(2028, 12, 31), programme=ProgrammeFactory())
    assert amounts(tranches) == [D("80000.00"), D("20000.00")]


def test_annual_tranches_over_36_months_capped_at_90_percent():
    # EUR 300,000 over 36 months: 100,000 a year; pre-financing capped at 270,000, so the third is cut to 70,000.
    tranches = plan(amount=D("300000.00"), start_date=date(2026, 1, 1), end_date=date(2028, 12, 31), programme=ProgrammeFactory())
    assert amounts(tranches) == [D("100000.00"), D("100000.00"), D("70000.00"), D("30000.00")]
    assert [t.kind for t in tranches] == [TrancheKind.PREFINANCING, TrancheKind.FURTHER, TrancheKind.FURTHER, TrancheKind.BALANCE]
    assert [t.after_period for t in tranches] == [None, 1, 2, None]
    # The second waits for the interim report of year 1, due 60 days after 31 December 2026.
    assert tranches[1].expected_on == date(2027, 3, 1)
    assert sum(amounts(tranches)) == D("300000.00")


def test_rounding_last_tranche_takes_the_remainder():
    # EUR 250,000 over 36 months: a third is 83,333.333... -> 83,333.33 each; the cap (225,000) cuts the third
    # to 58,333.34; the balance takes the remainder, 25,000.00.
    tranches = plan(amount=D("250000.00"), start_date=date(2026, 1, 1), end_date=date(2028, 12, 31), programme=ProgrammeFactory())
    assert amounts(tranches) == [D("83333.33"), D("83333.33"), D("58333.34"), D("25000.00")]
    assert sum(amounts(tranches)) == D("250000.00")


def test_uneven_last_period_and_odd_cents():
    # €200,000.01 over 30 months: periods of 12, 12 and 6 months -> 80,000.00, 80,000.00, 40,000.00; the cap,
    # 90% = 180,000.009 rounded down to 180,000.00, cuts the third to 20,000.00; the balance takes 20,000.01.
    tranches = plan(amount=D("200000.01"), start_date=date(2026, 1, 1), end_date=date(2028, 6, 30), programme=ProgrammeFactory())
    assert amounts(tranches) == [D("80000.00"), D("80000.00"), D("20000.00"), D("20000.01")]
    assert sum(amounts(tranches)) == D("200000.01")


def test_prefinancing_never_above_the_cap_even_if_configured_higher():
    programme = ProgrammeFactory(short_prefinancing_percent=D("95.00"))
    tranches = plan(amount=D("50000.00"), start_date=date(2026, 1, 1), end_date=date(2026, 6, 30), programme=programme)
    assert amounts(tranches) == [D("45000.00"), D("5000.00")]


@pytest.mark.parametrize("amount", ["100000.03", "123456.78", "999999.99", "150000.01", "300000.00"])
@pytest.mark.parametrize("end", [date(2026, 12, 31), date(2027, 12, 31), date(2028, 6, 30), date(2029, 3, 31)])
def test_schedule_always_sums_to_the_grant(amount, end):
    tranches = plan(amount=D(amount), start_date=date(2026, 1, 1), end_date=end, programme=ProgrammeFactory())
    assert sum(amounts(tranches)) == D(amount)
    prefinancing = sum(amounts(tranches[:-1]))
    assert prefinancing <= D(amount) * D("0.90")
    assert all(a >= 0 for a in amounts(tranches))


def approve(grant, period, amount, *, final=False, user=None):
    return ApprovedExpenditure.objects.create(
        grant=grant, period_number=period, is_final=final, amount=D(amount), period_end=date(2026, 12, 31),
        source=f"report {period}", approved_at=timezone.now(), approved_by=user,
    )


def pay(grant, number, amount, finance, ref):
    tranche = grant.tranches.get(number=number)
    return payment_record(actor=finance, tranche=tranche, amount=D(amount), value_date=date(2026, 2, 1), bank_reference=ref)


def test_further_tranche_waits_for_report_then_pays_in_full_above_70_percent(finance):
    grant = signed_grant(amount="300000.00", end=date(2028, 12, 31))
    pay(grant, 1, "100000.00", finance, "T1")
    states = schedule_status(grant)
    assert [s.status for s in states] == [PAID, WAITING, WAITING, WAITING]
    assert "interim report of period 1" in states[1].reasons[0]
    approve(grant, 1, "70000.00", user=finance)  # exactly 70% of the previous payment
    states = schedule_status(grant)
    assert states[1].status == PAYABLE and states[1].payable == D("100000.00") and states[1].reduction == 0


def test_further_tranche_reduced_by_unspent_amount_under_70_percent(finance):
    grant = signed_grant(amount="300000.00", end=date(2028, 12, 31))
    pay(grant, 1, "100000.00", finance, "T1")
    approve(grant, 1, "60000.00", user=finance)  # 60% < 70%: unspent 40,000 comes off the 100,000
    state = schedule_status(grant)[1]
    assert state.status == PAYABLE
    assert state.payable == D("60000.00") and state.reduction == D("40000.00")
    assert state.reasons[-1].startswith("Reduced by €40,000.00 not spent:")
    with pytest.raises(PaymentError) as refused:
        pay(grant, 2, "60000.01", finance, "T2")
    assert refused.value.field == "amount"
    pay(grant, 2, "60000.00", finance, "T2")
    # Third tranche: 100% of the first (100,000) + 70% of the second (42,000) = 142,000 required.
    approve(grant, 2, "90000.00", user=finance)  # 150,000 spent in all
    state = schedule_status(grant)[2]
    assert state.payable == D("70000.00")


def test_balance_after_final_report_pays_approved_expenditure_less_paid(finance):
    grant = signed_grant(amount="150000.00")
    pay(grant, 1, "120000.00", finance, "T1")
    assert schedule_status(grant)[1].status == WAITING
    approve(grant, 1, "140000.00", final=True, user=finance)
    balance = schedule_status(grant)[1]
    assert balance.status == PAYABLE and balance.payable == D("20000.00") and balance.reduction == D("10000.00")
    approve_more = schedule_status(grant)
    assert sum(s.paid + s.payable for s in approve_more) == D("140000.00")


def test_nothing_payable_while_suspended(finance):
    grant = signed_grant(amount="150000.00")
    grant.status = "suspended"
    grant.save()
    state = schedule_status(grant)[0]
    assert state.payable == 0 and "suspended" in state.reasons[0]
    with pytest.raises(PaymentError):
        pay(grant, 1, "1.00", finance, "T1")
