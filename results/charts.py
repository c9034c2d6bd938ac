"""The results dashboard's SVG charts, drawn like the envelope dashboard's (`disbursements.charts`): a 300-unit
viewBox that scales with its card, classes for colours, a title and a description; the page's table holds the same
numbers. A suppressed figure draws no bar, only its label says so."""
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from core.formats import number_text
from disbursements.charts import WIDTH, _scale, _svg, nice_ceiling

ROW = 40


def figure_text(value) -> str:
    """A figure in the active language with the decimals it has (12, 12.5, a ratio's 0.1429), no more."""
    return number_text(value, places=max(0, -Decimal(value).normalize().as_tuple().exponent))


def _label(p) -> str:
    """"Period 1: 201 of 308", or what is missing."""
    values = {"number": p.number, "target": None if p.target is None else figure_text(p.target)}
    if p.achieved.suppressed:
        return (_("Period %(number)s: suppressed, target %(target)s") if p.target is not None
                else _("Period %(number)s: suppressed, no target")) % values
    if p.achieved.value is None:
        return (_("Period %(number)s: target %(target)s, nothing reported") if p.target is not None
                else _("Period %(number)s: nothing reported, no target")) % values
    values["achieved"] = figure_text(p.achieved.value)
    return (_("Period %(number)s: %(achieved)s of %(target)s") if p.target is not None
            else _("Period %(number)s: %(achieved)s, no target")) % values


def indicator_bars(result) -> str:
    """One row per period: the target as a track, what was achieved as a bar over it, labelled "achieved / target"."""
    periods = result.periods
    numbers = [p.target or 0 for p in periods]
    numbers += [p.achieved.value for p in periods if not p.achieved.suppressed and p.achieved.value is not None]
    ceiling = nice_ceiling(max(numbers, default=0))
    labels = [_label(p) for p in periods]
    rows = format_html_join(
        "",
        '<text class="chart-label" x="0" y="{}">{}</text>'
        '<rect class="chart-track" x="0" y="{}" width="{}" height="14"/>'
        '<rect class="chart-target" x="0" y="{}" width="{}" height="14"/>'
        '<rect class="chart-achieved" x="0" y="{}" width="{}" height="8"/>',
        (
            (i * ROW + 12, label, i * ROW + 18, WIDTH, i * ROW + 18, _scale(p.target or 0, ceiling, WIDTH),
             i * ROW + 21, 0 if p.achieved.suppressed else _scale(p.achieved.value or 0, ceiling, WIDTH))
            for i, (p, label) in enumerate(zip(periods, labels, strict=True))
        ),
    )
    indicator = result.indicator
    title = _("%(indicator)s: achieved against target by period") % {"indicator": indicator.title()}
    desc = "; ".join(labels) or _("No value or target recorded.")
    return _svg(f"chart-{indicator.code}", max(ROW * len(periods), 20), title, desc,
                rows or format_html('<text class="chart-label chart-muted" x="0" y="14">{}</text>', desc))
