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
dashboard's by-period and overall figures together in two (`achieved_by_period`). A "latest" over periods is
one grouped subquery (per indicator and grant, the row of the highest period number with a value: `_latest_ids`),
not a look for a later value row by row, and reads only the rows of the indicators combined so.
"""
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import DecimalField, F, IntegerField, Max, Q, Sum, Value
from django.db.models.functions import Mod

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


# A row's period number and id packed in one integer, so that the largest per (grant, indicator[, cell]) names the
# row of its latest period: MAX(number * K + id) % K. Period numbers are small integers; ids stay below 2**40.
_PACK = 2 ** 40


def _latest_ids(source, *, field, prefix, extra):
    """The ids of the rows of `source` (a queryset) that hold their grant's latest value: per indicator, grant (and
    cell) the row of the highest period number with a value. One grouped subquery, not a look per row; `source`
    carries the conditions a row must meet to count (accepted values, the programme's indicators, the grants)."""
    keys = [prefix + "indicator_id", prefix + "period__grant_id", *extra]
    return (
        source.filter(**{field + "__isnull": False}).order_by().values(*keys)
        .annotate(latest_id=Mod(Max(F(prefix + "period__number") * Value(_PACK) + F("id")), Value(_PACK)))
        .values("latest_id")
    )


def _combined(queryset, *, field, group_by, prefix="", extra=(), latest_from=None, rules=None):
    """{(indicator_id, *group values, *extra values): {rule: figure}} for each rule but ratio, in one query.
    `latest_from`: the rows among which a grant's latest value is looked for (`queryset` by default, which holds the
    conditions a value must meet to count). `rules`: the only rules to work out."""
    keys = [prefix + "indicator_id"] + [prefix + GROUP_FIELDS[g] for g in group_by] + list(extra)
    rules = set(Combine.values) - {Combine.RATIO} if rules is None else set(rules)
    figures = {}
    if Combine.SUM in rules or ("period" in group_by and Combine.LATEST in rules):
        figures["sum"] = Sum(field)
    if Combine.MAXIMUM in rules:
        figures["max"] = Max(field)
    if "period" not in group_by and Combine.LATEST in rules:
        source = queryset if latest_from is None else latest_from
        figures["latest"] = Sum(field, filter=Q(id__in=_latest_ids(source, field=field, prefix=prefix, extra=extra)))
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
    achieved = _figures(indicators, _combined(values, field="total", group_by=group_by))
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


def _by_period_and_overall(queryset, *, field, indicators):
    """({(indicator_id, period): rules}, {(indicator_id,): rules}) in one query: the periods' sums and maxima, and
    from them the sums and maxima over every period (a sum of sums, a maximum of maxima); a "latest" over the
    periods from a second part of the same query (UNION ALL) that reads only the rows of indicators combined so."""
    by_period_rows = queryset.values("indicator_id", "period__number").annotate(sum=Sum(field), max=Max(field)).order_by()
    latest_ids = [i.pk for i in indicators if i.combine == Combine.LATEST]
    rows = by_period_rows
    if latest_ids:
        latest = queryset.filter(indicator_id__in=latest_ids).values("indicator_id").annotate(
            number=Value(None, output_field=IntegerField()),
            sum=Sum(field, filter=Q(id__in=_latest_ids(queryset.filter(indicator_id__in=latest_ids), field=field,
                                                       prefix="", extra=()))),
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
    # The indicators by their ids (the ratios' parts too), not by a join to the programme's indicators.
    ids = {i.pk for i in indicators} | {part for i in indicators for part in (i.numerator_id, i.denominator_id) if part}
    values = counted_values().filter(indicator_id__in=ids)
    targets = IndicatorTarget.objects.filter(indicator_id__in=ids)
    if grants is not None:
        values, targets = values.filter(period__grant__in=grants), targets.filter(period__grant__in=grants)
    achieved = _by_period_and_overall(values, field="total", indicators=indicators)
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
    # A grant's latest value of a cell is looked for over all its periods, the chosen one or not.
    latest_from = cells
    if period is not None:
        cells = cells.filter(value__period__number=period)
    combined = _combined(cells, field="amount", group_by=tuple(group_by), prefix="value__", extra=("key",),
                         latest_from=latest_from, rules={indicator.combine})
    tables: dict[tuple, dict] = {}
    for key, rules in sorted(combined.items(), key=lambda item: _sort_key(item[0][1:-1])):
        tables.setdefault(key[1:-1], {})[key[-1]] = rules[indicator.combine]
    return tables
