"""Spot checks and expenditure verifications: planning and closing a check, recording findings, the grantee's answers,
and the follow-up of each finding.

Rules (one transaction each; the grant row is locked first, then the check or finding):
- programme officers and administrators plan, start, close checks and record and follow up findings; the grantee's
  editors and administrators answer findings with a text and a document (the project's upload checks);
- a finding is recorded on a check in progress; its ineligible amount is in EUR, never negative;
- follow-up of a finding: additional documents accepted (needs an accepted answer), justification accepted,
  deducted (the ineligible amount confirmed: a negative approved-expenditure row charged to the check's period, so
  further tranches, the balance and the unspent advance are recomputed), written off (proposed by one person,
  approved by another), or to be refunded (a recovery order from the finding, disbursements.recovery; the
  expenditure is then not deducted too, or the grantee would pay it back twice);
- a check is closed only once its findings are all followed up; a closed spot check is recorded as done on the
  grant's assurance plan (grants.risk), so it counts in coverage;
- once a programme adopts the verification rule (`verification_rule_set`, PRAG default threshold EUR 100,000), a
  grant above its threshold receives no balance until an expenditure verification is closed: the schedule says so
  (disbursements.schedule) and `balance_gate`, called by disbursements.services.payment_record, refuses;
- every change is audited; the grantee's members are notified when a finding is recorded.
"""
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import require_verified_email_to_upload
from accounts.selectors import members_of
from audit.services import audit_record
from core.errors import DomainError
from core.formats import money_text
from core.money import EUR, ZERO, MoneyValueError, exact_cents
from core.personal_data import check_upload
from core.uploads import validate_upload
from grants import ledger
from grants.access import can_report_for
from grants.models import Grant
from grants.risk.services import ASSURED_STATUSES, is_risk_officer, spot_check_from_verification
from notifications.services import notify

from ..models import ApprovedExpenditure
from ..recovery.models import RecoveryOrigin
from ..recovery.services import recovery_order_issue
from .models import (
    CHECK_TRANSITIONS, CLEARED_OUTCOMES, DEFAULT_VERIFICATION_THRESHOLD, CheckKind, CheckStatus, ExpenditureCheck,
    Finding, FindingCategory, FindingOutcome, FindingPriority, FindingResponse, VerificationRule,
)

TEXT_MAX = 4000


class VerificationError(DomainError):
    """A check or finding operation was refused; nothing was written."""


def _officer(actor):
    if not is_risk_officer(actor):
        raise VerificationError(_("Only programme officers record checks and follow up findings."), code="forbidden")


def _text(value, field, *, required=True, max_length=TEXT_MAX):
    value = (value or "").strip()
    if required and not value:
        raise VerificationError(_("This field is required."), code="required", field=field)
    if len(value) > max_length:
        raise VerificationError(_("At most %(n)s characters.") % {"n": max_length}, code="too_long", field=field)
    return value


def _amount(value, field, *, positive=False):
    try:
        amount = exact_cents(value if value not in (None, "") else "0")
    except MoneyValueError as exc:
        raise VerificationError(_("Enter an amount in euros with at most two decimals."), code="invalid_amount", field=field) from exc
    if amount < 0 or (positive and amount == 0):
        raise VerificationError(_("The amount must be greater than zero.") if positive else _("The amount cannot be negative."),
                                code="invalid_amount", field=field)
    return amount


def _lock_grant(grant_id):
    return Grant.objects.select_for_update().select_related("call__programme", "organisation").get(pk=grant_id)


def threshold_for(programme):
    """The programme's verification threshold, or None when it has not adopted the rule (no gate)."""
    return VerificationRule.objects.filter(programme=programme).values_list("threshold", flat=True).first()


def verification_rule_set(*, actor, programme, threshold=DEFAULT_VERIFICATION_THRESHOLD) -> VerificationRule:
    """Adopt (or change) the programme's rule: the balance of a grant above `threshold` (PRAG default EUR 100,000)
    waits for a closed expenditure verification."""
    _officer(actor)
    threshold = _amount(threshold, "threshold")
    with transaction.atomic():
        rule = VerificationRule.objects.select_for_update().filter(programme=programme).first()
        before = str(rule.threshold) if rule else None
        rule, _created = VerificationRule.objects.update_or_create(programme=programme, defaults={"threshold": threshold})
        audit_record(actor=actor, verb="verification.rule_set", target=programme,
                     data={"from": before, "to": str(threshold)})
        ledger.figures_changed(programme_id=programme.pk)
    return rule


def verification_closed(grant) -> bool:
    return ExpenditureCheck.objects.filter(grant=grant, kind=CheckKind.VERIFICATION, status=CheckStatus.CLOSED).exists()


def balance_blocked_reason(grant) -> str:
    """Why the grant's balance may not be paid yet, or "" (two queries)."""
    threshold = threshold_for(grant.call.programme)
    if threshold is not None and grant.amount > threshold and not verification_closed(grant):
        return _("The balance of a grant above %(threshold)s is paid only after its expenditure verification is closed.") % {
            "threshold": money_text(threshold)}
    return ""


def balance_gate(grant) -> None:
    """Refuse the balance of `grant` while its expenditure verification is needed and not closed."""
    reason = balance_blocked_reason(grant)
    if reason:
        raise VerificationError(reason, code="verification_not_closed", field="amount")


def check_plan(*, actor, grant, kind, period_start: date, period_end: date, period_number: int, staff=None,
               verifier: str = "", sample: str = "", amount_covered=None) -> ExpenditureCheck:
    """Plan a spot check or expenditure verification of `grant`'s expenditure from `period_start` to `period_end`
    (reporting period `period_number`), done by a staff member or an external verifier."""
    _officer(actor)
    if kind not in CheckKind.values:
        raise VerificationError(_("Choose a spot check or an expenditure verification."), code="invalid_kind", field="kind")
    verifier = _text(verifier, "verifier", required=False, max_length=255)
    if staff is None and not verifier:
        raise VerificationError(_("Give the staff member or the external verifier who does the check."), code="who_required", field="verifier")
    if not isinstance(period_start, date) or not isinstance(period_end, date):
        raise VerificationError(_("Give the period covered."), code="period_required", field="period_start")
    if period_end < period_start:
        raise VerificationError(_("The period ends before it starts."), code="period_order", field="period_end")
    if not period_number or int(period_number) < 1:
        raise VerificationError(_("Give the reporting period checked."), code="period_number", field="period_number")
    sample = _text(sample, "sample", required=False)
    covered = _amount(amount_covered, "amount_covered")
    with transaction.atomic():
        grant = _lock_grant(grant.pk)
        if grant.status not in ASSURED_STATUSES:
            raise VerificationError(_("Checks are recorded on signed grants that are running."), code="not_running")
        number = (ExpenditureCheck.objects.filter(grant=grant).order_by("-number").values_list("number", flat=True).first() or 0) + 1
        check = ExpenditureCheck.objects.create(
            grant=grant, number=number, kind=kind, staff=staff, verifier=verifier, period_start=period_start,
            period_end=period_end, period_number=int(period_number), sample=sample, amount_covered=covered,
            recorded_by=actor,
        )
        audit_record(actor=actor, verb="verification.plan", target=grant, amount=covered, currency=EUR,
                     data={"check": check.pk, "reference": check.reference, "kind": kind, "verifier": verifier,
                           "staff": staff.pk if staff else None, "period": [period_start.isoformat(), period_end.isoformat()]})
    return check


def _lock_check(check):
    grant = _lock_grant(check.grant_id)
    check = ExpenditureCheck.objects.select_for_update().get(pk=check.pk)
    check.grant = grant
    return grant, check


def _move(check, status):
    if status not in CHECK_TRANSITIONS[CheckStatus(check.status)]:
        raise VerificationError(
            _("Check %(ref)s is %(status)s: it cannot move to %(to)s.")
            % {"ref": check.reference, "status": check.get_status_display().lower(), "to": CheckStatus(status).label.lower()},
            code="invalid_transition",
        )


def check_start(*, actor, check: ExpenditureCheck, sample: str | None = None, amount_covered=None) -> ExpenditureCheck:
    """Start the check (fieldwork): findings may then be recorded. The sample and amount covered may be updated."""
    _officer(actor)
    with transaction.atomic():
        grant, check = _lock_check(check)
        _move(check, CheckStatus.IN_PROGRESS)
        if sample is not None:
            check.sample = _text(sample, "sample", required=False)
        if amount_covered not in (None, ""):
            check.amount_covered = _amount(amount_covered, "amount_covered")
        check.status = CheckStatus.IN_PROGRESS
        check.save(update_fields=["status", "sample", "amount_covered"])
        audit_record(actor=actor, verb="verification.start", target=grant, amount=check.amount_covered, currency=EUR,
                     data={"check": check.pk, "reference": check.reference})
    return check


def check_close(*, actor, check: ExpenditureCheck, conclusion: str) -> ExpenditureCheck:
    """Close a check in progress whose findings are all followed up. A spot check is then recorded as done on the
    grant's assurance plan."""
    _officer(actor)
    conclusion = _text(conclusion, "conclusion", max_length=2000)
    with transaction.atomic():
        grant, check = _lock_check(check)
        _move(check, CheckStatus.CLOSED)
        open_count = sum(1 for f in check.findings.all() if f.is_open)
        if open_count:
            raise VerificationError(
                _("%(n)s finding(s) of check %(ref)s still need a follow-up before it can be closed.")
                % {"n": open_count, "ref": check.reference}, code="open_findings",
            )
        check.status = CheckStatus.CLOSED
        check.conclusion = conclusion
        check.closed_on = timezone.localdate()
        if check.kind == CheckKind.SPOT_CHECK:
            # Counted as done on the assurance plan; an expenditure verification is not a spot check (HACT).
            check.assurance = spot_check_from_verification(actor=actor, grant=grant, reference=check.reference,
                                                           done_on=check.closed_on, done_by=check.done_by,
                                                           conclusion=conclusion)
        check.save(update_fields=["status", "conclusion", "closed_on", "assurance"])
        audit_record(actor=actor, verb="verification.close", target=grant,
                     data={"check": check.pk, "reference": check.reference, "kind": check.kind})
        ledger.figures_changed(programme_id=grant.call.programme_id)  # the payment queue reads the balance gate
    return check


def finding_record(*, actor, check: ExpenditureCheck, category, priority, description, ineligible_amount=None) -> Finding:
    """Record a finding of a check in progress; the grantee's members are notified."""
    _officer(actor)
    if category not in FindingCategory.values:
        raise VerificationError(_("Choose a category."), code="invalid_category", field="category")
    if priority not in FindingPriority.values:
        raise VerificationError(_("Choose a priority."), code="invalid_priority", field="priority")
    description = _text(description, "description")
    amount = _amount(ineligible_amount, "ineligible_amount")
    with transaction.atomic():
        grant, check = _lock_check(check)
        if check.status != CheckStatus.IN_PROGRESS:
            raise VerificationError(_("Findings are recorded on a check in progress."), code="not_in_progress")
        finding = Finding.objects.create(check_ref=check, grant=grant, category=category, priority=priority,
                                         description=description, ineligible_amount=amount, recorded_by=actor)
        audit_record(actor=actor, verb="verification.finding", target=grant, amount=amount, currency=EUR,
                     data={"check": check.pk, "finding": finding.pk, "category": category, "priority": priority})
        notify([m.user for m in members_of(grant.organisation)], "finding_recorded",
               url=reverse("finding_detail", args=[finding.pk]),
               params={"grant": grant.reference, "check": check.reference, "amount": amount})
    return finding


def _lock_finding(finding):
    grant = _lock_grant(finding.grant_id)
    finding = Finding.objects.select_for_update().select_related("check_ref").get(pk=finding.pk)
    finding.grant = grant
    return grant, finding


def _require_open(finding):
    if not finding.is_open and finding.outcome != FindingOutcome.WRITE_OFF_PROPOSED:
        raise VerificationError(_("This finding is already followed up (%(outcome)s).")
                                % {"outcome": finding.get_outcome_display().lower()}, code="closed_finding")


def finding_respond(*, actor, finding: Finding, text: str, document=None, personal_data_confirmed=False) -> FindingResponse:
    """The grantee answers a finding, optionally with a document: checked like every upload (verified address,
    size, content and type, core.uploads), and refused with PersonalDataFound while it seems to hold personal data
    that the sender has not confirmed (core.personal_data); the confirmation is audited with what was found, masked."""
    text = _text(text, "text")
    scan = None
    if document is not None:
        require_verified_email_to_upload(actor)
        try:
            kind = validate_upload(document)
        except ValidationError as exc:
            raise VerificationError(" ".join(exc.messages), code="bad_document", field="document") from exc
        scan = check_upload(document, kind, confirmed=personal_data_confirmed)
    with transaction.atomic():
        grant, finding = _lock_finding(finding)
        if not can_report_for(actor, grant):
            raise VerificationError(_("Only the grantee's editors answer its findings."), code="forbidden")
        if finding.outcome != FindingOutcome.OPEN:
            raise VerificationError(_("This finding is already followed up."), code="closed_finding")
        response = FindingResponse(finding=finding, text=text, sent_by=actor)
        if document is not None:
            response.document_name = (getattr(document, "name", "") or "document")[:255]
            response.document = document
        response.save()
        audit_record(actor=actor, verb="verification.answer", target=grant,
                     data={"finding": finding.pk, "response": response.pk, "document": response.document_name})
        if scan is not None and scan.findings:
            audit_record(actor=actor, verb="verification.personal_data_confirmed", target=grant,
                         data={"finding": finding.pk, "response": response.pk, "name": response.document_name,
                               "findings": [f.as_data() for f in scan.findings]})
    return response


def response_decide(*, actor, response: FindingResponse, accepted: bool, note: str = "") -> FindingResponse:
    """The officer accepts the grantee's answer (and its document) or not, with a note."""
    _officer(actor)
    note = _text(note, "note", required=not accepted)
    with transaction.atomic():
        grant, finding = _lock_finding(response.finding)
        response = FindingResponse.objects.select_for_update().get(pk=response.pk)
        if response.accepted is not None:
            raise VerificationError(_("This answer has already been decided."), code="already_decided")
        if finding.outcome != FindingOutcome.OPEN:
            raise VerificationError(_("This finding is already followed up."), code="closed_finding")
        response.accepted = bool(accepted)
        response.decision_note = note
        response.decided_by = actor
        response.save(update_fields=["accepted", "decision_note", "decided_by"])
        audit_record(actor=actor, verb="verification.answer_accept" if accepted else "verification.answer_reject",
                     target=grant, data={"finding": finding.pk, "response": response.pk, "note": note})
    return response


def expenditure_deduct(*, actor, grant, finding: Finding) -> ApprovedExpenditure:
    """Record a confirmed ineligible amount as a negative approved-expenditure row charged to the checked period
    (called inside the follow-up's transaction, grant locked). Never more than the expenditure approved."""
    approved = ApprovedExpenditure.objects.filter(grant=grant).aggregate(total=Sum("amount"))["total"] or ZERO
    if finding.ineligible_amount <= 0:
        raise VerificationError(_("This finding has no ineligible amount to deduct."), code="nothing_to_deduct")
    if finding.ineligible_amount > approved:
        raise VerificationError(
            _("%(amount)s is more than the %(approved)s of expenditure approved on %(grant)s.")
            % {"amount": money_text(finding.ineligible_amount), "approved": money_text(approved), "grant": grant.reference},
            code="exceeds_approved",
        )
    check = finding.check_ref
    row = ApprovedExpenditure.objects.create(
        grant=grant, period_number=check.period_number, is_final=False, amount=-finding.ineligible_amount,
        period_end=check.period_end, source=f"{check.reference} finding {finding.pk}"[:80], approved_at=timezone.now(),
        approved_by=actor, finding=finding,
    )
    ledger.figures_changed(programme_id=grant.call.programme_id)  # the advances, schedules and dashboard read it
    audit_record(actor=actor, verb="expenditure.deduct", target=grant, amount=-finding.ineligible_amount, currency=EUR,
                 amount_before=approved, amount_after=approved - finding.ineligible_amount,
                 data={"finding": finding.pk, "period": check.period_number, "row": row.pk})
    return row


def finding_follow_up(*, actor, finding: Finding, outcome: str, note: str = "", due_date: date | None = None) -> Finding:
    """Follow up a finding: documents accepted, justification accepted, deducted, write-off proposed, or to be
    refunded (a recovery order due by `due_date`)."""
    _officer(actor)
    allowed = (*CLEARED_OUTCOMES, FindingOutcome.DEDUCTED, FindingOutcome.WRITE_OFF_PROPOSED, FindingOutcome.REFUND)
    if outcome not in allowed:
        raise VerificationError(_("Choose a follow-up."), code="invalid_outcome", field="outcome")
    note = _text(note, "note", required=outcome != FindingOutcome.DOCUMENTS_ACCEPTED)
    with transaction.atomic():
        grant, finding = _lock_finding(finding)
        if finding.outcome != FindingOutcome.OPEN:
            raise VerificationError(_("This finding is already followed up (%(outcome)s).")
                                    % {"outcome": finding.get_outcome_display().lower()}, code="closed_finding")
        if outcome == FindingOutcome.DOCUMENTS_ACCEPTED and not finding.responses.filter(accepted=True).exists():
            raise VerificationError(_("Accept the grantee's answer with its documents first."), code="no_accepted_answer",
                                    field="outcome")
        if outcome in (FindingOutcome.DEDUCTED, FindingOutcome.WRITE_OFF_PROPOSED, FindingOutcome.REFUND) \
                and finding.ineligible_amount <= 0:
            raise VerificationError(_("This finding has no ineligible amount."), code="no_amount", field="outcome")
        finding.outcome = outcome
        finding.outcome_note = note
        finding.outcome_by = actor
        if outcome == FindingOutcome.DEDUCTED:
            expenditure_deduct(actor=actor, grant=grant, finding=finding)
        elif outcome == FindingOutcome.REFUND:
            order = recovery_order_issue(
                actor=actor, grant=grant, amount=finding.ineligible_amount, reason=note, due_date=due_date,
                origin=RecoveryOrigin.FINDING,
                source_description=f"{finding.check_ref.reference}: {finding.get_category_display()}",
                source_reference=f"finding:{finding.pk}",
            )
            finding.recovery_order = order
        finding.save(update_fields=["outcome", "outcome_note", "outcome_by", "recovery_order"])
        audit_record(actor=actor, verb=f"verification.{outcome}", target=grant, amount=finding.ineligible_amount,
                     currency=EUR, data={"finding": finding.pk, "note": note,
                                         "recovery_order": finding.recovery_order_id})
    return finding


def write_off_approve(*, actor, finding: Finding) -> Finding:
    """Approve a proposed write-off: by another person than the one who proposed it."""
    _officer(actor)
    with transaction.atomic():
        grant, finding = _lock_finding(finding)
        if finding.outcome != FindingOutcome.WRITE_OFF_PROPOSED:
            raise VerificationError(_("No write-off of this finding awaits approval."), code="no_proposal")
        if finding.outcome_by_id == actor.pk:
            raise VerificationError(_("A write-off is approved by another person than the one who proposed it."),
                                    code="same_person")
        finding.outcome = FindingOutcome.WRITTEN_OFF
        finding.write_off_approved_by = actor
        finding.save(update_fields=["outcome", "write_off_approved_by"])
        audit_record(actor=actor, verb="verification.written_off", target=grant, amount=finding.ineligible_amount,
                     currency=EUR, data={"finding": finding.pk, "proposed_by": finding.outcome_by_id})
    return finding
