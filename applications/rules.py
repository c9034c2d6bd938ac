"""What an application must satisfy to be submitted, as a list of problems tied to the field they concern.

Drafts may break any of these; `application_submit` refuses while any remains, and the edit page shows each
problem beside its field.
"""
from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext as _

from core.formats import date_text, money_text
from grants.budget import cap, summarise
from grants.periods import add_months


@dataclass(frozen=True)
class Problem:
    field: str  # a field of the application form, or a row field when `section` is set
    message: str
    section: str = ""  # "", "budget_lines" or "logframe_rows"
    row: int | None = None  # index of the row among the saved rows of that section


def _dates(application, call, today):
    problems = []
    start, end = application.start_date, application.end_date
    if start is None:
        problems.append(Problem("start_date", _("Enter the start date of the action.")))
    if end is None:
        problems.append(Problem("end_date", _("Enter the end date of the action.")))
    if start is None or end is None:
        return problems
    if end <= start:
        return [Problem("end_date", _("The end date must be after the start date."))]
    if start < today:
        problems.append(Problem("start_date", _("The action cannot start in the past.")))
    after_end = end + timedelta(days=1)
    shortest, longest = call.min_duration_months, call.max_duration_months
    if after_end < add_months(start, shortest) or after_end > add_months(start, longest):
        problems.append(
            Problem(
                "end_date",
                _("The action must last between %(min)s and %(max)s months; from %(start)s to %(end)s it lasts %(days)s days.")
                % {"min": shortest, "max": longest, "start": date_text(start), "end": date_text(end), "days": (after_end - start).days},
            )
        )
    return problems


def _budget(application, call, lines):
    problems = []
    complete_lines = 0
    for index, line in enumerate(lines):
        missing = [
            name for name in ("heading", "description", "unit", "quantity", "unit_cost")
            if getattr(line, name) in (None, "")
        ]
        for name in missing:
            problems.append(Problem(name, _("Complete this budget line or remove it."), "budget_lines", index))
        complete_lines += not missing
    if not complete_lines:
        problems.append(Problem("__all__", _("Add at least one budget line."), "budget_lines"))

    budget = summarise(application, lines)
    indirect_cap = cap(budget.direct, call.indirect_cap_percent)
    if budget.indirect > indirect_cap:
        problems.append(Problem(
            "indirect_costs",
            _("Indirect costs may be at most %(pct)s%% of direct costs (%(cap)s); you entered %(amount)s.")
            % {"pct": call.indirect_cap_percent.normalize(), "cap": money_text(indirect_cap), "amount": money_text(budget.indirect)},
        ))
    contingency_cap = cap(budget.direct, call.contingency_cap_percent)
    if budget.contingency > contingency_cap:
        problems.append(Problem(
            "contingency",
            _("The contingency reserve may be at most %(pct)s%% of direct costs (%(cap)s); you entered %(amount)s.")
            % {"pct": call.contingency_cap_percent.normalize(), "cap": money_text(contingency_cap), "amount": money_text(budget.contingency)},
        ))
    cofinancing_floor = cap(budget.total, call.min_cofinancing_percent)
    if budget.cofinancing < cofinancing_floor:
        problems.append(Problem(
            "own_contribution",
            _("Co-financing must be at least %(pct)s%% of total costs (%(floor)s); own and third-party contributions add up to %(amount)s.")
            % {"pct": call.min_cofinancing_percent.normalize(), "floor": money_text(cofinancing_floor), "amount": money_text(budget.cofinancing)},
        ))
    if budget.cofinancing > budget.total:
        problems.append(Problem("own_contribution", _("Co-financing cannot exceed the total costs of the action.")))
    low, high = call.min_grant.amount, call.max_grant.amount
    if complete_lines and not (low <= budget.requested <= high):
        problems.append(Problem(
            "requested_amount",
            _("The amount requested (total costs less co-financing) must be between %(low)s and %(high)s; it is %(amount)s.")
            % {"low": money_text(low), "high": money_text(high), "amount": money_text(budget.requested)},
        ))
    return problems


def _logframe(rows):
    problems = []
    levels = set()
    for index, row in enumerate(rows):
        for name in ("level", "statement", "indicator", "baseline", "target"):
            if getattr(row, name) in (None, ""):
                problems.append(Problem(name, _("Complete this row or remove it."), "logframe_rows", index))
        levels.add(row.level)
    if "outcome" not in levels or "output" not in levels:
        problems.append(Problem("__all__", _("Give at least one outcome and one output, each with an indicator."), "logframe_rows"))
    return problems


def submission_problems(application, *, call, lines, rows, country_ids, today, needs_logframe=True) -> list[Problem]:
    """Every reason `application` cannot be submitted yet (empty when it can). A concept note needs no logframe
    (`needs_logframe=False`); its budget is indicative but must already respect the call's rules."""
    problems = []
    for name, message in (
        ("title", _("Give the action a title.")),
        ("summary", _("Summarise the action.")),
    ):
        if not getattr(application, name).strip():
            problems.append(Problem(name, message))
    if application.objective_id is None:
        problems.append(Problem("objective", _("Choose the objective the action contributes to.")))
    elif not call.objectives.filter(pk=application.objective_id).exists():
        problems.append(Problem("objective", _("This objective is not one of the call's objectives.")))
    if not country_ids:
        problems.append(Problem("countries", _("Choose at least one country where the action takes place.")))
    elif set(country_ids) - set(call.countries.values_list("pk", flat=True)):
        problems.append(Problem("countries", _("Every country must be one of the call's eligible countries.")))
    problems += _dates(application, call, today)
    people = [application.women, application.men, application.girls, application.boys]
    if not any(people):
        problems.append(Problem("women", _("Give the number of people the action will reach, by group.")))
    reached = sum(n or 0 for n in people)
    for name in ("victims_of_trafficking", "smuggled_migrants"):
        if (getattr(application, name) or 0) > reached:
            problems.append(Problem(name, _("This cannot exceed the number of women, men, girls and boys reached (%(n)s).") % {"n": reached}))
    problems += _budget(application, call, lines)
    if needs_logframe or rows:
        problems += _logframe(rows)
    return problems


