"""Agreement services: draft adjustments, signature, status changes and amendments, with the ledger checked."""
import json
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import DomainError
from disbursements.agreements import (
    agreement_amend_amount,
    agreement_amend_budget,
    agreement_amend_extension,
    agreement_set_status,
    agreement_sign,
    agreement_snapshot,
    agreement_update,
)
from disbursements.models import Tranche, TrancheKind
from disbursements.services import expenditure_accept, payment_record
from grants import ledger
from grants.models import AgreementStatus, AgreementVersion, AgreementVersionKind
from tests.grant_helpers import awarded_grant, signed_grant

pytestmark = pytest.mark.django_db

SIGNED_ON = date(2026, 1, 5)


def line(description="Staff", cost="150000.00", heading="1", quantity="1"):
    return {"heading": heading, "description": description, "unit": "lump sum", "quantity": D(quantity), "unit_cost": D(cost)}


def refused(code, field, call, **kwargs):
    with pytest.raises(DomainError) as exc:
        call(**kwargs)
    assert exc.value.code == code
    assert exc.value.field == field
    return exc.value


def committed(grant):
    return ledger.balances(grant=grant).committed


def sign(grant, officer, **kwargs):
    return agreement_sign(actor=officer, grant=grant, **{"signed_on": SIGNED_ON, "grantee_signatory": "A. Director", **kwargs})


def with_own_contribution(officer, own="10000.00", **kwargs):
    """A draft of EUR 150,000 whose budget of 150,000 + `own` balances with an own contribution."""
    grant = awarded_grant(**kwargs)
    agreement_update(actor=officer, grant=grant, data={"own_contribution": D(own)},
                     lines=[line(cost=str(D("150000.00") + D(own)))])
    grant.refresh_from_db()
    return grant


# --- agreement_update ---------------------------------------------------------------------------------------------

def test_update_replaces_lines_and_fields(officer):
    grant = awarded_grant()
    agreement_update(
        actor=officer, grant=grant,
        data={"indirect_costs": D("9000.00"), "contingency": D("6000.00"), "special_conditions": "Quarterly meetings.",
              "reporting_currency": "npr", "end_date": date(2026, 12, 31)},
        lines=[line("Coordinator", "100000.00"), line("Travel", "35000.00", heading="2")],
    )
    grant.refresh_from_db()
    assert grant.reporting_currency == "NPR"
    assert grant.special_conditions == "Quarterly meetings."
    assert [(ln.position, ln.description, ln.total) for ln in grant.budget_lines.all()] == [
        (0, "Coordinator", D("100000.00")), (1, "Travel", D("35000.00"))]
    assert grant.amount == D("150000.00")  # the amount changes only by amendment
    event = AuditEvent.objects.get(verb="agreement.update")
    assert "special_conditions" in event.data["fields"]


@pytest.mark.parametrize(
    ("data", "lines", "code", "field"),
    [
        ({"indirect_costs": D("7000.01")}, [line(cost="100000.00")], "indirect_cap", "indirect_costs"),
        ({"contingency": D("5000.01")}, [line(cost="100000.00")], "contingency_cap", "contingency"),
        ({"end_date": date(2025, 12, 1)}, [line()], "dates_order", "end_date"),
        ({"end_date": date(2026, 3, 31)}, [line()], "duration", "end_date"),  # 3 months, the call needs 6 to 36
        ({"end_date": date(2029, 6, 30)}, [line()], "duration", "end_date"),  # 42 months
        ({"reporting_currency": "XYZ"}, [line()], "currency", "reporting_currency"),
        ({"own_contribution": D("-1")}, [line()], "invalid_amount", "own_contribution"),
        ({"indirect_costs": "12.345"}, [line()], "invalid_amount", "indirect_costs"),
        ({}, [line(description="")], "incomplete_line", "lines"),
        ({}, [], "no_lines", "lines"),
    ],
)
def test_update_refusals_name_the_field(officer, data, lines, code, field):
    grant = awarded_grant()
    refused(code, field, agreement_update, actor=officer, grant=grant, data=data, lines=lines)
    grant.refresh_from_db()
    assert grant.indirect_costs == 0 and grant.end_date == date(2026, 12, 31)
    assert [ln.description for ln in grant.budget_lines.all()] == ["Staff"]


def test_update_caps_hold_at_the_limit(officer):
    grant = awarded_grant()
    agreement_update(actor=officer, grant=grant, data={"indirect_costs": D("7000.00"), "contingency": D("5000.00")},
                     lines=[line(cost="100000.00")])
    grant.refresh_from_db()
    assert (grant.indirect_costs, grant.contingency) == (D("7000.00"), D("5000.00"))


def test_update_refused_after_signature(officer):
    grant = signed_grant()
    refused("not_draft", None, agreement_update, actor=officer, grant=grant, data={}, lines=[line()])


# --- agreement_sign -----------------------------------------------------------------------------------------------

def test_sign_stores_version_one_and_schedule(officer):
    grant = awarded_grant()
    sign(grant, officer)
    grant.refresh_from_db()
    assert grant.status == AgreementStatus.SIGNED
    assert (grant.version, grant.signed_on, grant.signed_by, grant.grantee_signatory) == (1, SIGNED_ON, officer, "A. Director")
    tranches = list(Tranche.objects.filter(grant=grant).order_by("number"))
    assert [(t.kind, t.planned_amount) for t in tranches] == [
        (TrancheKind.PREFINANCING, D("120000.00")), (TrancheKind.BALANCE, D("30000.00"))]
    assert sum(t.planned_amount for t in tranches) == grant.amount
    version = AgreementVersion.objects.get(grant=grant)
    assert (version.number, version.kind, version.created_by) == (1, AgreementVersionKind.SIGNATURE, officer)
    assert version.snapshot["amount"] == "150000.00"
    assert [t["amount"] for t in version.snapshot["schedule"]] == ["120000.00", "30000.00"]
    assert AuditEvent.objects.filter(verb="agreement.sign", amount=D("150000.00")).exists()


def test_sign_refuses_future_date_and_missing_signatory(officer):
    grant = awarded_grant()
    tomorrow = timezone.localdate() + timedelta(days=1)
    refused("future_date", "signed_on", sign, grant=grant, officer=officer, signed_on=tomorrow)
    refused("date_required", "signed_on", sign, grant=grant, officer=officer, signed_on=None)
    refused("signatory_required", "grantee_signatory", sign, grant=grant, officer=officer, grantee_signatory="  ")
    grant.refresh_from_db()
    assert grant.status == AgreementStatus.DRAFT and not grant.versions.exists()


def test_sign_refuses_without_dates(officer):
    grant = awarded_grant(start=None, end=None)
    refused("dates_required", "start_date", sign, grant=grant, officer=officer)


def test_sign_refuses_duration_outside_the_call(officer):
    grant = awarded_grant(end=date(2026, 3, 31))
    refused("duration", "end_date", sign, grant=grant, officer=officer)


def test_sign_refuses_unbalanced_budget_showing_both_figures(officer):
    grant = awarded_grant()
    agreement_update(actor=officer, grant=grant, data={}, lines=[line(cost="140000.00")])
    error = refused("budget_unbalanced", "lines", sign, grant=grant, officer=officer)
    assert "€140,000.00" in error.message and "€150,000.00" in error.message
    assert not Tranche.objects.filter(grant=grant).exists()


def test_sign_refuses_when_amount_differs_from_commitment(officer):
    grant = awarded_grant()
    ledger.commitment_release(actor=None, grant=grant, amount=D("1000.00"))
    error = refused("commitment_mismatch", "amount", sign, grant=grant, officer=officer)
    assert "€149,000.00" in error.message


def test_sign_refuses_zero_amount(officer, call):
    grant = awarded_grant(call=call, amount="150000.00")
    grant.amount = D("0.00")
    grant.save(update_fields=["amount"])
    refused("invalid_amount", "amount", sign, grant=grant, officer=officer)


def test_sign_refuses_caps_exceeded(officer):
    grant = awarded_grant()
    # Written around the service, as an award from an old call with other caps might leave it.
    grant.indirect_costs = D("20000.00")
    grant.save(update_fields=["indirect_costs"])
    refused("indirect_cap", "indirect_costs", sign, grant=grant, officer=officer)


def test_sign_refuses_a_signed_agreement(officer):
    grant = signed_grant()
    refused("not_draft", None, sign, grant=grant, officer=officer)


def test_snapshot_is_json_safe_and_complete(officer):
    grant = with_own_contribution(officer)
    grant.special_conditions = "Audit in year 1."
    grant.save(update_fields=["special_conditions"])
    snapshot = agreement_snapshot(grant)
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert snapshot["parties"]["grantee"]["legal_name"] == grant.organisation.legal_name
    assert snapshot["parties"]["agency"] == "UNODC" and snapshot["parties"]["donor"] == "European Union"
    assert snapshot["budget"]["total"] == "160000.00" and snapshot["budget"]["cofinancing"] == "10000.00"
    assert snapshot["budget"]["lines"][0]["description"] == "Staff"
    assert [t["amount"] for t in snapshot["schedule"]] == ["120000.00", "30000.00"]  # the plan of a draft
    assert snapshot["special_conditions"] == "Audit in year 1."
    assert (snapshot["start_date"], snapshot["end_date"]) == ("2026-01-01", "2026-12-31")


# --- agreement_set_status -----------------------------------------------------------------------------------------

def test_status_moves_along_the_table(officer):
    grant = signed_grant()
    agreement_set_status(actor=officer, grant=grant, status=AgreementStatus.IN_IMPLEMENTATION)
    agreement_set_status(actor=officer, grant=grant, status=AgreementStatus.SUSPENDED, reason="Audit findings.")
    grant.refresh_from_db()
    assert (grant.status, grant.status_reason) == (AgreementStatus.SUSPENDED, "Audit findings.")
    agreement_set_status(actor=officer, grant=grant, status=AgreementStatus.IN_IMPLEMENTATION)
    grant.refresh_from_db()
    assert grant.status == AgreementStatus.IN_IMPLEMENTATION and grant.status_reason == ""
    assert AuditEvent.objects.filter(verb="agreement.suspended", target_id=str(grant.pk)).exists()


@pytest.mark.parametrize("status", [AgreementStatus.SUSPENDED, AgreementStatus.TERMINATED])
def test_status_needs_a_reason(officer, status):
    grant = signed_grant()
    refused("reason_required", "reason", agreement_set_status, actor=officer, grant=grant, status=status, reason=" ")


def test_status_refuses_transitions_outside_the_table(officer):
    grant = signed_grant()
    refused("invalid_transition", "status", agreement_set_status, actor=officer, grant=grant, status=AgreementStatus.CLOSED)
    refused("invalid_transition", "status", agreement_set_status, actor=officer, grant=grant, status=AgreementStatus.DRAFT)
    refused("invalid_status", "status", agreement_set_status, actor=officer, grant=grant, status="nonsense")
    draft = awarded_grant()
    refused("use_signature", "status", agreement_set_status, actor=officer, grant=draft, status=AgreementStatus.SIGNED)


def test_terminating_a_draft_releases_the_whole_commitment(officer):
    grant = awarded_grant()
    agreement_set_status(actor=officer, grant=grant, status=AgreementStatus.TERMINATED, reason="Award withdrawn.")
    grant.refresh_from_db()
    assert grant.status == AgreementStatus.TERMINATED
    assert committed(grant) == 0
    assert ledger.balances(call=grant.call).committed == 0


def test_terminating_after_a_payment_releases_what_is_unpaid(officer, finance):
    grant = signed_grant()
    payment_record(actor=finance, tranche=grant.tranches.get(number=1), amount=D("120000.00"),
                   value_date=date(2026, 1, 10), bank_reference="TT-1")
    agreement_set_status(actor=officer, grant=grant, status=AgreementStatus.TERMINATED, reason="Fraud.")
    balances = ledger.balances(grant=grant)
    assert (balances.committed, balances.disbursed) == (D("120000.00"), D("120000.00"))
    event = AuditEvent.objects.get(verb="agreement.terminated")
    assert event.data["released"] == "30000.00"


def test_closing_needs_every_tranche_settled_then_releases_the_rest(officer, finance):
    grant = signed_grant()
    payment_record(actor=finance, tranche=grant.tranches.get(number=1), amount=D("120000.00"),
                   value_date=date(2026, 1, 10), bank_reference="TT-1")
    agreement_set_status(actor=officer, grant=grant, status=AgreementStatus.CLOSING)
    error = refused("tranches_open", "status", agreement_set_status, actor=officer, grant=grant, status=AgreementStatus.CLOSED)
    assert "tranche 2" in error.message
    expenditure_accept(actor=officer, grant=grant, period_number=1, is_final=True, amount=D("140000.00"),
                       period_end=date(2026, 12, 31), source="Final report")
    payment_record(actor=finance, tranche=grant.tranches.get(number=2), amount=D("20000.00"),
                   value_date=date(2026, 4, 10), bank_reference="TT-2")
    agreement_set_status(actor=officer, grant=grant, status=AgreementStatus.CLOSED)
    balances = ledger.balances(grant=grant)
    assert (balances.committed, balances.disbursed) == (D("140000.00"), D("140000.00"))
    grant.refresh_from_db()
    assert grant.status == AgreementStatus.CLOSED


# --- amendments ---------------------------------------------------------------------------------------------------

def test_budget_reallocation_keeps_the_total(officer):
    grant = signed_grant()
    version = agreement_amend_budget(
        actor=officer, grant=grant, lines=[line("Staff", "130000.00"), line("Travel", "13000.00", heading="2")],
        indirect_costs=D("7000.00"), contingency=D("0"), reason="Travel costs rose.",
    )
    grant.refresh_from_db()
    assert (version.number, version.kind, version.reason) == (2, AgreementVersionKind.BUDGET, "Travel costs rose.")
    assert grant.version == 2 and grant.indirect_costs == D("7000.00")
    assert version.snapshot["budget"]["total"] == "150000.00"
    assert [ln["description"] for ln in version.snapshot["budget"]["lines"]] == ["Staff", "Travel"]
    assert committed(grant) == D("150000.00")


def test_budget_reallocation_refusals(officer):
    grant = signed_grant()
    error = refused("total_changed", "lines", agreement_amend_budget, actor=officer, grant=grant,
                    lines=[line(cost="151000.00")], indirect_costs=0, contingency=0, reason="More.")
    assert "€150,000.00" in error.message and "€151,000.00" in error.message
    refused("indirect_cap", "indirect_costs", agreement_amend_budget, actor=officer, grant=grant,
            lines=[line(cost="130000.00")], indirect_costs=D("20000.00"), contingency=0, reason="Overheads.")
    refused("reason_required", "reason", agreement_amend_budget, actor=officer, grant=grant,
            lines=[line()], indirect_costs=0, contingency=0, reason="")
    draft = awarded_grant()
    refused("not_amendable", None, agreement_amend_budget, actor=officer, grant=draft,
            lines=[line()], indirect_costs=0, contingency=0, reason="Early.")
    grant.refresh_from_db()
    assert grant.version == 1 and grant.versions.count() == 1  # only the signed original: refusals store nothing


def test_extension_replans_the_schedule(officer):
    # EUR 300,000 over 24 months: annual tranches, the balance due 3 months after the end.
    grant = signed_grant(amount="300000.00", end=date(2027, 12, 31))
    assert grant.tranches.get(kind=TrancheKind.BALANCE).expected_on == date(2028, 3, 31)
    version = agreement_amend_extension(actor=officer, grant=grant, end_date=date(2028, 6, 30), reason="Elections delayed work.")
    grant.refresh_from_db()
    assert (grant.end_date, grant.version, version.kind) == (date(2028, 6, 30), 2, AgreementVersionKind.EXTENSION)
    tranches = list(grant.tranches.order_by("number"))
    assert tranches[-1].expected_on == date(2028, 9, 30)
    assert len(tranches) == 4  # a third period appeared
    assert sum(t.planned_amount for t in tranches) == D("300000.00")
    assert version.snapshot["end_date"] == "2028-06-30"
    assert committed(grant) == D("300000.00")


def test_extension_refusals(officer):
    grant = signed_grant()
    refused("not_later", "end_date", agreement_amend_extension, actor=officer, grant=grant, end_date=date(2026, 12, 31), reason="x")
    refused("after_programme", "end_date", agreement_amend_extension, actor=officer, grant=grant, end_date=date(2030, 1, 31), reason="x")
    refused("reason_required", "reason", agreement_amend_extension, actor=officer, grant=grant, end_date=date(2027, 3, 31), reason="")
    grant.refresh_from_db()
    assert grant.end_date == date(2026, 12, 31) and grant.version == 1


def test_amount_increase_commits_more_and_own_contribution_absorbs_it(officer):
    grant = with_own_contribution(officer)
    sign(grant, officer)
    ledger.allocation_add(actor=None, call=grant.call, amount=D("5000.00"))
    version = agreement_amend_amount(actor=officer, grant=grant, amount=D("155000.00"), reason="Exchange losses.")
    grant.refresh_from_db()
    assert (grant.amount, grant.own_contribution, grant.version) == (D("155000.00"), D("5000.00"), 2)
    assert committed(grant) == D("155000.00")
    assert version.kind == AgreementVersionKind.AMOUNT
    assert sum(t.planned_amount for t in grant.tranches.all()) == D("155000.00")
    assert version.snapshot["budget"]["total"] == "160000.00"
    assert AuditEvent.objects.filter(verb="agreement.amend_amount", amount=D("5000.00")).exists()


def test_amount_increase_refused_when_the_call_allocation_is_short(officer):
    grant = with_own_contribution(officer)
    sign(grant, officer)
    error = refused("exceeds_call_allocation", "amount", agreement_amend_amount, actor=officer, grant=grant,
                    amount=D("155000.00"), reason="More work.")
    assert "€5,000.00" in error.message
    grant.refresh_from_db()
    assert (grant.amount, grant.own_contribution, grant.version) == (D("150000.00"), D("10000.00"), 1)
    assert committed(grant) == D("150000.00")


def test_amount_increase_refused_beyond_the_own_contribution(officer):
    grant = signed_grant()
    refused("own_contribution_negative", "amount", agreement_amend_amount, actor=officer, grant=grant,
            amount=D("150000.01"), reason="More.")


def test_amount_decrease_releases_and_never_goes_below_paid(officer, finance):
    grant = signed_grant()
    payment_record(actor=finance, tranche=grant.tranches.get(number=1), amount=D("120000.00"),
                   value_date=date(2026, 1, 10), bank_reference="TT-1")
    refused("below_disbursed", "amount", agreement_amend_amount, actor=officer, grant=grant, amount=D("119999.99"), reason="Cut.")
    agreement_amend_amount(actor=officer, grant=grant, amount=D("140000.00"), reason="Activity dropped.")
    grant.refresh_from_db()
    assert (grant.amount, grant.own_contribution) == (D("140000.00"), D("10000.00"))
    assert committed(grant) == D("140000.00")
    tranches = list(grant.tranches.order_by("number"))
    assert [t.planned_amount for t in tranches] == [D("120000.00"), D("20000.00")]  # the paid tranche is kept


def test_amount_change_of_a_draft_creates_no_version(officer):
    grant = awarded_grant()
    assert agreement_amend_amount(actor=officer, grant=grant, amount=D("140000.00"), reason="Negotiated.") is None
    grant.refresh_from_db()
    assert (grant.amount, grant.version, grant.own_contribution) == (D("140000.00"), 0, D("10000.00"))
    assert committed(grant) == D("140000.00") and not grant.versions.exists()
    sign(grant, officer)  # still balances: 150,000 costs = 140,000 + 10,000 own contribution


def test_amount_refusals(officer):
    grant = signed_grant()
    refused("unchanged", "amount", agreement_amend_amount, actor=officer, grant=grant, amount=D("150000.00"), reason="x")
    refused("invalid_amount", "amount", agreement_amend_amount, actor=officer, grant=grant, amount="0", reason="x")
    refused("invalid_amount", "amount", agreement_amend_amount, actor=officer, grant=grant, amount="1.001", reason="x")
    refused("reason_required", "reason", agreement_amend_amount, actor=officer, grant=grant, amount=D("100"), reason="")
    agreement_set_status(actor=officer, grant=grant, status=AgreementStatus.TERMINATED, reason="Stopped.")
    refused("not_amendable", None, agreement_amend_amount, actor=officer, grant=grant, amount=D("100.00"), reason="x")
