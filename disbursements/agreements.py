"""Grant agreements: adjusting the draft, signature, status changes and amendments.

Each service locks the grant row first (then grants.ledger locks the envelope: lock order grant, envelope), checks
its rule, writes, and records an audit event in the same transaction. A refused operation raises DomainError
(with the form field it concerns) and writes nothing.

The agreement keeps three things equal: `grant.amount`, the ledger's commitment to the grant, and the budget's
total costs less co-financing. Signature checks them; the amount amendment moves the ledger and the own
contribution together so they stay equal. Every signed version (signature, then each amendment) is stored as a
snapshot, so each version's PDF can be rendered again.
"""
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from moneyed import CURRENCIES

from accounts.selectors import members_of
from audit.services import audit_record
from core.errors import DomainError
from core.formats import date_text, money_text
from core.money import EUR, ZERO, MoneyValueError, exact_cents
from grants import ledger
from grants.budget import cap, summarise
from grants.models import (
    AGREEMENT_TRANSITIONS,
    REASON_REQUIRED_STATUSES,
    AgreementBudgetLine,
    AgreementStatus,
    AgreementVersion,
    AgreementVersionKind,
    BudgetHeading,
    Grant,
)
from grants.periods import months_between
from grants.risk.rules import check_psea_for_signature
from notifications.services import notify

from .models import Tranche
from .schedule import CLOSED, PAID, grant_plan, schedule_status, tranches_write

LINE_FIELDS = ("heading", "description", "unit", "quantity", "unit_cost")
MONEY_FIELDS = ("indirect_costs", "contingency", "own_contribution", "third_party_contribution")
UPDATE_FIELDS = (
    "start_date", "end_date", "country", "objective", *MONEY_FIELDS, "special_conditions", "reporting_currency",
    "grantee_signatory", "works_with_children",
)
# Amendments change a signed agreement that is still running.
AMENDABLE_STATUSES = {AgreementStatus.SIGNED, AgreementStatus.IN_IMPLEMENTATION, AgreementStatus.SUSPENDED}



def _pct(percent):
    return f"{percent.normalize():f}"


def _lock(grant) -> Grant:
    return Grant.objects.select_for_update(of=("self",)).select_related("call__programme", "organisation").get(pk=grant.pk)


def _money(value, field, *, positive=False):
    try:
        amount = exact_cents(value if value not in (None, "") else ZERO)
    except MoneyValueError as exc:
        raise DomainError(_("Enter an amount in euros with at most two decimals."), code="invalid_amount", field=field) from exc
    if amount < 0 or (positive and amount == 0):
        message = _("The amount must be greater than zero.") if positive else _("The amount cannot be negative.")
        raise DomainError(message, code="invalid_amount", field=field)
    return amount


def _reason(reason) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason."), code="reason_required", field="reason")
    return reason


def _lines(lines) -> list[AgreementBudgetLine]:
    """Unsaved budget lines from dicts; an agreement's lines must be complete (unlike an application draft's)."""
    result = []
    for number, line in enumerate(lines, start=1):
        values = {name: line.get(name) for name in LINE_FIELDS}
        values["description"] = (values["description"] or "").strip()
        values["unit"] = (values["unit"] or "").strip()
        if values["heading"] not in BudgetHeading.values or not values["description"] or values["quantity"] is None or values["unit_cost"] is None:
            raise DomainError(
                _("Budget line %(n)s needs a heading, a description, a quantity and a unit cost.") % {"n": number},
                code="incomplete_line", field="lines",
            )
        try:
            values["unit_cost"] = exact_cents(values["unit_cost"])
            values["quantity"] = exact_cents(values["quantity"])
        except MoneyValueError as exc:
            raise DomainError(_("Budget line %(n)s: use at most two decimals.") % {"n": number}, code="invalid_line", field="lines") from exc
        if values["quantity"] <= 0 or values["unit_cost"] < 0:
            raise DomainError(
                _("Budget line %(n)s: the quantity must be more than zero and the unit cost not negative.") % {"n": number},
                code="invalid_line", field="lines",
            )
        result.append(AgreementBudgetLine(position=number - 1, **values))
    if not result:
        raise DomainError(_("The budget needs at least one line."), code="no_lines", field="lines")
    return result


def _check_caps(grant, lines):
    """Indirect costs and contingency within the call's caps (percent of direct costs); returns the summary."""
    summary = summarise(grant, lines)
    call = grant.call
    indirect_cap = cap(summary.direct, call.indirect_cap_percent)
    if summary.indirect > indirect_cap:
        raise DomainError(
            _("Indirect costs of %(amount)s exceed %(pct)s%% of the direct costs (at most %(cap)s).")
            % {"amount": money_text(summary.indirect), "pct": _pct(call.indirect_cap_percent), "cap": money_text(indirect_cap)},
            code="indirect_cap", field="indirect_costs",
        )
    contingency_cap = cap(summary.direct, call.contingency_cap_percent)
    if summary.contingency > contingency_cap:
        raise DomainError(
            _("A contingency reserve of %(amount)s exceeds %(pct)s%% of the direct costs (at most %(cap)s).")
            % {"amount": money_text(summary.contingency), "pct": _pct(call.contingency_cap_percent), "cap": money_text(contingency_cap)},
            code="contingency_cap", field="contingency",
        )
    return summary


def _check_dates(grant):
    if not (grant.start_date and grant.end_date):
        return
    if grant.end_date <= grant.start_date:
        raise DomainError(_("The end date must be after the start date."), code="dates_order", field="end_date")
    call = grant.call
    months = months_between(grant.start_date, grant.end_date)
    if not call.min_duration_months <= months <= call.max_duration_months:
        raise DomainError(
            _("The agreement would last %(months)s months; the call allows %(min)s to %(max)s.")
            % {"months": months, "min": call.min_duration_months, "max": call.max_duration_months},
            code="duration", field="end_date",
        )


def _check_choices(grant):
    call = grant.call
    if grant.country_id and call.countries.exists() and not call.countries.filter(pk=grant.country_id).exists():
        raise DomainError(_("This country is not eligible under the call."), code="country", field="country")
    if grant.objective_id and grant.objective.programme_id != call.programme_id:
        raise DomainError(_("This objective belongs to another programme."), code="objective", field="objective")
    code = (grant.reporting_currency or "").strip().upper()
    if code != EUR and code not in CURRENCIES:
        raise DomainError(
            _("%(code)s is not an ISO 4217 currency code.") % {"code": code or "—"}, code="currency", field="reporting_currency"
        )
    grant.reporting_currency = code


def _replace_lines(grant, lines):
    grant.budget_lines.all().delete()
    for line in lines:
        line.grant = grant
    AgreementBudgetLine.objects.bulk_create(lines)


def _store_version(*, actor, grant, kind, reason="") -> AgreementVersion:
    """Store the agreement as it now stands as version `grant.version` (already set and saved by the caller)."""
    return AgreementVersion.objects.create(
        grant=grant, number=grant.version, kind=kind, reason=reason, snapshot=agreement_snapshot(grant), created_by=actor,
    )


def agreement_update(*, actor, grant, data: dict, lines: list[dict]) -> Grant:
    """Adjust a draft agreement before signature: its fields (UPDATE_FIELDS, those present in `data`) and its
    budget lines (`lines` replaces them all). The amount is not changed here (see agreement_amend_amount)."""
    data = dict(data)
    with transaction.atomic():
        grant = _lock(grant)
        if grant.status != AgreementStatus.DRAFT:
            raise DomainError(_("Only a draft agreement can be edited; a signed one changes by amendment."), code="not_draft")
        was_signable = _signable(grant)
        for name in MONEY_FIELDS:
            if name in data:
                data[name] = _money(data[name], name)
        before = {name: getattr(grant, name) for name in UPDATE_FIELDS}
        for name in UPDATE_FIELDS:
            if name in data:
                value = data[name]
                setattr(grant, name, value.strip() if isinstance(value, str) else value)
        new_lines = _lines(lines)
        _check_dates(grant)
        _check_choices(grant)
        _check_caps(grant, new_lines)
        grant.save(update_fields=list(UPDATE_FIELDS))
        ledger.figures_changed(programme_id=grant.call.programme_id)  # country, objective and title are on the dashboard
        _replace_lines(grant, new_lines)
        changed = sorted(name for name in UPDATE_FIELDS if getattr(grant, name) != before[name])
        audit_record(actor=actor, verb="agreement.update", target=grant, data={"fields": changed, "budget_lines": len(new_lines)})
        # The grantee hears once the draft has everything signature needs (dates, commitment, a balanced budget).
        if not was_signable and _signable(grant):
            _notify_grantee(grant, "agreement_ready_to_sign")
    return grant


def agreement_sign(*, actor, grant, signed_on, grantee_signatory) -> Grant:
    """Record the signature of a draft agreement: version 1, its snapshot and its payment schedule.

    Refused unless the dates are set (and within the call's rules), the budget balances (total costs = amount +
    co-financing), the amount is positive and equal to the ledger's commitment, the signature date is not in the
    future and the grantee's signatory is named."""
    grantee_signatory = (grantee_signatory or "").strip()
    if signed_on is None:
        raise DomainError(_("Give the date of signature."), code="date_required", field="signed_on")
    if signed_on > timezone.localdate():
        raise DomainError(_("The date of signature cannot be in the future."), code="future_date", field="signed_on")
    if not grantee_signatory:
        raise DomainError(_("Name who signed for the grantee."), code="signatory_required", field="grantee_signatory")
    with transaction.atomic():
        grant = _lock(grant)
        if grant.status != AgreementStatus.DRAFT:
            raise DomainError(_("This agreement is already signed."), code="not_draft")
        _check_signable(grant)
        check_psea_for_signature(grant)
        grant.status = AgreementStatus.SIGNED
        grant.status_changed_at = timezone.now()
        grant.signed_on = signed_on
        grant.signed_by = actor
        grant.grantee_signatory = grantee_signatory
        grant.version = 1
        grant.save(update_fields=["status", "status_changed_at", "signed_on", "signed_by", "grantee_signatory", "version"])
        ledger.figures_changed(programme_id=grant.call.programme_id)
        tranches_write(grant)
        _store_version(actor=actor, grant=grant, kind=AgreementVersionKind.SIGNATURE)
        audit_record(
            actor=actor, verb="agreement.sign", target=grant, amount=grant.amount, currency=EUR,
            data={"signed_on": signed_on.isoformat(), "grantee_signatory": grantee_signatory},
        )
        _notify_grantee(grant, "agreement_signed")
    return grant


def _check_signable(grant):
    """What signature needs of the draft itself: its dates (within the call's rules), a positive amount equal to the
    ledger's commitment, and a budget that balances."""
    if not (grant.start_date and grant.end_date):
        raise DomainError(_("Set the start and end dates before signature."), code="dates_required", field="start_date")
    _check_dates(grant)
    if grant.amount <= 0:
        raise DomainError(_("The grant amount must be greater than zero."), code="invalid_amount", field="amount")
    committed = ledger.balances(grant=grant).committed
    if committed != grant.amount:
        raise DomainError(
            _("The agreement's amount %(amount)s differs from the %(committed)s committed in the ledger.")
            % {"amount": money_text(grant.amount), "committed": money_text(committed)},
            code="commitment_mismatch", field="amount",
        )
    summary = _check_caps(grant, list(grant.budget_lines.all()))
    if summary.total != grant.amount + summary.cofinancing:
        raise DomainError(
            _("The budget does not balance: total costs are %(total)s, but the grant plus co-financing is %(expected)s.")
            % {"total": money_text(summary.total), "expected": money_text(grant.amount + summary.cofinancing)},
            code="budget_unbalanced", field="lines",
        )


def _signable(grant) -> bool:
    try:
        _check_signable(grant)
    except DomainError:
        return False
    return True


def _notify_grantee(grant, kind):
    """Tell the grantee organisation's members, linking to the grant in their portal."""
    notify([m.user for m in members_of(grant.organisation)], kind, url=reverse("my_grant", args=[grant.reference]),
           params={"grant": grant.reference})


def _tranche_rows(grant):
    """The schedule as (number, kind, amount, after_period, expected_on): stored tranches, or the plan of a draft."""
    stored = list(Tranche.objects.filter(grant=grant).order_by("number"))
    if stored:
        return [(t.number, t.kind, t.planned_amount, t.after_period, t.expected_on) for t in stored]
    return [(t.number, t.kind, t.amount, t.after_period, t.expected_on) for t in grant_plan(grant)]


def agreement_snapshot(grant) -> dict:
    """The agreement as it stands, JSON-safe (amounts and dates as strings): what a version stores and its PDF shows."""
    programme = grant.call.programme
    lines = list(grant.budget_lines.all())
    summary = summarise(grant, lines)
    return {
        "reference": grant.reference,
        "title": grant.title,
        "version": grant.version,
        "status": grant.status,
        "call": {"reference": grant.call.reference, "title": grant.call.title},
        "parties": {
            "grantee": {"legal_name": grant.organisation.legal_name, "acronym": grant.organisation.acronym,
                        "country": grant.organisation.country.name},
            "agency": programme.agency,
            "donor": programme.donor,
            "programme": programme.name,
        },
        "amount": str(grant.amount),
        "start_date": grant.start_date.isoformat() if grant.start_date else None,
        "end_date": grant.end_date.isoformat() if grant.end_date else None,
        "duration_months": grant.duration_months,
        "country": grant.country.name if grant.country_id else "",
        "objective": str(grant.objective) if grant.objective_id else "",
        "reporting_currency": grant.reporting_currency,
        "grantee_signatory": grant.grantee_signatory,
        "signed_on": grant.signed_on.isoformat() if grant.signed_on else None,
        "special_conditions": grant.special_conditions,
        "budget": {
            "lines": [
                {"heading": line.heading, "description": line.description, "unit": line.unit,
                 "quantity": str(line.quantity), "unit_cost": str(line.unit_cost), "total": str(line.total)}
                for line in lines
            ],
            "by_heading": [[str(label), str(amount)] for label, amount in summary.by_heading],
            "direct": str(summary.direct),
            "indirect": str(summary.indirect),
            "contingency": str(summary.contingency),
            "total": str(summary.total),
            "own_contribution": str(summary.own_contribution),
            "third_party_contribution": str(summary.third_party_contribution),
            "cofinancing": str(summary.cofinancing),
        },
        "schedule": [
            {"number": number, "kind": kind, "amount": str(amount), "after_period": after,
             "expected_on": expected.isoformat() if expected else None}
            for number, kind, amount, after, expected in _tranche_rows(grant)
        ],
    }


def _release_unpaid(*, actor, grant, memo):
    current = ledger.balances(grant=grant)
    unpaid = current.committed - current.disbursed
    if unpaid > 0:
        ledger.commitment_release(actor=actor, grant=grant, amount=unpaid, memo=memo)
    return unpaid


def agreement_set_status(*, actor, grant, status, reason="") -> Grant:
    """Move the agreement along AGREEMENT_TRANSITIONS (signature has its own service). Suspending and terminating
    need a reason. Closing needs every tranche paid or closed. Closing or terminating releases the commitment
    not yet paid back to the call, so the envelope shows the money as free again."""
    reason = (reason or "").strip()
    if status not in AgreementStatus.values:
        raise DomainError(_("Unknown status."), code="invalid_status", field="status")
    status = AgreementStatus(status)
    if status in REASON_REQUIRED_STATUSES:
        reason = _reason(reason)
    with transaction.atomic():
        grant = _lock(grant)
        current = AgreementStatus(grant.status)
        if status == AgreementStatus.SIGNED and current == AgreementStatus.DRAFT:
            raise DomainError(_("Record the signature to sign the agreement."), code="use_signature", field="status")
        if status not in AGREEMENT_TRANSITIONS[current]:
            raise DomainError(
                _("An agreement that is %(current)s cannot become %(new)s.")
                % {"current": current.label.lower(), "new": status.label.lower()},
                code="invalid_transition", field="status",
            )
        if status == AgreementStatus.CLOSED:
            still_open = [s for s in schedule_status(grant) if s.status not in (PAID, CLOSED)]
            if still_open:
                raise DomainError(
                    _("The agreement cannot be closed while tranches are open: %(tranches)s.")
                    % {"tranches": ", ".join(
                        _("tranche %(n)s (%(status)s)") % {"n": s.tranche.number, "status": s.status} for s in still_open)},
                    code="tranches_open", field="status",
                )
        released = ZERO
        if status in (AgreementStatus.CLOSED, AgreementStatus.TERMINATED):
            released = _release_unpaid(actor=actor, grant=grant, memo=f"{grant.reference} {status.value}")
        grant.status = status
        grant.status_reason = reason
        grant.status_changed_at = timezone.now()
        grant.save(update_fields=["status", "status_reason", "status_changed_at"])
        ledger.figures_changed(programme_id=grant.call.programme_id)
        audit_record(
            actor=actor, verb=f"agreement.{status.value}", target=grant, amount=-released if released else None,
            currency=EUR if released else "", data={"from": current.value, "reason": reason, "released": str(released)},
        )
    return grant


def _amendable(grant):
    if grant.status not in AMENDABLE_STATUSES:
        raise DomainError(
            _("Only a signed agreement that is running can be amended (this one is %(status)s).")
            % {"status": AgreementStatus(grant.status).label.lower()},
            code="not_amendable",
        )


def agreement_amend_budget(*, actor, grant, lines, indirect_costs, contingency, reason) -> AgreementVersion:
    """Budget reallocation: money moves between lines (and indirect costs and contingency) but the total costs
    stay as they were, and the caps still hold."""
    reason = _reason(reason)
    indirect_costs = _money(indirect_costs, "indirect_costs")
    contingency = _money(contingency, "contingency")
    with transaction.atomic():
        grant = _lock(grant)
        _amendable(grant)
        old_total = summarise(grant, list(grant.budget_lines.all())).total
        new_lines = _lines(lines)
        grant.indirect_costs, grant.contingency = indirect_costs, contingency
        summary = _check_caps(grant, new_lines)
        if summary.total != old_total:
            raise DomainError(
                _("A reallocation keeps the total costs at %(old)s; the new budget totals %(new)s.")
                % {"old": money_text(old_total), "new": money_text(summary.total)},
                code="total_changed", field="lines",
            )
        grant.version += 1
        grant.save(update_fields=["indirect_costs", "contingency", "version"])
        _replace_lines(grant, new_lines)
        version = _store_version(actor=actor, grant=grant, kind=AgreementVersionKind.BUDGET, reason=reason)
        audit_record(actor=actor, verb="agreement.amend_budget", target=grant, data={"version": version.number, "reason": reason})
    return version


def agreement_amend_extension(*, actor, grant, end_date, reason) -> AgreementVersion:
    """No-cost extension: a later end date, at most the programme's end date. The amount stays; the tranches are
    re-planned because the reporting periods move."""
    reason = _reason(reason)
    if end_date is None:
        raise DomainError(_("Give the new end date."), code="date_required", field="end_date")
    with transaction.atomic():
        grant = _lock(grant)
        _amendable(grant)
        if end_date <= grant.end_date:
            raise DomainError(
                _("An extension needs an end date after the current one (%(d)s).") % {"d": date_text(grant.end_date)},
                code="not_later", field="end_date",
            )
        programme = grant.call.programme
        if end_date > programme.end_date:
            raise DomainError(
                _("The programme ends on %(d)s: the grant cannot run longer.") % {"d": date_text(programme.end_date)},
                code="after_programme", field="end_date",
            )
        old_end = grant.end_date
        grant.end_date = end_date
        grant.version += 1
        grant.save(update_fields=["end_date", "version"])
        tranches_write(grant)
        version = _store_version(actor=actor, grant=grant, kind=AgreementVersionKind.EXTENSION, reason=reason)
        audit_record(
            actor=actor, verb="agreement.amend_extension", target=grant,
            data={"version": version.number, "reason": reason, "from": old_end.isoformat(), "to": end_date.isoformat()},
        )
    return version


def agreement_amend_amount(*, actor, grant, amount, reason) -> AgreementVersion | None:
    """Change the grant amount, moving the ledger commitment by the difference in the same transaction (an
    increase needs room in the call's allocation; a decrease never goes below what is already paid).

    The budget's total costs stay as they are: the grantee's own contribution absorbs the difference, so total
    costs = amount + co-financing still holds; refused if that would make the own contribution negative. A signed
    agreement gets a new version and a re-planned schedule; a draft changes in place (no version)."""
    reason = _reason(reason)
    amount = _money(amount, "amount", positive=True)
    with transaction.atomic():
        grant = _lock(grant)
        if grant.status != AgreementStatus.DRAFT:
            _amendable(grant)
        diff = amount - grant.amount
        if diff == 0:
            raise DomainError(_("The new amount is the same as the current one."), code="unchanged", field="amount")
        own = grant.own_contribution - diff
        if own < 0:
            raise DomainError(
                _("The own contribution (%(own)s) cannot absorb an increase of %(diff)s: reallocate the budget first.")
                % {"own": money_text(grant.own_contribution), "diff": money_text(diff)},
                code="own_contribution_negative", field="amount",
            )
        disbursed = ledger.balances(grant=grant).disbursed
        if amount < disbursed:
            raise DomainError(
                _("The amount cannot go below the %(paid)s already paid.") % {"paid": money_text(disbursed)},
                code="below_disbursed", field="amount",
            )
        memo = f"{grant.reference} amount {grant.amount} -> {amount}"
        try:
            if diff > 0:
                ledger.commitment_add(actor=actor, grant=grant, amount=diff, memo=memo)
            else:
                ledger.commitment_release(actor=actor, grant=grant, amount=-diff, memo=memo)
        except ledger.LedgerError as exc:
            raise DomainError(exc.message, code=exc.code, field="amount") from exc
        old_amount = grant.amount
        grant.amount, grant.own_contribution = amount, own
        signed = grant.status != AgreementStatus.DRAFT
        grant.version += 1 if signed else 0
        grant.save(update_fields=["amount", "own_contribution", "version"])
        version = None
        if signed:
            try:
                tranches_write(grant)
            except DomainError as exc:
                raise DomainError(exc.message, code=exc.code, field="amount") from exc
            version = _store_version(actor=actor, grant=grant, kind=AgreementVersionKind.AMOUNT, reason=reason)
        audit_record(
            actor=actor, verb="agreement.amend_amount", target=grant, amount=diff, amount_before=old_amount,
            amount_after=amount, currency=EUR, data={"version": version.number if version else None, "reason": reason},
        )
    return version

