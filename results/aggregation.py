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

The database groups and sums: three queries whatever the number of grants (indicators, values, targets); the
dashboard's by-period and overall figures together in two (`achieved_by_period`). Only the rules an indicator
needs are worked out: a "latest" over periods looks for a later value row by row, so it reads only the rows of
the indicators combined so.
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import DecimalField, Exists, IntegerField, Max, OuterRef, Q, Sum, Value

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


def _later(queryset, *, field, prefix, extra, only):
    """The rows of a later period of the same grant with a value for the same indicator (and cell): a row without
    one holds its grant's latest value."""
    return queryset.model.objects.filter(
        **{prefix + "indicator": OuterRef(prefix + "indicator"), prefix + "period__grant": OuterRef(prefix + "period__grant"),
           prefix + "period__number__gt": OuterRef(prefix + "period__number"), field + "__isnull": False},
        **{name: OuterRef(name) for name in extra},
    ).filter(only)


def _combined(queryset, *, field, group_by, prefix="", extra=(), only=Q(), rules=None):
    """{(indicator_id, *group values, *extra values): {rule: figure}} for each rule but ratio, in one query. `only`:
    the condition `queryset` holds its rows to that a later row must meet too (the values that count). `rules`: the
    only rules to work out (a "latest" across periods costs a look for a later value per row)."""
    keys = [prefix + "indicator_id"] + [prefix + GROUP_FIELDS[g] for g in group_by] + list(extra)
    rules = set(Combine.values) - {Combine.RATIO} if rules is None else set(rules)
    figures = {}
    if Combine.SUM in rules or ("period" in group_by and Combine.LATEST in rules):
        figures["sum"] = Sum(field)
    if Combine.MAXIMUM in rules:
        figures["max"] = Max(field)
    if "period" not in group_by and Combine.LATEST in rules:
        figures["latest"] = Sum(field, filter=~Exists(_later(queryset, field=field, prefix=prefix, extra=extra, only=only)))
    rows = queryset.values(*keys).annotate(**figures).order_by()
    return {
        tuple(row[k] for k in keys): {
            Combine.SUM: row.get("sum"), Combine.MAXIMUM: row.get("max"),
            Combine.LATEST: row["latest"] if "latest" in row else row.get("sum"),  # by period: the period's values
        }
        for row in rows
    }


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
    return _results(indicators, achieved, planned, group_by)


def _results(indicators, achieved, planned, group_by) -> list[Result]:
    results = []
    for indicator in indicators:
        groups = {key[1:] for key in (*achieved, *planned) if key[0] == indicator.pk}
        for group in sorted(groups, key=_sort_key):
            key = (indicator.pk, *group)
            results.append(Result(indicator, dict(zip(group_by, group)), achieved.get(key), planned.get(key)))
    return results


def _total(numbers, combine):
    numbers = [n for n in numbers if n is not None]
    return (max if combine == Combine.MAXIMUM else sum)(numbers) if numbers else None


def _by_period_and_overall(queryset, *, field, indicators, only=Q()):
    """({(indicator_id, period): rules}, {(indicator_id,): rules}) in one query: the periods' sums and maxima, and
    from them the sums and maxima over every period (a sum of sums, a maximum of maxima); a "latest" over the
    periods from a second part of the same query (UNION ALL) that reads only the rows of indicators combined so."""
    by_period_rows = queryset.values("indicator_id", "period__number").annotate(sum=Sum(field), max=Max(field)).order_by()
    latest_ids = [i.pk for i in indicators if i.combine == Combine.LATEST]
    rows = by_period_rows
    if latest_ids:
        latest = queryset.filter(indicator_id__in=latest_ids).values("indicator_id").annotate(
            number=Value(None, output_field=IntegerField()),
            sum=Sum(field, filter=~Exists(_later(queryset, field=field, prefix="", extra=(), only=only))),
            max=Value(None, output_field=DecimalField()),
        ).order_by()
        rows = by_period_rows.union(latest, all=True)
    by_period, overall, latest_overall = {}, {}, {}
    for row in rows:
        indicator, number = row["indicator_id"], row["period__number"]
        if number is None:
            latest_overall[indicator] = row["sum"]
            continue
        by_period[(indicator, number)] = {Combine.SUM: row["sum"], Combine.MAXIMUM: row["max"], Combine.LATEST: row["sum"]}
    for indicator in {key[0] for key in by_period}:
        periods = [rules for key, rules in by_period.items() if key[0] == indicator]
        overall[(indicator,)] = {
            Combine.SUM: _total((r[Combine.SUM] for r in periods), Combine.SUM),
            Combine.MAXIMUM: _total((r[Combine.MAXIMUM] for r in periods), Combine.MAXIMUM),
            Combine.LATEST: latest_overall.get(indicator),
        }
    return by_period, overall


def achieved_by_period(programme, *, grants=None, indicators=None) -> tuple[list[Result], list[Result]]:
    """`achieved_vs_target` grouped by period, and over all periods, together in two queries (values, targets),
    whatever the number of grants: what the dashboard shows."""
    if indicators is None:
        indicators = StandardIndicator.objects.filter(programme=programme).select_related("unit")
    indicators = list(indicators)
    values, targets = counted_values(programme), IndicatorTarget.objects.filter(indicator__programme=programme)
    if grants is not None:
        values, targets = values.filter(period__grant__in=grants), targets.filter(period__grant__in=grants)
    achieved = _by_period_and_overall(values, field="total", indicators=indicators, only=counted())
    planned = _by_period_and_overall(targets, field="target", indicators=indicators)
    return (_results(indicators, _figures(indicators, achieved[0]), _figures(indicators, planned[0]), ("period",)),
            _results(indicators, _figures(indicators, achieved[1]), _figures(indicators, planned[1]), ()))


def disaggregated(indicator, *, group_by=(), grants=None, period=None) -> dict[tuple, dict[str, Decimal | None]]:
    """{group: {cell key: figure}} for one indicator (not a ratio), each cell combined by the indicator's rule
    across grants and periods, in one query; only period `period` when one is given. Pages turn it into tables for
    results.suppression."""
    cells = IndicatorCell.objects.filter(counted("value__"), value__indicator=indicator)
    if grants is not None:
        cells = cells.filter(value__period__grant__in=grants)
    if period is not None:
        cells = cells.filter(value__period__number=period)
    combined = _combined(cells, field="amount", group_by=tuple(group_by), prefix="value__", extra=("key",),
                         only=counted("value__"), rules={indicator.combine})
    tables: dict[tuple, dict] = {}
    for key, rules in sorted(combined.items(), key=lambda item: _sort_key(item[0][1:-1])):
        tables.setdefault(key[1:-1], {})[key[-1]] = rules[indicator.combine]
    return tables
