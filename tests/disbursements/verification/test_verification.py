"""Spot checks and expenditure verification: hand-computed effects of a confirmed ineligible amount on approved
expenditure, tranche 3, the balance and the recovery at closure; the balance gate above the programme threshold;
the four follow-ups (documents, justification, write-off by a second person, refund through a recovery order)."""
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.utils import timezone

from audit.models import AuditEvent
from disbursements.agreements import agreement_set_status
from disbursements.models import ApprovedExpenditure, CheckKind, FindingOutcome, TrancheKind
from disbursements.recovery.models import RecoveryOrigin
from disbursements.recovery.services import recovery_order_for_unspent_advance
from disbursements.schedule import payable_grant_ids, schedule_status
from disbursements.services import expenditure_accept, payment_record
from disbursements.verification.services import (
    VerificationError, check_close, check_plan, check_start, finding_follow_up, finding_record, finding_respond,
    response_decide, verification_rule_set, write_off_approve,
)
from grants import ledger
from grants.models import AgreementStatus, Envelope, Grant
from grants.risk.models import AssuranceActivity
from grants.risk.selectors import assurance_rows
from tests.conftest import make_user
from accounts import roles as R
from tests.factories import CallFactory, EnvelopeFactory
from tests.grant_helpers import signed_grant

pytestmark = pytest.mark.django_db
DUE = timezone.localdate() + timedelta(days=30)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def vcall(db):
    programme = EnvelopeFactory(
        amount=(D("5000000.00"), "EUR"), programme__code="VERF", programme__start_date=date(2022, 1, 1),
        programme__end_date=date(2028, 12, 31),
    ).programme
    return CallFactory(programme=programme)


def _grant(call, amount="300000.00", start=date(2023, 1, 1), end=date(2025, 12, 31), organisation=None):
    extra = {"organisation": organisation} if organisation else {}
    return signed_grant(call=call, amount=amount, start=start, end=end, signed_on=start, **extra)


def _state(grant, number):
    return next(s for s in schedule_status(Grant.objects.get(pk=grant.pk)) if s.tranche.number == number)


def _check(officer, grant, kind=CheckKind.VERIFICATION, period=2, start=date(2024, 1, 1), end=date(2024, 12, 31)):
    check = check_plan(actor=officer, grant=grant, kind=kind, period_start=start, period_end=end, period_number=period,
                       verifier="Audit Partners SARL", sample="25 vouchers of 140", amount_covered="60000.00")
    return check_start(actor=officer, check=check)


def test_ineligible_finding_in_year_two_hand_computed(vcall, officer, finance):
    grant = _grant(vcall)
    # 36 months, three 12-month periods: 100,000 each, pre-financing capped at 90% (270,000): 100,000 / 100,000 /
    # 70,000, balance 30,000.
    assert [t.planned_amount for t in grant.tranches.order_by("number")] == [D("100000.00"), D("100000.00"), D("70000.00"), D("30000.00")]
    payment_record(actor=finance, tranche=grant.tranches.get(number=1), amount="100000.00", value_date=date(2023, 1, 15), bank_reference="V-1")
    expenditure_accept(actor=officer, grant=grant, period_number=1, is_final=False, amount="80000.00", period_end=date(2023, 12, 31), source="Report 1")
    payment_record(actor=finance, tranche=grant.tranches.get(number=2), amount="100000.00", value_date=date(2024, 3, 1), bank_reference="V-2")
    expenditure_accept(actor=officer, grant=grant, period_number=2, is_final=False, amount="100000.00", period_end=date(2024, 12, 31), source="Report 2")
    # Before the finding: 180,000 approved >= 170,000 needed (100,000 + 70% of 100,000): tranche 3 in full.
    assert _state(grant, 3).payable == D("70000.00")

    version = Envelope.objects.get(programme=vcall.programme).ledger_version
    check = _check(officer, grant)
    finding = finding_record(actor=officer, check=check, category="ineligible", priority="high",
                             description="Per diem above the agreed rates", ineligible_amount="12500.00")
    finding = finding_follow_up(actor=officer, finding=finding, outcome=FindingOutcome.DEDUCTED, note="Rates not in the budget")
    assert Envelope.objects.get(programme=vcall.programme).ledger_version > version
    # Approved: 80,000 + 100,000 - 12,500 = 167,500 < 170,000 needed: tranche 3 reduced by the unspent
    # 200,000 - 167,500 = 32,500, so 70,000 - 32,500 = 37,500.
    assert ApprovedExpenditure.objects.filter(grant=grant).aggregate(t=Sum("amount"))["t"] == D("167500.00")
    state = _state(grant, 3)
    assert (state.due, state.reduction, state.payable) == (D("37500.00"), D("32500.00"), D("37500.00"))
    assert grant.pk in set(Grant.objects.filter(pk__in=payable_grant_ids()).values_list("pk", flat=True))
    with pytest.raises(Exception) as refused:
        payment_record(actor=finance, tranche=grant.tranches.get(number=3), amount="70000.00", value_date=date(2025, 2, 1), bank_reference="V-3X")
    assert getattr(refused.value, "code", "") == "exceeds_tranche"
    payment_record(actor=finance, tranche=grant.tranches.get(number=3), amount="37500.00", value_date=date(2025, 2, 1), bank_reference="V-3")
    check_close(actor=officer, check=check, conclusion="One ineligible cost, deducted.")

    # Final report: 50,000 more. Approved 217,500; paid 237,500: the balance is nothing, 20,000 unspent.
    expenditure_accept(actor=officer, grant=grant, period_number=3, is_final=True, amount="50000.00", period_end=date(2025, 12, 31), source="Final report")
    balance = _state(grant, 4)
    assert balance.tranche.kind == TrancheKind.BALANCE
    assert (balance.due, balance.payable, balance.reduction) == (D("0.00"), D("0.00"), D("30000.00"))
    agreement_set_status(actor=officer, grant=grant, status=AgreementStatus.CLOSING)
    order = recovery_order_for_unspent_advance(actor=finance, grant=grant, due_date=DUE)
    assert order.amount == D("20000.00")
    assert ledger.balances(grant=grant).disbursed == D("237500.00")


def _short_grant(call, amount):
    grant = _grant(call, amount=amount, start=date(2025, 1, 1), end=date(2025, 12, 31))
    first = grant.tranches.get(number=1)
    payment_record(actor=make_user(R.FINANCE_OFFICER), tranche=first, amount=first.planned_amount,
                   value_date=date(2025, 1, 15), bank_reference=f"S-{amount}")
    return grant


def test_balance_refused_until_verification_closed_above_threshold(vcall, officer, finance):
    rule = verification_rule_set(actor=officer, programme=vcall.programme)
    assert rule.threshold == D("100000.00")
    grant = _short_grant(vcall, "150000.00")  # 80% = 120,000 paid; balance 30,000 after the final report
    expenditure_accept(actor=officer, grant=grant, period_number=1, is_final=True, amount="150000.00", period_end=date(2025, 12, 31), source="Final")
    balance = grant.tranches.get(kind=TrancheKind.BALANCE)
    # The queue's schedule says why, and the payable list leaves the grant out.
    state = _state(grant, balance.number)
    assert state.payable == 0 and state.due == D("30000.00")
    assert any("expenditure verification" in str(r) for r in state.reasons)
    assert grant.pk not in set(Grant.objects.filter(pk__in=payable_grant_ids()).values_list("pk", flat=True))
    with pytest.raises(VerificationError) as refused:
        payment_record(actor=finance, tranche=balance, amount="30000.00", value_date=date(2025, 6, 1), bank_reference="B-1")
    assert refused.value.code == "verification_not_closed"
    assert "100,000" in str(refused.value.message) or "100 000" in str(refused.value.message) or "100000" in str(refused.value.message)
    spot = _check(officer, grant, kind=CheckKind.SPOT_CHECK, period=1, start=date(2025, 1, 1), end=date(2025, 12, 31))
    check_close(actor=officer, check=spot, conclusion="No findings.")
    with pytest.raises(VerificationError):  # a spot check is not an expenditure verification
        payment_record(actor=finance, tranche=balance, amount="30000.00", value_date=date(2025, 6, 1), bank_reference="B-1")
    check = _check(officer, grant, period=1, start=date(2025, 1, 1), end=date(2025, 12, 31))
    check_close(actor=officer, check=check, conclusion="Expenditure verified.")
    assert _state(grant, balance.number).payable == D("30000.00")
    assert grant.pk in set(Grant.objects.filter(pk__in=payable_grant_ids()).values_list("pk", flat=True))
    payment_record(actor=finance, tranche=balance, amount="30000.00", value_date=date(2025, 6, 1), bank_reference="B-1")
    # The closed spot check counts in the assurance plan's coverage.
    spot.refresh_from_db()
    assert AssuranceActivity.objects.get(grant=grant, kind="spot_check").pk == spot.assurance_id


def test_balance_at_or_below_threshold_needs_no_verification(vcall, officer, finance):
    verification_rule_set(actor=officer, programme=vcall.programme)
    grant = _short_grant(vcall, "100000.00")
    expenditure_accept(actor=officer, grant=grant, period_number=1, is_final=True, amount="100000.00", period_end=date(2025, 12, 31), source="Final")
    payment_record(actor=finance, tranche=grant.tranches.get(kind=TrancheKind.BALANCE), amount="20000.00",
                   value_date=date(2025, 6, 1), bank_reference="B-2")
    # A programme rule lowers the threshold: a new grant of the same size then needs a verification.
    verification_rule_set(actor=officer, programme=vcall.programme, threshold="50000.00")
    other = _short_grant(vcall, "99999.00")
    expenditure_accept(actor=officer, grant=other, period_number=1, is_final=True, amount="99999.00", period_end=date(2025, 12, 31), source="Final")
    with pytest.raises(VerificationError):
        payment_record(actor=finance, tranche=other.tranches.get(kind=TrancheKind.BALANCE), amount="19999.80",
                       value_date=date(2025, 6, 1), bank_reference="B-3")


def _finding(officer, vcall, amount="5000.00", organisation=None):
    grant = _grant(vcall, start=date(2025, 1, 1), end=date(2027, 12, 31), organisation=organisation)
    payment_record(actor=make_user(R.FINANCE_OFFICER), tranche=grant.tranches.get(number=1), amount="100000.00",
                   value_date=date(2025, 1, 15), bank_reference=f"F-{grant.pk}")
    expenditure_accept(actor=officer, grant=grant, period_number=1, is_final=False, amount="80000.00",
                       period_end=date(2025, 12, 31), source="Report 1")
    check = _check(officer, grant, kind=CheckKind.SPOT_CHECK, period=1, start=date(2025, 1, 1), end=date(2025, 12, 31))
    return finding_record(actor=officer, check=check, category="missing_support", priority="medium",
                          description="Invoices missing for fuel", ineligible_amount=amount)


def test_write_off_needs_a_second_person(vcall, officer):
    finding = _finding(officer, vcall)
    finding_follow_up(actor=officer, finding=finding, outcome=FindingOutcome.WRITE_OFF_PROPOSED, note="Too small to pursue")
    with pytest.raises(VerificationError) as refused:
        write_off_approve(actor=officer, finding=finding)
    assert refused.value.code == "same_person"
    with pytest.raises(VerificationError):  # the check waits for the approval
        check_close(actor=officer, check=finding.check_ref, conclusion="Done")
    second = make_user(R.PROGRAMME_OFFICER)
    finding = write_off_approve(actor=second, finding=finding)
    assert finding.outcome == FindingOutcome.WRITTEN_OFF and finding.write_off_approved_by == second
    assert ApprovedExpenditure.objects.filter(grant=finding.grant).aggregate(t=Sum("amount"))["t"] == D("80000.00")
    check_close(actor=officer, check=finding.check_ref, conclusion="Done")
    assert AuditEvent.objects.filter(verb="verification.written_off").count() == 1


def test_refund_issues_a_recovery_order_from_the_finding(vcall, officer):
    finding = _finding(officer, vcall, amount="4321.09")
    finding = finding_follow_up(actor=officer, finding=finding, outcome=FindingOutcome.REFUND, note="Fuel not supported", due_date=DUE)
    order = finding.recovery_order
    assert (order.amount, order.origin, order.source_reference) == (D("4321.09"), RecoveryOrigin.FINDING, f"finding:{finding.pk}")
    assert ApprovedExpenditure.objects.filter(grant=finding.grant).aggregate(t=Sum("amount"))["t"] == D("80000.00")


def test_grantee_answers_with_a_document_and_the_officer_accepts(vcall, officer, cso_user, organisation, other_cso_user):
    finding = _finding(officer, vcall, organisation=organisation)
    from notifications.models import Notification
    assert Notification.objects.filter(recipient=cso_user, kind="finding_recorded").exists()
    with pytest.raises(VerificationError):
        finding_respond(actor=other_cso_user, finding=finding, text="Not ours")
    with pytest.raises(VerificationError) as bad:
        finding_respond(actor=cso_user, finding=finding, text="Here", document=SimpleUploadedFile("a.pdf", b"MZ not a pdf"))
    assert bad.value.field == "document"
    with pytest.raises(VerificationError):  # documents accepted needs an accepted answer
        finding_follow_up(actor=officer, finding=finding, outcome=FindingOutcome.DOCUMENTS_ACCEPTED)
    response = finding_respond(actor=cso_user, finding=finding, text="The invoices", document=SimpleUploadedFile("invoices.pdf", PDF))
    response_decide(actor=officer, response=response, accepted=True)
    finding = finding_follow_up(actor=officer, finding=finding, outcome=FindingOutcome.DOCUMENTS_ACCEPTED)
    assert finding.outcome == FindingOutcome.DOCUMENTS_ACCEPTED
    verbs = set(AuditEvent.objects.filter(verb__startswith="verification.").values_list("verb", flat=True))
    assert {"verification.plan", "verification.start", "verification.finding", "verification.answer",
            "verification.answer_accept", "verification.documents_accepted"} <= verbs


def test_only_officers_record(vcall, officer, finance):
    grant = _grant(vcall, start=date(2025, 1, 1), end=date(2027, 12, 31))
    with pytest.raises(VerificationError) as refused:
        check_plan(actor=finance, grant=grant, kind=CheckKind.SPOT_CHECK, period_start=date(2025, 1, 1),
                   period_end=date(2025, 6, 30), period_number=1, verifier="X")
    assert refused.value.code == "forbidden"
    with pytest.raises(VerificationError) as refused:
        check_plan(actor=officer, grant=grant, kind=CheckKind.SPOT_CHECK, period_start=date(2025, 1, 1),
                   period_end=date(2025, 6, 30), period_number=1)
    assert refused.value.field == "verifier"


def _spot_checks_done(grant):
    return assurance_rows(Grant.objects.filter(pk=grant.pk))[0].spot_checks.done


def test_closed_spot_check_counts_on_the_assurance_plan_and_a_verification_does_not(vcall, officer):
    today = timezone.localdate()
    grant = _grant(vcall, start=date(today.year, 1, 1), end=date(today.year + 1, 12, 31))
    period = {"period": 1, "start": date(today.year, 1, 1), "end": date(today.year, 3, 31)}
    assert _spot_checks_done(grant) == 0
    verification = _check(officer, grant, **period)
    check_close(actor=officer, check=verification, conclusion="Expenditure verified.")
    assert _spot_checks_done(grant) == 0 and AssuranceActivity.objects.count() == 0
    assert not AuditEvent.objects.filter(verb="assurance.spot_check").exists()

    spot = _check(officer, grant, kind=CheckKind.SPOT_CHECK, **period)
    conclusion = "x" * 2000  # the longest conclusion: the reference prefix is cut to the summary's limit
    check_close(actor=officer, check=spot, conclusion=conclusion)
    assert _spot_checks_done(grant) == 1
    activity = AssuranceActivity.objects.get(grant=grant)
    assert activity.pk == Grant.objects.get(pk=grant.pk).expenditure_checks.get(kind=CheckKind.SPOT_CHECK).assurance_id
    assert (activity.kind, activity.done_on, activity.done_by) == ("spot_check", today, "Audit Partners SARL")
    assert activity.summary.startswith(f"{spot.reference}: xxx") and len(activity.summary) == 2000
    event = AuditEvent.objects.get(verb="assurance.spot_check")
    assert event.target_id == str(grant.pk) and event.data["source"] == spot.reference
