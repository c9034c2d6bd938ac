"""Achieved against target per standard indicator across grants, grouped by country, objective, call and period.

Each indicator's combine rule (models.Combine) says how grants' values make one figure:
- sum: adds every grant's value of every period in the group;
- maximum: the largest of them;
- latest: each grant's value of its latest period with a value (in the group), then summed across grants; grouped
  by period it is that period's values summed;
- ratio: the numerator's figure divided by the denominator's, each aggregated by its own rule, in Decimal.
Targets combine by the same rule (so a "latest" target is each grant's target for its last period with one).
Empty values are "not collected": a group with none has no figure (None), not zero.

Only values the programme officer accepted count (`counted`): a value submitted and not yet reviewed, or sent back
for correction, is in no aggregate. The dashboard, its CSV, the API and the IATI file all read values through
`counted`, so they cannot differ in what they count.

The database groups and sums: three queries whatever the number of grants (indicators, values, targets).
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Exists, Max, OuterRef, Q, Sum

from .models import Combine, IndicatorCell, IndicatorTarget, IndicatorValue, ReviewStatus, StandardIndicator

GROUP_FIELDS = {
    "country": "period__grant__country_id",
    "objective": "period__grant__objective_id",
    "call": "period__grant__call_id",
    "period": "period__number",
}
RATIO_PLACES = Decimal("0.0001")


def counted(prefix="") -> Q:
    """The values that count in aggregates: those the officer accepted. `prefix` reaches the value from another
    model ("value__" from IndicatorCell)."""
    return Q(**{prefix + "review_status": ReviewStatus.ACCEPTED})


def counted_values(programme=None):
    """The indicator values that count (`counted`), of the programme's indicators when one is given."""
    values = IndicatorValue.objects.filter(counted())
    return values if programme is None else values.filter(indicator__programme=programme)


@dataclass
class Result:
    indicator: StandardIndicator
    group: dict  # {"country": id, "period": number, …} for the group_by asked
    achieved: Decimal | None
    target: Decimal | None


def _combined(queryset, *, field, group_by, prefix="", extra=(), only=Q()):
    """{(indicator_id, *group values, *extra values): {rule: figure}} for each rule but ratio, in one query. `only`:
    the condition `queryset` holds its rows to that a later row must meet too (the values that count)."""
    keys = [prefix + "indicator_id"] + [prefix + GROUP_FIELDS[g] for g in group_by] + list(extra)
    latest = Sum(field)
    if "period" not in group_by:
        # A grant's latest value: no later period of the same grant has one for the same indicator (and cell).
        later = queryset.model.objects.filter(
            **{prefix + "indicator": OuterRef(prefix + "indicator"), prefix + "period__grant": OuterRef(prefix + "period__grant"),
               prefix + "period__number__gt": OuterRef(prefix + "period__number"), field + "__isnull": False},
            **{name: OuterRef(name) for name in extra},
        ).filter(only)
        latest = Sum(field, filter=~Exists(later))
    rows = queryset.values(*keys).annotate(sum=Sum(field), max=Max(field), latest=latest).order_by()
    return {tuple(row[k] for k in keys): {Combine.SUM: row["sum"], Combine.MAXIMUM: row["max"], Combine.LATEST: row["latest"]}
            for row in rows}


def _ratio(numerator, denominator):
    if numerator is None or not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def _figures(indicators, combined) -> dict:
    """{(indicator_id, *group): figure} with each indicator's rule applied, ratios last."""
    by_id = {i.pk: i for i in indicators}
    figures = {key: rules[by_id[key[0]].combine] for key, rules in combined.items() if key[0] in by_id}
    for ratio in (i for i in indicators if i.combine == Combine.RATIO):
        groups = {key[1:] for key in figures if key[0] in (ratio.numerator_id, ratio.denominator_id)}
        for group in groups:
            figures[(ratio.pk, *group)] = _ratio(
                figures.get((ratio.numerator_id, *group)), figures.get((ratio.denominator_id, *group))
            )
    return figures


def _sort_key(group):
    return tuple((value is None, value if value is not None else 0) for value in group)


def achieved_vs_target(programme, *, group_by=(), grants=None, indicators=None, accepted_only=True) -> list[Result]:
    """One Result per indicator and group (in indicator order, then by group), for the programme's grants or the
    `grants` queryset given (e.g. those a person may see). `group_by` takes any of GROUP_FIELDS' names. Only accepted
    values count, unless `accepted_only` is False (a grant's own page shows what it recorded, reviewed or not)."""
    group_by = tuple(group_by)
    unknown = set(group_by) - set(GROUP_FIELDS)
    if unknown:
        raise ValueError(f"Cannot group results by {sorted(unknown)}.")
    if indicators is None:
        indicators = StandardIndicator.objects.filter(programme=programme).select_related("unit")
    indicators = list(indicators)
    values = counted_values(programme) if accepted_only else IndicatorValue.objects.filter(indicator__programme=programme)
    targets = IndicatorTarget.objects.filter(indicator__programme=programme)
    if grants is not None:
        values, targets = values.filter(period__grant__in=grants), targets.filter(period__grant__in=grants)
    achieved = _figures(indicators, _combined(values, field="total", group_by=group_by,
                                                only=counted() if accepted_only else Q()))
    planned = _figures(indicators, _combined(targets, field="target", group_by=group_by))
    results = []
    for indicator in indicators:
        groups = {key[1:] for key in (*achieved, *planned) if key[0] == indicator.pk}
        for group in sorted(groups, key=_sort_key):
            key = (indicator.pk, *group)
            results.append(Result(indicator, dict(zip(group_by, group)), achieved.get(key), planned.get(key)))
    return results


def disaggregated(indicator, *, group_by=(), grants=None) -> dict[tuple, dict[str, Decimal | None]]:
    """{group: {cell key: figure}} for one indicator (not a ratio), each cell combined by the indicator's rule
    across grants and periods, in one query. Pages turn it into tables for results.suppression."""
    cells = IndicatorCell.objects.filter(counted("value__"), value__indicator=indicator)
    if grants is not None:
        cells = cells.filter(value__period__grant__in=grants)
    combined = _combined(cells, field="amount", group_by=tuple(group_by), prefix="value__", extra=("key",),
                         only=counted("value__"))
    tables: dict[tuple, dict] = {}
    for key, rules in sorted(combined.items(), key=lambda item: _sort_key(item[0][1:-1])):
        tables.setdefault(key[1:-1], {})[key[-1]] = rules[indicator.combine]
    return tables
