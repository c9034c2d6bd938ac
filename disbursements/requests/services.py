"""Requests started by the grantee: submitting a payment or an amendment request, commenting on it, approving or
rejecting it, and paying an approved payment request.

Rules (each service runs in one transaction, locks the grant row and then the request, checks, writes with
`update_fields`, and records an audit event):
- only an organisation administrator or editor of the grantee submits or writes for the grantee (viewers read);
- a payment request is for a tranche that disbursements.schedule says is payable now, for at most what it may pay,
  resting on a statement of expenditure: an accepted financial report of the grant or a checked upload; one open
  (submitted or approved) request per tranche;
- an amendment request needs a justification and what it changes (the new end date, the budget lines and their
  new amounts, or the description of the changed activities);
- finance officers decide payment requests and pay them through disbursements.services.payment_record: however
  the payment of a tranche is recorded (from the request, the payment page or with an offset), the tranche's
  approved request becomes paid and is linked to it (payment_request_settle, a disbursements.payment_hooks hook); programme officers and administrators decide amendment requests:
  approving a no-cost extension enacts it through disbursements.agreements.agreement_amend_extension, the other
  kinds are recorded as approved for the officer to enact on the agreement page;
- a rejection needs its reason; every change notifies the other side.
"""
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles as R
from accounts.access import can_on, has_role, require_verified_email_to_upload
from accounts.selectors import members_of
from audit.services import audit_record
from core.errors import DomainError
from core.money import MoneyValueError, exact_cents
from core.uploads import validate_upload
from grants.models import Grant
from notifications.services import notify

from ..agreements import agreement_amend_extension
from ..models import ApprovedExpenditure, Tranche
from ..schedule import schedule_status
from ..services import payment_record
from .models import (
    PENDING_STATUSES, REQUEST_TRANSITIONS, AmendmentKind, GrantRequest, RequestComment, RequestKind, RequestStatus,
)

OFFICERS = (R.PROGRAMME_OFFICER, R.ADMINISTRATOR)
TEXT_MAX = 4000
MAX_LINES = 50
OPEN_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.APPROVED)


class RequestError(DomainError):
    """A request operation was refused; nothing was written."""


def may_write_for_grantee(user, grant) -> bool:
    return can_on(user, "edit_applications", grant.organisation)


def decider_roles(request) -> tuple:
    return (R.FINANCE_OFFICER,) if request.kind == RequestKind.PAYMENT else OFFICERS


def may_decide(user, request) -> bool:
    return has_role(user, *decider_roles(request))


def _text(value, field, *, required=True, message=None):
    value = (value or "").strip()
    if required and not value:
        raise RequestError(message or _("This field is required."), code="required", field=field)
    if len(value) > TEXT_MAX:
        raise RequestError(_("Write at most %(n)s characters.") % {"n": TEXT_MAX}, code="too_long", field=field)
    return value


def _lock_grant(grant) -> Grant:
    return Grant.objects.select_for_update(of=("self",)).select_related("call__programme", "organisation").get(pk=grant.pk)


def _require_grantee_writer(actor, grant):
    if not may_write_for_grantee(actor, grant):
        raise RequestError(_("Only the grantee's administrators and editors can make requests."), code="forbidden")


def _next_number(grant) -> int:
    last = GrantRequest.objects.filter(grant=grant).order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1


def _staff(roles):
    return list(get_user_model().objects.filter(is_active=True, groups__name__in=roles).distinct())


def _url(request) -> str:
    return reverse("grant_request_detail", args=[request.pk])


def _notify_staff(request):
    notify(_staff(decider_roles(request)), "grant_request_submitted", url=_url(request),
           params={"grant": request.grant.reference, "organisation": request.grant.organisation.legal_name,
                   "request": request.reference})


def _notify_grantee(request, outcome):
    notify([m.user for m in members_of(request.grant.organisation)], "grant_request_decided", url=_url(request),
           params={"grant": request.grant.reference, "request": request.reference, "outcome": outcome,
                   "reason": request.decision_reason})


def _checked_statement(actor, statement):
    if statement is None:
        return None
    require_verified_email_to_upload(actor)
    try:
        return validate_upload(statement)
    except ValidationError as exc:
        raise RequestError(exc.messages[0], code=exc.code or "invalid_file", field="statement") from None


def payable_states(grant):
    """The tranches of `grant` payable now (schedule_status), with what each may pay."""
    return [s for s in schedule_status(grant) if s.payable > 0]


def payment_request_submit(*, actor, grant, tranche, amount=None, expenditure=None, statement=None,
                           justification="") -> GrantRequest:
    """Ask for the payment of `tranche` (all it may pay now unless `amount` is less), resting on an accepted
    financial report (`expenditure`, an ApprovedExpenditure of the grant) or an uploaded `statement`."""
    justification = _text(justification, "justification", required=False)
    if amount not in (None, ""):
        try:
            amount = exact_cents(amount)
        except MoneyValueError as exc:
            raise RequestError(_("Enter an amount in euros with at most two decimals."), code="invalid_amount", field="amount") from exc
        if amount <= 0:
            raise RequestError(_("The amount must be greater than zero."), code="invalid_amount", field="amount")
    if (expenditure is None) == (statement is None):
        raise RequestError(_("Choose an accepted financial report or upload a statement of expenditure (one of them)."),
                           code="statement_required", field="statement")
    _checked_statement(actor, statement)
    with transaction.atomic():
        grant = _lock_grant(grant)
        _require_grantee_writer(actor, grant)
        if tranche is None or tranche.grant_id != grant.pk:
            raise RequestError(_("Choose a tranche of this grant."), code="no_tranche", field="tranche")
        if expenditure is not None and expenditure.grant_id != grant.pk:
            raise RequestError(_("Choose a financial report of this grant."), code="wrong_report", field="expenditure")
        state = next((s for s in schedule_status(grant) if s.tranche.pk == tranche.pk), None)
        if state is None or state.payable <= 0:
            raise RequestError(_("Tranche %(n)s is not payable now.") % {"n": tranche.number}, code="not_payable", field="tranche")
        amount = state.payable if amount in (None, "") else amount
        if amount > state.payable:
            raise RequestError(_("Tranche %(n)s may pay at most %(payable)s now.") % {"n": tranche.number, "payable": state.payable},
                               code="exceeds_tranche", field="amount")
        if GrantRequest.objects.filter(tranche=tranche, status__in=OPEN_STATUSES).exists():
            raise RequestError(_("A payment request for tranche %(n)s is already open.") % {"n": tranche.number},
                               code="duplicate", field="tranche")
        request = GrantRequest(
            grant=grant, number=_next_number(grant), kind=RequestKind.PAYMENT, tranche=tranche, amount=amount,
            expenditure=expenditure, justification=justification, requested_by=actor,
        )
        if statement is not None:
            request.statement = statement
            request.statement_name = statement.name[:255]
        try:
            with transaction.atomic():
                request.save()
        except IntegrityError as exc:  # the same tranche requested meanwhile
            raise RequestError(_("A payment request for tranche %(n)s is already open.") % {"n": tranche.number},
                               code="duplicate", field="tranche") from exc
        audit_record(actor=actor, verb="grant_request.payment_submitted", target=grant, amount=amount, currency="EUR",
                     data={"request": request.pk, "number": request.number, "tranche": tranche.number,
                           "expenditure": expenditure.pk if expenditure else None, "statement": request.statement_name})
        _notify_staff(request)
    return request


def _lines(lines) -> list:
    """[{"line": position (1-based), "amount": "…"}] checked: positions once each, amounts in cents."""
    result, seen = [], set()
    for row in lines or []:
        number, amount = row.get("line"), row.get("amount")
        try:
            number = int(number)
            amount = exact_cents(amount)
        except (TypeError, ValueError, MoneyValueError) as exc:
            raise RequestError(_("Give each budget line's number and its new amount in euros."), code="invalid_line", field="lines") from exc
        if number < 1 or number in seen or amount < 0:
            raise RequestError(_("Give each budget line once, with an amount that is not negative."), code="invalid_line", field="lines")
        seen.add(number)
        result.append({"line": number, "amount": str(amount)})
    if not result:
        raise RequestError(_("Give the budget lines and their new amounts."), code="lines_required", field="lines")
    if len(result) > MAX_LINES:
        raise RequestError(_("Give at most %(n)s budget lines.") % {"n": MAX_LINES}, code="too_many_lines", field="lines")
    return result


def amendment_request_submit(*, actor, grant, amendment_kind, justification, new_end_date: date | None = None,
                             lines=None, description="") -> GrantRequest:
    """Ask for an amendment of the agreement."""
    justification = _text(justification, "justification", message=_("Say why the amendment is needed."))
    values = {"new_end_date": None, "lines": [], "description": ""}
    if amendment_kind == AmendmentKind.EXTENSION:
        if new_end_date is None:
            raise RequestError(_("Give the new end date."), code="date_required", field="new_end_date")
        values["new_end_date"] = new_end_date
    elif amendment_kind == AmendmentKind.BUDGET:
        values["lines"] = _lines(lines)
    elif amendment_kind == AmendmentKind.ACTIVITIES:
        values["description"] = _text(description, "description", message=_("Describe the change of activities."))
    else:
        raise RequestError(_("Choose the kind of amendment."), code="invalid_kind", field="amendment_kind")
    with transaction.atomic():
        grant = _lock_grant(grant)
        _require_grantee_writer(actor, grant)
        if values["new_end_date"] is not None and values["new_end_date"] <= grant.end_date:
            raise RequestError(_("An extension needs an end date after the current one (%(d)s).") % {"d": grant.end_date},
                               code="not_later", field="new_end_date")
        if values["lines"]:
            count = grant.budget_lines.count()
            if any(row["line"] > count for row in values["lines"]):
                raise RequestError(_("The agreement has %(n)s budget lines.") % {"n": count}, code="invalid_line", field="lines")
        if GrantRequest.objects.filter(grant=grant, kind=RequestKind.AMENDMENT, amendment_kind=amendment_kind,
                                       status=RequestStatus.SUBMITTED).exists():
            raise RequestError(_("A request for this kind of amendment is already waiting for a decision."),
                               code="duplicate", field="amendment_kind")
        request = GrantRequest.objects.create(
            grant=grant, number=_next_number(grant), kind=RequestKind.AMENDMENT, amendment_kind=amendment_kind,
            justification=justification, requested_by=actor, **values,
        )
        audit_record(actor=actor, verb="grant_request.amendment_submitted", target=grant,
                     data={"request": request.pk, "number": request.number, "kind": amendment_kind,
                           "new_end_date": new_end_date.isoformat() if values["new_end_date"] else None,
                           "lines": values["lines"], "description": values["description"]})
        _notify_staff(request)
    return request


def _lock_request(request) -> GrantRequest:
    _lock_grant(request.grant)
    return GrantRequest.objects.select_for_update(of=("self",)).select_related("grant__organisation", "tranche").get(pk=request.pk)


def _move(request, status):
    if status not in REQUEST_TRANSITIONS[RequestStatus(request.status)]:
        raise RequestError(_("This request is %(status)s and cannot change that way.")
                           % {"status": RequestStatus(request.status).label.lower()}, code="wrong_status")
    request.status = status


def _require_decider(actor, request):
    if not may_decide(actor, request):
        raise RequestError(_("You cannot decide this request."), code="forbidden")


def request_approve(*, actor, request, note="") -> GrantRequest:
    """Approve a submitted request. A no-cost extension is enacted at once (its agreement version is linked)."""
    note = _text(note, "note", required=False)
    with transaction.atomic():
        request = _lock_request(request)
        _require_decider(actor, request)
        _move(request, RequestStatus.APPROVED)
        fields = ["status", "decided_by", "decided_at", "decision_reason"]
        if request.kind == RequestKind.PAYMENT:
            state = next((s for s in schedule_status(request.grant) if s.tranche.pk == request.tranche_id), None)
            if state is None or state.payable < request.amount:
                raise RequestError(_("Tranche %(n)s cannot pay the amount requested now.") % {"n": request.tranche.number},
                                   code="not_payable")
        elif request.amendment_kind == AmendmentKind.EXTENSION:
            if GrantRequest.objects.filter(grant=request.grant, kind=RequestKind.PAYMENT, status__in=OPEN_STATUSES).exists():
                raise RequestError(_("Decide the grant's open payment requests first: an extension re-plans its tranches."),
                                   code="open_payment_requests")
            request.amendment = agreement_amend_extension(
                actor=actor, grant=request.grant, end_date=request.new_end_date,
                reason=_("Request %(ref)s: %(why)s") % {"ref": request.reference, "why": request.justification},
            )
            fields.append("amendment")
        request.decided_by, request.decided_at, request.decision_reason = actor, timezone.now(), note
        request.save(update_fields=fields)
        audit_record(actor=actor, verb="grant_request.approved", target=request.grant,
                     data={"request": request.pk, "number": request.number, "kind": request.kind,
                           "amendment": request.amendment.number if request.amendment_id else None, "note": note})
        _notify_grantee(request, "approved")
    return request


def request_reject(*, actor, request, reason) -> GrantRequest:
    """Reject (decline) a submitted request, with the reason the grantee reads."""
    reason = _text(reason, "reason", message=_("Give the reason."))
    with transaction.atomic():
        request = _lock_request(request)
        _require_decider(actor, request)
        _move(request, RequestStatus.REJECTED)
        request.decided_by, request.decided_at, request.decision_reason = actor, timezone.now(), reason
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        audit_record(actor=actor, verb="grant_request.rejected", target=request.grant,
                     data={"request": request.pk, "number": request.number, "reason": reason})
        _notify_grantee(request, "rejected")
    return request


def payment_request_pay(*, actor, request, value_date, bank_reference, local_amount=None, local_currency="",
                        local_rate=None) -> GrantRequest:
    """Pay an approved payment request: the payment of its tranche, for the amount requested, is recorded by
    payment_record (which checks the schedule and the ledger) in the same transaction; recording it marks the
    request paid (payment_request_settle)."""
    with transaction.atomic():
        request = _lock_request(request)
        if not has_role(actor, R.FINANCE_OFFICER):
            raise RequestError(_("Only finance officers record payments."), code="forbidden")
        _move(request, RequestStatus.PAID)  # checks that the request is approved
        payment_record(actor=actor, tranche=request.tranche, amount=request.amount, value_date=value_date,
                       bank_reference=bank_reference, local_amount=local_amount,
                       local_currency=local_currency, local_rate=local_rate)
        request.refresh_from_db(fields=["status", "payment"])
    return request


def payment_request_settle(*, actor, payment):
    """The payment of a tranche was recorded (disbursements.services.payment_record, with the grant locked): the
    tranche's approved payment request, if any, becomes paid and linked to it; audited, and the grantee is told.
    Returns the request or None."""
    request = (GrantRequest.objects.select_for_update(of=("self",)).select_related("grant__organisation", "tranche")
               .filter(kind=RequestKind.PAYMENT, tranche_id=payment.tranche_id, status=RequestStatus.APPROVED).first())
    if request is None:
        return None
    _move(request, RequestStatus.PAID)
    request.payment = payment
    request.save(update_fields=["status", "payment"])
    audit_record(actor=actor, verb="grant_request.paid", target=request.grant, amount=payment.amount, currency="EUR",
                 data={"request": request.pk, "number": request.number, "payment": payment.pk,
                       "requested": str(request.amount)})
    _notify_grantee(request, "paid")
    return request


def request_comment(*, actor, request, body) -> RequestComment:
    """Write in the request's conversation: the grantee's administrators and editors, and programme staff."""
    body = _text(body, "body", message=_("Write a message."))
    with transaction.atomic():
        request = _lock_request(request)
        grantee = may_write_for_grantee(actor, request.grant)
        if not (grantee or has_role(actor, *R.STAFF_ROLES)):
            raise RequestError(_("You can read this conversation but not write in it."), code="forbidden")
        comment = RequestComment.objects.create(request=request, author=actor, body=body)
        audit_record(actor=actor, verb="grant_request.comment", target=request.grant,
                     data={"request": request.pk, "number": request.number, "comment": comment.pk})
        if grantee:
            _notify_staff(request)
        else:
            _notify_grantee(request, "comment")
    return comment


def accepted_reports(grant):
    """The grant's accepted financial reports (approved expenditure), to rest a payment request on."""
    return ApprovedExpenditure.objects.filter(grant=grant).order_by("period_number")


def tranche_of(grant, pk):
    return Tranche.objects.filter(grant=grant, pk=pk).first()


__all__ = [
    "PENDING_STATUSES", "RequestError", "payment_request_submit", "amendment_request_submit", "request_approve",
    "request_reject", "payment_request_pay", "payment_request_settle", "request_comment",
]
