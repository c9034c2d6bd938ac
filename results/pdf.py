"""The programme results report: the results dashboard's published figures as a PDF, dated, for the donor to share.

A report is shared, so it only ever carries published figures: people counts after small-cell suppression, whoever
asks for it (the dashboard's exact figures for staff who need to know never reach a PDF). A suppressed figure is
the dashboard's mark, a dash, explained under the title; a figure not collected reads "not reported".

Every figure comes from `results.selectors.dashboard`, the one path the dashboard, its CSV, the API and the open-data
files take, so each figure here is the page's for the same filters:
- per indicator, achieved against target per reporting period and over all periods in view, a chart (reportlab
  graphics, mirrored for right-to-left languages) and its table;
- by country, each indicator over all periods in view, as the dashboard shows it filtered on that country (only when
  no country is chosen);
- each disaggregation table (the one chosen on the dashboard, else every indicator that has dimensions).
Titles are in the reader's language; numbers and dates through `core.formats`.
"""
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import KeepTogether

from core.formats import date_text
from core.pdf import Spacer, mm, para, render, styles, table
from disbursements.charts import _scale, nice_ceiling
from disbursements.dashboard_pdf import _Chart

from .charts import _label, figure_text
from .selectors import dashboard

SUPPRESSED_MARK = "–"  # the dashboard's mark for a suppressed figure (results_tags.figure)
ROW = 30  # chart height of one period, in points
COLOURS = {"track": "#eef1f5", "target": "#b9cde3", "achieved": "#0b4f8a"}


def figure_cell(cell) -> str:
    """A published figure as the report writes it: the number in the reader's notation, the dashboard's dash when
    suppressed, "not reported" when not collected."""
    if cell.suppressed:
        return SUPPRESSED_MARK
    if cell.value is None:
        return _("not reported")
    return figure_text(cell.value)


def target_cell(value) -> str:
    """A target, or "none" (the dashboard's words for its dash there: in the report a dash only means suppressed)."""
    return _("none") if value is None else figure_text(value)


def indicator_chart(result):
    """One row per period as on the page (`results.charts.indicator_bars`): the target as a bar on a track, what
    was achieved as a thinner bar over it (none when suppressed), labelled in words."""
    periods = result.periods
    numbers = [p.target or 0 for p in periods]
    numbers += [p.achieved.value for p in periods if not p.achieved.suppressed and p.achieved.value is not None]
    ceiling = nice_ceiling(max(numbers, default=0))
    chart = _Chart(max(ROW * len(periods), 12))
    for i, p in enumerate(periods):
        top = i * ROW
        chart.text(0, top + 9, _label(p))
        chart.rect(0, top + 13, chart.width, 12, colors.HexColor(COLOURS["track"]))
        chart.rect(0, top + 13, float(_scale(p.target or 0, ceiling, chart.width)), 12, colors.HexColor(COLOURS["target"]))
        if not p.achieved.suppressed and p.achieved.value is not None:
            chart.rect(0, top + 15, float(_scale(p.achieved.value, ceiling, chart.width)), 8, colors.HexColor(COLOURS["achieved"]))
    return chart.drawing


def _figures_table(result, st):
    rows = [[para(_("Reporting period"), st["cell_bold"]), para(_("Target"), st["num_bold"]), para(_("Achieved"), st["num_bold"])]]
    for p in result.periods:
        rows.append([para(_("Period %(number)s") % {"number": p.number}, st["cell"]),
                     para(target_cell(p.target), st["num"]), para(figure_cell(p.achieved), st["num"])])
    if not result.periods:
        rows.append([para(_("No value or target recorded."), st["cell"]), "", ""])
    t = result.total
    rows.append([para(_("All periods in view"), st["cell_bold"]), para(target_cell(t.target), st["num_bold"]),
                 para(figure_cell(t.achieved), st["num_bold"])])
    return table(rows, (90 * mm, 40 * mm, 40 * mm), total_row=True)


def _indicator_section(d, result, st):
    i = result.indicator
    meta = [i.code]
    if i.external_code:
        meta.append(f"{d.framework} {i.external_code}".strip())
    if i.unit:
        meta.append(i.unit.title())  # the unit's title in the reader's language
    meta.append(str(i.get_combine_display()))
    parts = [para(i.title(), st["h2"]), para(" · ".join(meta), st["note"])]
    if result.periods:
        parts += [indicator_chart(result), Spacer(1, 2 * mm)]
    # An indicator's periods are few (one a year or so): its heading, chart and table stay on one page.
    return [KeepTogether([*parts, _figures_table(result, st)])]


def _by_country(by_country, st):
    """[(country label, Dashboard)] as one table: each indicator's figures over all periods in view per country."""
    rows = [[para(_("Country"), st["cell_bold"]), para(_("Indicator"), st["cell_bold"]),
             para(_("Target"), st["num_bold"]), para(_("Achieved"), st["num_bold"])]]
    for label, d in by_country:
        for r in d.indicators:
            if r.total.target is None and r.total.achieved.value is None and not r.total.achieved.suppressed:
                continue  # nothing of this indicator in this country
            rows.append([para(label, st["cell"]), para(f"{r.indicator.code} {r.indicator.title()}", st["cell"]),
                         para(target_cell(r.total.target), st["num"]), para(figure_cell(r.total.achieved), st["num"])])
    return table(rows, (40 * mm, 74 * mm, 28 * mm, 28 * mm))


def _disaggregation(t, st):
    columns = len(t.columns) + 2
    first = 50 * mm
    other = (170 * mm - first) / (columns - 1)
    rows = [[para(f"{t.row_heading} / {t.column_heading}", st["cell_bold"]),
             *(para(c, st["num_bold"]) for c in t.columns), para(_("Total"), st["num_bold"])]]
    for label, cells, total in t.rows_with_cells:
        rows.append([para(label, st["cell"]), *(para(figure_cell(c), st["num"]) for c in cells),
                     para(figure_cell(total), st["num_bold"])])
    rows.append([para(_("Total"), st["cell_bold"]), *(para(figure_cell(c), st["num_bold"]) for c in t.table.column_totals),
                 para(figure_cell(t.table.grand_total), st["num_bold"])])
    return [
        para(_("Disaggregation: %(indicator)s") % {"indicator": t.indicator.title()}, st["h2"]),
        para(_("%(rows)s by %(columns)s") % {"rows": t.row_heading, "columns": t.column_heading}, st["note"]),
        table(rows, (first, *([other] * (columns - 1))), total_row=True),
    ]


def report_data(d, *, chosen, countries):
    """What the report adds to the dashboard `d` (protected, built for the filters `chosen`): per country (of
    `countries`, [(id, label)]) the dashboard filtered on it, when no country is chosen; and the disaggregations:
    `d`'s own when one was chosen, else every indicator's that has dimensions."""
    if d.exact:
        raise ValueError("A results report carries published figures only.")
    programme, indicators = d.programme, [r.indicator for r in d.indicators]
    by_country = []
    if "country" not in chosen:
        by_country = [(label, dashboard(programme, chosen={**chosen, "country": pk}, indicators=indicators))
                      for pk, label in countries]
    if d.disaggregation is not None:
        return by_country, [d.disaggregation]
    tables = []
    for r in d.indicators:
        if r.indicator.dimensions.all():
            t = dashboard(programme, chosen=chosen, indicator_code=r.indicator.code, indicators=indicators).disaggregation
            if t is not None:
                tables.append(t)
    return by_country, tables


def results_report_pdf(d, *, filters, today, by_country=(), disaggregations=()) -> bytes:
    """The report of the dashboard `d` (protected figures only); `filters` [(label, chosen value)] as the title
    page states them, `today` the report's date."""
    if d.exact:
        raise ValueError("A results report carries published figures only.")
    st = styles()
    # A note under a heading stays with what it introduces, as the heading does (core.pdf "h2").
    st["note"] = ParagraphStyle("note", parent=st["small"], keepWithNext=1, spaceAfter=2 * mm)
    programme = d.programme
    day = date_text(today)
    in_view = "; ".join(f"{label}: {value}" for label, value in filters) or _("all grants")
    story = [
        para(_("%(programme)s: results report") % {"programme": programme.short_name}, st["title"]),
        para(_("%(name)s. Donor: %(donor)s. Managed by %(agency)s. Filters: %(filters)s. Report date: %(day)s.")
             % {"name": programme.name, "donor": programme.donor, "agency": programme.agency, "filters": in_view, "day": day},
             st["small"]),
        Spacer(1, 2 * mm),
        para(_("Achieved against target per standard indicator, across the grants in view."), st["body"]),
        para(_("A dash (%(mark)s) is a suppressed figure: counts of people below %(threshold)s are not published, nor "
               "the figures from which one could be worked out, so that nobody can be singled out.")
             % {"mark": SUPPRESSED_MARK, "threshold": d.threshold}, st["body"]),
        Spacer(1, 2 * mm),
    ]
    if not d.indicators:
        story.append(para(_("The programme has no standard indicators yet."), st["body"]))
    for result in d.indicators:
        story += _indicator_section(d, result, st)
    if by_country:
        story += [para(_("By country"), st["h2"]),
                  para(_("Each indicator over all periods in view, as the dashboard shows it for the country."), st["note"]),
                  _by_country(by_country, st)]
    for t in disaggregations:
        story += _disaggregation(t, st)
    title = _("Results report")
    return render(story, title=title, footer=f"{programme.code} · {title} · {day}")


__all__ = ["SUPPRESSED_MARK", "figure_cell", "report_data", "results_report_pdf"]
