"""The reads of the results pages: the programme dashboard (achieved against target per indicator, filtered by
country, objective, call and period, and one indicator's disaggregation) and a grant's own results.

People counts are protected by `results.suppression` unless `exact` is asked for (programme officers and
administrators only: the views decide). The dashboard costs a fixed number of queries whatever the number of grants;
its figures before protection and its filters' choices are cached until anything changes (`data_version`).
"""
from dataclasses import dataclass
from decimal import Decimal
from itertools import product

from django.core.cache import cache
from django.db.models import Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.selectors import data_version
from grants.models import Call, Country, Grant, Objective

from .aggregation import Result, achieved_by_period, achieved_vs_target, disaggregated
from .cells import cell_key, dimensions_of
from .models import Combine, ResultPeriod, ResultsSettings, StandardIndicator
from .suppression import SECONDARY, SUPPRESSED, Cell, Table, suppress_series, suppress_table

FILTERS = ("country", "objective", "call", "period")
CACHE_SECONDS = 60 * 60


@dataclass
class PeriodFigure:
    number: int | None  # None: all periods together
    target: Decimal | None
    achieved: Cell


@dataclass
class IndicatorResult:
    indicator: StandardIndicator
    total: PeriodFigure  # all periods in view
    periods: list[PeriodFigure]

    @property
    def protected(self) -> bool:
        return any(p.achieved.suppressed for p in (self.total, *self.periods))


@dataclass
class Disaggregation:
    indicator: StandardIndicator
    row_heading: str  # the dimensions down the side, "Sex · Age band"
    column_heading: str  # the last dimension, across
    rows: list[str]
    columns: list[str]
    table: Table

    @property
    def rows_with_cells(self):
        """(row label, its cells, its total) for each row."""
        return list(zip(self.rows, self.table.cells, self.table.row_totals, strict=True))

    @property
    def protected(self) -> bool:
        t = self.table
        return any(c.suppressed for c in (*(c for row in t.cells for c in row), *t.row_totals, *t.column_totals, t.grand_total))


@dataclass
class Dashboard:
    programme: object
    threshold: int
    framework: str  # the donor's results framework the external codes belong to
    exact: bool
    indicators: list[IndicatorResult]
    disaggregation: Disaggregation | None = None

    @property
    def protected(self) -> bool:
        return any(r.protected for r in self.indicators) or bool(self.disaggregation and self.disaggregation.protected)


@dataclass(frozen=True)
class _Nothing:
    """An indicator with no value and no target in view."""

    achieved: Decimal | None = None
    target: Decimal | None = None


_EMPTY = _Nothing()


def with_data_version(programmes):
    """The programmes with the data version (`audit.selectors.data_version`) read in the same query, so the
    dashboard's cached reads cost no query more to check."""
    latest = AuditEvent.objects.order_by("-id").values("id")[:1]
    return programmes.annotate(results_data_version=Coalesce(Subquery(latest), 0))


def _version(programme) -> int:
    version = getattr(programme, "results_data_version", None)
    return data_version() if version is None else version


def filter_choices(programme) -> dict[str, list[tuple[str, str]]]:
    """The values each filter takes ({"country": [(id, label)], …}), in four queries, cached until anything changes
    (`data_version`; the period numbers read every results period of the programme)."""
    key = f"results-filters:{programme.pk}:{_version(programme)}"
    choices = cache.get(key)
    if choices is None:
        choices = _filter_choices(programme)
        cache.set(key, choices, CACHE_SECONDS)
    return choices


def _filter_choices(programme) -> dict[str, list[tuple[str, str]]]:
    grants = Grant.objects.filter(call__programme=programme)
    return {
        "country": [(str(c.pk), str(c)) for c in Country.objects.filter(grants__in=grants).distinct().order_by("code")],
        "objective": [(str(o.pk), str(o)) for o in Objective.objects.filter(programme=programme)],
        "call": [(str(c.pk), f"{c.reference} – {c.title}") for c in Call.objects.filter(programme=programme).order_by("reference")],
        "period": [(str(n), str(n)) for n in ResultPeriod.objects.filter(grant__call__programme=programme)
                   .values_list("number", flat=True).distinct().order_by("number")],
    }


def programme_settings(programme) -> ResultsSettings:
    """The programme's results settings, or the defaults (unsaved): no query when the programme was read with
    `select_related("results_settings")`, as the dashboard's views do."""
    try:
        return programme.results_settings
    except ResultsSettings.DoesNotExist:
        return ResultsSettings(programme=programme)


def programme_indicators(programme) -> list[StandardIndicator]:
    return list(StandardIndicator.objects.filter(programme=programme).select_related("unit").prefetch_related("dimensions__categories"))


def _plain(values, *, row_totals=None, column_totals=None, grand_total=None) -> Table:
    """The same shape as a suppressed table, nothing hidden (exact figures, or an indicator that counts no people)."""
    def total(numbers):
        numbers = [n for n in numbers if n is not None]
        return sum(numbers) if numbers else None
    columns = len(values[0]) if values else 0
    row_totals = [total(row) for row in values]
    return Table(
        cells=[[Cell(v) for v in row] for row in values],
        row_totals=[Cell(v) for v in row_totals],
        column_totals=[Cell(total(row[c] for row in values)) for c in range(columns)],
        grand_total=Cell(total(row_totals)),
    )


def _protected(indicator, exact) -> bool:
    return indicator.counts_people and not exact


def protected_figures(indicator, achieved, total, *, threshold, exact) -> tuple[list[Cell], Cell]:
    """An indicator's figures per period and their total as cells, people counts protected together (the periods
    and their total are one line)."""
    if _protected(indicator, exact):
        series = suppress_series(achieved, total=total, threshold=threshold)
        return series.cells, series.total
    return [Cell(a) for a in achieved], Cell(total)


def grant_figure(indicator, achieved) -> Decimal | None:
    """One grant's figure over its periods (`achieved`, oldest first, None where not collected) by the indicator's
    combine rule, as `aggregation.achieved_vs_target` makes it for a group of one grant (not for ratios)."""
    collected = [a for a in achieved if a is not None]
    if not collected:
        return None
    return {Combine.SUM: sum, Combine.MAXIMUM: max, Combine.LATEST: lambda figures: figures[-1]}[indicator.combine](collected)


def adds_up_across_countries(indicator) -> bool:
    """Whether the indicator's figures per country add up to the programme's (sum; latest, summed across grants):
    then a country's figure is a cell of the breakdown by country, protected as a linked table."""
    return indicator.combine in (Combine.SUM, Combine.LATEST)


def country_table(indicator, by_country: dict, overall_periods: list, overall_total, *, threshold) -> dict:
    """The breakdown by country of a people-counting indicator as a linked table, protected: rows are the countries
    (`by_country`: {country id: ({period number: figure}, total over the periods)}, None for grants without a
    country, which publish nothing but still add up), columns the programme's periods (`overall_periods`: [(number,
    figure)], the figures without a country filter), row totals the countries' totals, column totals and grand total
    the programme's figures (`overall_total`), taken as `protected_figures` protects them, never changed here.
    A country's figure hidden by its own size hides another country's beside it (the smallest), so that the
    programme's figure minus the others' cannot give it. Returns {country id: ({period number: Cell}, total Cell)}:
    what the dashboard filtered on that country shows, and so the PDF's, CSV's and API's figures by country."""
    programme_cells, programme_total = protected_figures(indicator, [a for _n, a in overall_periods], overall_total,
                                                         threshold=threshold, exact=False)
    countries = list(by_country)
    numbers = [n for n, _a in overall_periods]
    table = suppress_table(
        [[by_country[c][0].get(n) for n in numbers] for c in countries], threshold=threshold,
        row_totals=[by_country[c][1] for c in countries],
        column_totals=[a for _n, a in overall_periods], grand_total=overall_total,
        column_totals_as=programme_cells, grand_total_as=programme_total,
    )
    return {c: (dict(zip(numbers, table.cells[r], strict=True)), table.row_totals[r]) for r, c in enumerate(countries)}


def _indicator_results(indicator, total, periods, *, threshold, exact, period=None, in_country=None) -> IndicatorResult:
    """The indicator's figure over all periods in view and per period, its people counts protected together (the
    periods and their total are one line). With `period` (a number) only that period is shown, and is the total,
    protected as it is in the series of every period: a figure hidden there is hidden here. `in_country`: the
    figures' Cells as the breakdown by country protects them (`country_table`), when the view is one country's."""
    if in_country is not None:
        by_number, total_cell = in_country
        cells = [by_number.get(p.group["period"], Cell(SUPPRESSED, SECONDARY)) for p in periods]
    else:
        cells, total_cell = protected_figures(indicator, [p.achieved for p in periods], total.achieved, threshold=threshold, exact=exact)
    figures = [PeriodFigure(p.group["period"], p.target, cell) for p, cell in zip(periods, cells, strict=True)]
    if period is None:
        return IndicatorResult(indicator=indicator, total=PeriodFigure(None, total.target, total_cell), periods=figures)
    shown = [f for f in figures if f.number == period]
    chosen = shown[0] if shown else PeriodFigure(period, None, Cell(None))
    return IndicatorResult(indicator=indicator, total=PeriodFigure(None, chosen.target, chosen.achieved), periods=shown)


def cell_table(indicator, figures: dict, *, threshold, exact, total=None):
    """`figures` ({cell key: figure}) of an indicator with dimensions as a table: the last dimension across, every
    combination of the others down the side, people counts protected unless `exact`. Returns the rows and columns
    (each a tuple of (dimension, category) pairs) and the table.

    `total`: the Cell (from `protected_figures`) of the figure the table breaks down, shown beside it (a period of
    the indicator, or its total over the periods in view). The table's grand total is that figure, so it is hidden
    or shown as there, and the table hides what would give it away (`suppression.suppress_table(grand_total_as=)`).
    Give it whenever the figure is published with the table, or a total shown in one could reveal a cell hidden in
    the other."""
    axes = [[(d, c) for c in sorted(d.categories.all(), key=lambda c: (c.position, c.code))] for d in dimensions_of(indicator)]
    side, across = list(product(*axes[:-1])), [(pair,) for pair in axes[-1]]
    values = [[figures.get(cell_key([(d.code, c.code) for d, c in (*row, *column)])) for column in across] for row in side]
    table = suppress_table(values, threshold=threshold, grand_total_as=total) if _protected(indicator, exact) else _plain(values)
    return side, across, table


def _disaggregation(indicator, cells, *, threshold, exact, total) -> Disaggregation | None:
    """The indicator's `cells` as a table (`cell_table`; one row "All" for an indicator with one dimension), its grand
    total protected as the indicator's `total` Cell in view. None for an indicator without dimensions (or a ratio)."""
    if cells is None or not _has_table(indicator):
        return None
    dimensions = dimensions_of(indicator)
    side, across, table = cell_table(indicator, cells, threshold=threshold, exact=exact, total=total)
    return Disaggregation(
        indicator=indicator,
        row_heading=" · ".join(d.title() for d in dimensions[:-1]) or _("All"),
        column_heading=dimensions[-1].title(),
        rows=[" · ".join(c.title() for _d, c in row) or _("All") for row in side],
        columns=[c.title() for ((_d, c),) in across],
        table=table,
    )


def dashboard(programme, *, chosen=None, indicator_code=None, exact=False, indicators=None) -> Dashboard:
    """Achieved against target per indicator for the grants the filters leave (`chosen`: {"country": id, …, "period":
    number}, each optional), with the disaggregation of the indicator `indicator_code` when it has dimensions."""
    chosen = {name: value for name, value in (chosen or {}).items() if value not in (None, "")}
    settings = programme_settings(programme)
    threshold = settings.small_cell_threshold
    indicators = programme_indicators(programme) if indicators is None else indicators
    grants = Grant.objects.filter(call__programme=programme)
    for name in ("country", "objective", "call"):
        if name in chosen:
            grants = grants.filter(**{f"{name}_id": chosen[name]})
    period = int(chosen["period"]) if "period" in chosen else None
    # Every period is read and protected, even when one is chosen: a period's figure is hidden alike in both views.
    chosen_indicator = next((i for i in indicators if i.code == indicator_code), None)
    periods, totals, cells = _figures_in_view(programme, grants, indicators, chosen, chosen_indicator, period)
    by_period: dict[int, list] = {}
    for r in periods:
        by_period.setdefault(r.indicator.pk, []).append(r)
    overall = {r.indicator.pk: r for r in totals}
    in_country = {}
    if "country" in chosen:
        linked = [i for i in indicators if _protected(i, exact) and adds_up_across_countries(i)]
        if linked:
            in_country = _in_country(programme, chosen, linked, threshold=threshold)
    results = [
        _indicator_results(indicator, overall.get(indicator.pk, _EMPTY), by_period.get(indicator.pk, []),
                           threshold=threshold, exact=exact, period=period, in_country=in_country.get(indicator.pk))
        for indicator in indicators
    ]
    chosen_result = next((r for r in results if r.indicator == chosen_indicator), None)
    return Dashboard(
        programme=programme, threshold=threshold, framework=settings.external_framework, exact=exact, indicators=results,
        disaggregation=chosen_result and _disaggregation(chosen_result.indicator, cells, threshold=threshold, exact=exact,
                                                         total=chosen_result.total.achieved),
    )


def _in_country(programme, chosen, indicators, *, threshold) -> dict:
    """{indicator id: ({period number: Cell}, total Cell)} of the chosen country, for `indicators` (people counted,
    adding up across countries), each protected in the breakdown by country of the grants the other filters leave
    (`country_table`): the same Cells whichever country is chosen, so switching the filter reveals nothing."""
    others = {name: value for name, value in chosen.items() if name != "country"}
    grants = Grant.objects.filter(call__programme=programme)
    for name in ("objective", "call"):
        if name in others:
            grants = grants.filter(**{f"{name}_id": others[name]})
    in_view = ":".join(str(others.get(name, "")) for name in ("objective", "call"))
    key = f"results-by-country:{programme.pk}:{in_view}:{','.join(str(i.pk) for i in indicators)}:{_version(programme)}"
    found = cache.get(key)
    if found is None:
        periods, totals = achieved_by_period(programme, grants=grants, indicators=indicators)
        by_period = achieved_vs_target(programme, group_by=("country", "period"), grants=grants, indicators=indicators)
        by_country = achieved_vs_target(programme, group_by=("country",), grants=grants, indicators=indicators)
        found = (
            [(r.indicator.pk, r.group["period"], r.achieved) for r in periods],
            {r.indicator.pk: r.achieved for r in totals},
            [(r.indicator.pk, r.group["country"], r.group["period"], r.achieved) for r in by_period],
            [(r.indicator.pk, r.group["country"], r.achieved) for r in by_country],
        )
        cache.set(key, found, CACHE_SECONDS)
    periods, totals, by_period, by_country = found
    country = int(chosen["country"])
    protected = {}
    for indicator in indicators:
        rows: dict = {}
        for pk, c, total in by_country:
            if pk == indicator.pk:
                rows[c] = ({}, total)
        for pk, c, number, achieved in by_period:
            if pk == indicator.pk:
                rows.setdefault(c, ({}, None))[0][number] = achieved
        if country not in rows:
            continue
        overall_periods = [(number, achieved) for pk, number, achieved in periods if pk == indicator.pk]
        protected[indicator.pk] = country_table(indicator, rows, overall_periods, totals.get(indicator.pk),
                                                threshold=threshold)[country]
    return protected


def _has_table(indicator) -> bool:
    return bool(indicator.dimensions.all()) and indicator.combine != Combine.RATIO


def _figures_in_view(programme, grants, indicators, chosen, indicator, period):
    """The dashboard's figures before protection: results by period and over all periods (`achieved_by_period`) and
    the cells of `indicator` (in `period`, or over all), or None. Reading them costs a pass over every value (and
    cell) of the grants in view, so they are cached until anything changes (every change writes an audit event:
    `data_version`); protection, which depends on who reads, is applied to them on each request."""
    in_view = ":".join(str(chosen.get(name, "")) for name in ("country", "objective", "call"))
    key = (f"results-dashboard:{programme.pk}:{in_view}:{','.join(str(i.pk) for i in indicators)}:"
           f"{indicator.pk if indicator else ''}:{period or ''}:{_version(programme)}")
    found = cache.get(key)
    if found is None:
        periods, totals = achieved_by_period(programme, grants=grants, indicators=indicators)
        found = (
            [(r.indicator.pk, r.group, r.achieved, r.target) for r in periods],
            [(r.indicator.pk, r.group, r.achieved, r.target) for r in totals],
            disaggregated(indicator, grants=grants, period=period).get((), {}) if indicator and _has_table(indicator) else None,
        )
        cache.set(key, found, CACHE_SECONDS)
    by_id = {i.pk: i for i in indicators}
    periods, totals, cells = found
    return ([Result(by_id[pk], group, achieved, target) for pk, group, achieved, target in periods],
            [Result(by_id[pk], group, achieved, target) for pk, group, achieved, target in totals], cells)


def grant_results(grant) -> tuple[dict, list[tuple[StandardIndicator, list]]]:
    """The grant's own results, unprotected (they are its own data): its periods ({number: ResultPeriod}) and
    [(indicator, [Result per period])] for the indicators it has a value or a target for, in four queries. Every
    recorded value shows, reviewed or not (the entry and review pages say which): the programme's aggregates count
    only accepted ones."""
    periods = {p.number: p for p in ResultPeriod.objects.filter(grant=grant)}
    rows: dict = {}
    if periods:
        for r in achieved_vs_target(grant.call.programme, group_by=("period",), grants=Grant.objects.filter(pk=grant.pk),
                                     accepted_only=False):
            rows.setdefault(r.indicator, []).append(r)
    return periods, list(rows.items())
