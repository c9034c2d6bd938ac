"""Services for programmes and calls. Money moves only through grants.ledger."""
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.errors import DomainError
from core.money import EUR, exact_cents, MoneyValueError

from .models import CALL_TRANSITIONS, Call, CallStatus, Envelope, Programme


def programme_create(*, actor, code, name, short_name, donor, agency, start_date, end_date, envelope_amount, description=""):
    """A programme and its envelope, created together: a programme without an envelope cannot fund anything."""
    try:
        amount = exact_cents(envelope_amount)
    except MoneyValueError as exc:
        raise DomainError(str(exc), code="invalid_amount", field="envelope_amount") from exc
    if amount <= 0:
        raise DomainError(_("The envelope must be greater than zero."), code="invalid_amount", field="envelope_amount")
    if end_date <= start_date:
        raise DomainError(_("The end date must be after the start date."), code="invalid_dates", field="end_date")
    with transaction.atomic():
        programme = Programme.objects.create(
            code=code, name=name, short_name=short_name, donor=donor, agency=agency,
            start_date=start_date, end_date=end_date, description=description,
        )
        envelope = Envelope.objects.create(programme=programme, amount=(amount, EUR))
        audit_record(actor=actor, verb="programme.create", target=programme, amount=amount, amount_before=0, amount_after=amount, currency=EUR)
    programme.envelope = envelope
    return programme


def call_set_status(*, actor, call: Call, status) -> Call:
    """Move a call along draft -> published -> closed, as CALL_TRANSITIONS allows."""
    status = CallStatus(status)
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        current = CallStatus(call.status)
        if status not in CALL_TRANSITIONS[current]:
            raise DomainError(
                _("A %(current)s call cannot become %(new)s.") % {"current": current.label, "new": status.label},
                code="invalid_transition",
            )
        call.status = status
        call.save(update_fields=["status"])
        audit_record(actor=actor, verb=f"call.{status.value}", target=call, data={"from": current.value, "to": status.value})
    return call


CALL_RULE_FIELDS = (
    "eligibility", "min_duration_months", "max_duration_months",
    "indirect_cap_percent", "contingency_cap_percent", "min_cofinancing_percent",
)


def call_create(*, actor, programme, reference, title, opens_at, closes_at, min_grant, max_grant, objectives=(), countries=(), description="", **rules) -> Call:
    """A draft call. It is funded by allocating to it through grants.ledger, and opened with call_set_status.

    `rules` may set any of CALL_RULE_FIELDS; the others keep the model's PRAG defaults.
    """
    unknown = set(rules) - set(CALL_RULE_FIELDS)
    if unknown:
        raise TypeError(f"call_create() got unexpected rules: {sorted(unknown)}")
    try:
        low, high = exact_cents(min_grant), exact_cents(max_grant)
    except MoneyValueError as exc:
        raise DomainError(str(exc), code="invalid_amount", field="min_grant") from exc
    if low <= 0:
        raise DomainError(_("The minimum grant must be greater than zero."), code="invalid_amount", field="min_grant")
    if high < low:
        raise DomainError(_("The maximum grant cannot be below the minimum grant."), code="invalid_amount", field="max_grant")
    if closes_at <= opens_at:
        raise DomainError(_("The deadline must be after the opening time."), code="invalid_dates", field="closes_at")
    with transaction.atomic():
        if Call.objects.filter(programme=programme, reference=reference).exists():
            raise DomainError(_("This programme already has a call %(ref)s.") % {"ref": reference}, code="duplicate_reference", field="reference")
        call = Call.objects.create(
            programme=programme, reference=reference, title=title, description=description,
            opens_at=opens_at, closes_at=closes_at, min_grant=(low, EUR), max_grant=(high, EUR), **rules,
        )
        call.objectives.set(objectives)
        call.countries.set(countries)
        audit_record(actor=actor, verb="call.create", target=call)
    return call
