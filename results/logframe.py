"""An application's logframe and the programme's standard indicators: which ones the applicant commits to, with a
target per reporting period of the action, and, at the award, those targets as the grant's `IndicatorTarget`s.

The applicant's own indicators stay on the application's logframe rows (`applications`); this app comes after
`applications`, so the picks live here (`PlannedIndicator`) and reach the application's pages through the template
tag `logframe_indicators`. Periods are the programme's reporting periods of the action's dates
(`grants.periods.reporting_periods`), numbered as the grant's will be: the grant takes the application's dates at
the award, so period n of the application is period n of the grant.

The award is decided in `applications.awards.award_decide`, which may not import this app: `copy_on_award` (an award
hook, `applications.award_hooks`, registered in `ResultsConfig.ready` and called by `award_decide` inside the award's
transaction) hands the decision to the service `logframe_targets_copy`, which holds the rule.
"""
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can_on
from applications.models import Application, AwardOutcome
from audit.services import audit_record
from core.errors import DomainError
from core.money import MoneyValueError, exact_cents
from grants.models import Grant
from grants.periods import grant_periods, reporting_periods

from .models import Combine, PlannedIndicator, StandardIndicator
from .services import targets_set

# A target is at most this (IndicatorTarget holds 14 digits, two of them decimals).
TARGET_MAX = Decimal("999999999999.99")


def application_periods(application) -> list:
    """The reporting periods of the action as the application's dates stand (empty until both are set and ordered),
    under its programme's rules: those of the grant it would become."""
    start, end = application.start_date, application.end_date
    if not (start and end) or end < start:
        return []
    programme = application.call.programme
    return reporting_periods(
        start, end, period_months=programme.reporting_period_months,
        interim_days=programme.interim_report_days, final_months=programme.final_report_months,
    )


def programme_indicators(programme):
    """The standard indicators an application may pick: the programme's, but ratios (computed from their parts)."""
    return (StandardIndicator.objects.filter(programme=programme).exclude(combine=Combine.RATIO)
            .select_related("unit").order_by("position", "code"))


@dataclass
class Planned:
    """A picked indicator for a page: its targets as {period number: Decimal}."""

    indicator: StandardIndicator
    targets: dict


def planned_for(application) -> list[Planned]:
    """The application's picked indicators in the programme's order, with their targets; one query."""
    rows = (PlannedIndicator.objects.filter(application=application).select_related("indicator__unit")
            .order_by("indicator__position", "indicator__code"))
    return [Planned(row.indicator, {int(n): Decimal(v) for n, v in row.targets.items()}) for row in rows]


def check_target(indicator, value) -> Decimal | None:
    """A target as typed, or None for none; refused (DomainError on the field) below 0, above the maximum, finer than
    a cent, or not whole for an indicator that counts people."""
    if value is None:
        return None
    try:
        number = exact_cents(value)
    except MoneyValueError:
        number = None
    if number is None:
        raise DomainError(_("Enter a number with at most two decimals."), code="invalid_target", field="target")
    if number < 0:
        raise DomainError(_("A target cannot be negative: enter 0 or more."), code="negative_target", field="target")
    if number > TARGET_MAX:
        raise DomainError(_("This target is too large."), code="invalid_target", field="target")
    if indicator.counts_people and number != number.to_integral_value():
        raise DomainError(_("This indicator counts people: enter a whole number."), code="whole_target", field="target")
    return number


def planned_indicators_set(*, actor, application, picks) -> list[PlannedIndicator]:
    """Set the standard indicators the application's logframe commits to: `picks` maps each picked indicator to its
    targets {period number: number or None}; an indicator left out is no longer picked. Only while the application
    can be edited, by a member who may edit its organisation's applications."""
    with transaction.atomic():
        application = (Application.objects.select_for_update().select_related("call__programme", "organisation")
                       .get(pk=application.pk))
        if not can_on(actor, "edit_applications", application.organisation):
            raise DomainError(_("Only the organisation's administrators and editors can change its application."),
                              code="forbidden")
        if not application.is_editable:
            raise DomainError(_("This application can no longer be changed."), code="not_editable")
        allowed = {i.pk: i for i in programme_indicators(application.call.programme)}
        numbers = {p.number for p in application_periods(application)}
        checked = {}
        for chosen, targets in picks.items():
            indicator = allowed.get(chosen.pk)
            if indicator is None:
                raise DomainError(_("%(indicator)s is not a standard indicator this application can choose.")
                                  % {"indicator": chosen.code}, code="invalid_indicator")
            row = {}
            for number, value in (targets or {}).items():
                if number not in numbers:
                    raise DomainError(_("The action has no reporting period %(number)s.") % {"number": number},
                                      code="invalid_period")
                target = check_target(indicator, value)
                if target is not None:
                    row[str(number)] = str(target)
            checked[indicator.pk] = dict(sorted(row.items(), key=lambda item: int(item[0])))
        existing = {p.indicator_id: p for p in PlannedIndicator.objects.filter(application=application)}
        before = {allowed[k].code if k in allowed else str(k): p.targets for k, p in existing.items()}
        PlannedIndicator.objects.filter(application=application).exclude(indicator_id__in=checked).delete()
        saved = []
        for indicator_id, targets in checked.items():
            planned = existing.get(indicator_id)
            if planned is None:
                planned = PlannedIndicator.objects.create(application=application, indicator_id=indicator_id, targets=targets)
            elif planned.targets != targets:
                planned.targets = targets
                planned.save(update_fields=["targets"])
            saved.append(planned)
        after = {allowed[k].code: t for k, t in checked.items()}
        if after != before:
            # The draft changed: the review page's fingerprint (its last save) tells a stale page.
            application.updated_at = timezone.now()
            application.save(update_fields=["updated_at"])
            audit_record(actor=actor, verb="application.logframe_indicators", target=application,
                         data={"before": before, "after": after})
    return saved


def logframe_targets_copy(*, actor, application, grant) -> dict:
    """The awarded application's planned targets as the grant's targets (`services.targets_set`, audited per period),
    period n of the application becoming period n of the grant. Targets of periods the grant does not have (its dates
    were changed) are left out and named in the audit. Returns {period number: {indicator code: target}} copied."""
    with transaction.atomic():
        planned = list(PlannedIndicator.objects.filter(application=application)
                       .select_related("indicator").order_by("indicator__position", "indicator__code"))
        if not planned:
            return {}
        grant = Grant.objects.select_related("call__programme").get(pk=grant.pk)
        periods = {p.number: p for p in grant_periods(grant)}
        by_period, dropped = {}, []
        for row in planned:
            if row.indicator.programme_id != grant.call.programme_id or row.indicator.combine == Combine.RATIO:
                dropped.append(row.indicator.code)
                continue
            for number, target in row.targets.items():
                if int(number) in periods:
                    by_period.setdefault(int(number), {})[row.indicator] = Decimal(target)
                else:
                    dropped.append(f"{row.indicator.code}@{number}")
        for number, targets in sorted(by_period.items()):
            period = periods[number]
            targets_set(actor=actor, grant=grant, period_number=number, period_start=period.start,
                        period_end=period.end, targets=targets)
        copied = {n: {i.code: str(t) for i, t in targets.items()} for n, targets in sorted(by_period.items())}
        audit_record(actor=actor, verb="grant.logframe_targets", target=grant,
                     data={"application": application.reference, "copied": copied, "dropped": dropped})
    return copied


def copy_on_award(*, actor, application, decision, grant):
    """Award hook (`applications.award_hooks`, called by `award_decide` in the award's transaction): an award with its
    grant hands over the application's planned targets to `logframe_targets_copy`. Other outcomes do nothing."""
    if decision.outcome != AwardOutcome.AWARD or grant is None:
        return
    logframe_targets_copy(actor=actor, application=application, grant=grant)


def planned_table(application, planned=None, periods=None) -> dict:
    """What the read-only section shows: the period columns (the action's periods, and any other a target was given
    for before the dates changed) and, per picked indicator, its target in each ([(indicator, [(number, target or None)])])."""
    planned = planned_for(application) if planned is None else planned
    periods = application_periods(application) if periods is None else periods
    dates = {p.number: p for p in periods}
    numbers = sorted(set(dates) | {n for p in planned for n in p.targets})
    return {
        "columns": [(n, dates.get(n)) for n in numbers],
        "rows": [(p.indicator, [(n, p.targets.get(n)) for n in numbers]) for p in planned],
    }
