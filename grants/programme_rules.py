"""Who reads and changes a programme's financial-control rules, and the change of the budget-transfer threshold.

The threshold (`Programme.transfer_threshold_percent`, PRAG 25) is read when a report is checked and shown
(reports.budget_lines): a heading whose cumulative expenditure exceeds its budget by more than this share needs an
amendment. A change applies from then on to every report of the programme. No cached figure reads it (the envelope
position and dashboard do not), so the ledger version is left alone; the audit event moves `data_version`.

The page that shows all the programme's rules is disbursements.programme_rules (it also shows the verification
threshold, which lives in disbursements)."""
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from accounts import roles as R
from accounts.access import is_officer
from audit.services import audit_record
from core.errors import DomainError
from core.money import MoneyValueError, exact_cents, to_decimal

from .models import Programme

# Programme officers and administrators (accounts.access.is_officer) change the rules; finance officers read them.
RULE_READERS = R.STAFF_ROLES
TRANSFER_FIELD = "transfer_threshold_percent"
PERCENT_MAX = Decimal("100")


def require_rule_editor(actor):
    if not is_officer(actor):
        raise DomainError(_("Only programme officers and administrators change the programme's rules."), code="forbidden")


def _percent(value) -> Decimal:
    try:
        percent = to_decimal(value)
    except MoneyValueError:
        raise DomainError(_("Give a number, such as 25 or 12.5."), code="invalid_percent", field=TRANSFER_FIELD) from None
    if not 0 <= percent <= PERCENT_MAX:
        raise DomainError(_("Give a share from 0 to 100 %."), code="percent_out_of_range", field=TRANSFER_FIELD)
    try:
        return exact_cents(percent)
    except MoneyValueError:
        raise DomainError(_("Give at most two decimals, such as 12.25."), code="too_many_decimals",
                          field=TRANSFER_FIELD) from None


def transfer_threshold_set(*, actor, programme, percent) -> Programme:
    """Set the share of a heading's budget (0–100 %, two decimals at most) above which an overspend needs an
    amendment. Nothing is written, and no event, when the value is the same."""
    require_rule_editor(actor)
    percent = _percent(percent)
    with transaction.atomic():
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        before = programme.transfer_threshold_percent
        if before == percent:
            return programme
        programme.transfer_threshold_percent = percent
        programme.save(update_fields=[TRANSFER_FIELD])
        audit_record(actor=actor, verb="programme.transfer_threshold_set", target=programme,
                     data={"from": str(before), "to": str(percent)})
    return programme
