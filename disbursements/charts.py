"""Server-rendered SVG charts of the envelope dashboard: no JavaScript, no external files.

Each chart is drawn in a 300-unit-wide viewBox (a 360 px phone's card width) and scales with its container (CSS
width 100%, capped so a desktop does not blow it up; the label size steps down as the box grows, so labels stay near
the page's text size). Colours and sizes come from classes in the stylesheet (`chart-*`) or presentation attributes,
never inline styles (the Content-Security-Policy forbids them). Each has a <title> and <desc> for screen readers and
text labels; the page shows the same numbers in a table beside it, whose colour keys are the legend.
`dashboard_pdf` draws the same charts with reportlab from the same geometry (`nice_ceiling`, `_scale`).
"""
import re
from decimal import Decimal

from django.utils.formats import date_format
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core.templatetags.money import money

WIDTH = 300
SEGMENT_CLASSES = {"disbursed": "chart-disbursed", "committed": "chart-committed", "allocated": "chart-allocated", "available": "chart-available"}


def nice_ceiling(value) -> Decimal:
    """The top of an axis for `value`: the next of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^n at or above it (1 for
    nothing), so the data fill most of the height."""
    value = Decimal(value)
    if value <= 0:
        return Decimal(1)
    power = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, Decimal("1.2"), Decimal("1.5"), 2, Decimal("2.5"), 3, 4, 5, 6, 8, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _scale(value, whole, length) -> float:
    """`value` as a share of `whole` mapped onto `length` drawing units (drawing only: never used for money)."""
    if not whole or whole <= 0:
        return 0.0
    return round(float(max(Decimal(value), Decimal(0)) / Decimal(whole)) * length, 2)


_TEXT_X = re.compile(r'<text ([^>]*?)x="(-?[\d.]+)"')


def _mirrored(body):
    """The chart as a right-to-left reader expects it: bars grow from the right, time runs right to left. Shapes are
    mirrored by one transform; each label is mirrored back so it stays upright, at its mirrored place, and the
    `direction` the page gives it turns its start and end anchors round."""
    upright = _TEXT_X.sub(lambda m: f'<text transform="scale(-1,1)" {m.group(1)}x="-{m.group(2)}"', str(body))
    return format_html('<g transform="matrix(-1 0 0 1 {} 0)">{}</g>', WIDTH, mark_safe(upright))  # noqa: S308 - our own markup


def _svg(chart_id, height, title, desc, body):
    if translation.get_language_bidi():
        body = _mirrored(body)
    return format_html(
        '<svg class="chart" id="{id}" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-title {id}-desc" '
        'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        id=chart_id, w=WIDTH, h=height, title=title, desc=desc, body=body,
    )


def envelope_use(d) -> str:
    """A stacked horizontal bar of the envelope: disbursed, committed not disbursed, allocated not committed, available.
    The table beside it, with the same colour keys, is its legend."""
    envelope = d.position.envelope
    segments, x = [], 0.0
    for key, _label, amount in d.use:
        width = _scale(amount, envelope, WIDTH)
        segments.append((SEGMENT_CLASSES[key], round(x, 2), width))
        x += width
    bar = format_html_join("", '<rect class="{}" x="{}" y="0" width="{}" height="28"/>', segments)
    ticks = format_html(
        '<text class="chart-label chart-muted" x="0" y="44">0</text>'
        '<text class="chart-label chart-muted" x="{}" y="44" text-anchor="end">{}</text>',
        WIDTH, money(envelope),
    )
    desc = "; ".join(f"{label}: {money(amount)}" for _key, label, amount in d.use)
    title = _("Use of the envelope of %(amount)s") % {"amount": money(envelope)}
    return _svg("chart-use", 50, title, desc, format_html("{}{}", bar, ticks))


CALL_ROW = 40


def calls_bars(calls) -> str:
    """Per call: the allocation as a track, what is committed on it, and what is disbursed on top (legend in the page)."""
    largest = max((c.allocated for c in calls), default=Decimal(0))
    rows = format_html_join(
        "",
        '<text class="chart-label" x="0" y="{}"><tspan class="chart-strong">{}</tspan> · {}</text>'
        '<rect class="chart-allocated" x="0" y="{}" width="{}" height="14"/>'
        '<rect class="chart-committed" x="0" y="{}" width="{}" height="14"/>'
        '<rect class="chart-disbursed" x="0" y="{}" width="{}" height="14"/>',
        (
            (i * CALL_ROW + 12, c.call.reference, money(c.allocated),
             i * CALL_ROW + 18, _scale(c.allocated, largest, WIDTH),
             i * CALL_ROW + 18, _scale(c.committed, largest, WIDTH),
             i * CALL_ROW + 18, _scale(c.disbursed, largest, WIDTH))
            for i, c in enumerate(calls)
        ),
    )
    desc = "; ".join(
        _("%(call)s: allocated %(a)s, committed %(c)s, disbursed %(d)s")
        % {"call": c.call.reference, "a": money(c.allocated), "c": money(c.committed), "d": money(c.disbursed)}
        for c in calls
    ) or _("No call has been created yet.")
    return _svg("chart-calls", max(CALL_ROW * len(calls), 20), _("Allocated, committed and disbursed by call"), desc, rows)


def timeline_scale(timeline, committed) -> Decimal:
    """The y-axis of the disbursement chart: what is committed or disbursed, rounded up. The envelope is usually many
    times larger; on its scale the payments would be a flat line along the bottom, so it is a note, not the axis."""
    return nice_ceiling(max([committed] + [p.cumulative for p in timeline]))


TIMELINE = {"left": 0, "right": WIDTH, "top": 56, "bottom": 180}


def disbursement_line(timeline, *, envelope, committed) -> str:
    """Cumulative net disbursements month by month, on an axis that runs to the committed total (rounded up), with
    the committed total as a dashed line and the envelope as a note above the plot."""
    left, right, top, bottom = TIMELINE["left"], TIMELINE["right"], TIMELINE["top"], TIMELINE["bottom"]
    ceiling = timeline_scale(timeline, committed)

    def y(value):
        return round(bottom - _scale(value, ceiling, bottom - top), 2)

    step = (right - left) / max(len(timeline) - 1, 1)
    points = [(round(left + i * step, 2), y(p.cumulative)) for i, p in enumerate(timeline)]
    last = timeline[-1] if timeline else None
    grid = format_html_join(
        "",
        '<line class="chart-grid" x1="{l}" y1="{y}" x2="{r}" y2="{y}"/>'
        '<text class="chart-label chart-muted" x="{l}" y="{ty}">{label}</text>',
        ({"l": left, "r": right, "y": y(v), "ty": y(v) - 3, "label": money(v)} for v in (ceiling, ceiling / 2)),
    )
    guides = format_html(
        '{grid}<line class="chart-axis" x1="{l}" y1="{b}" x2="{r}" y2="{b}"/>'
        '<line class="chart-committed-line" x1="{l}" y1="{yc}" x2="{r}" y2="{yc}"/>'
        '<text class="chart-label" x="{r}" y="{yc_text}" text-anchor="end">{committed_label}</text>'
        '<text class="chart-label chart-muted" x="{l}" y="32">{envelope_note}</text>',
        grid=grid, l=left, r=right, b=bottom, yc=y(committed), yc_text=y(committed) - 3,
        committed_label=_("Committed %(amount)s") % {"amount": money(committed)},
        envelope_note=(_("Envelope %(amount)s, off this scale") if envelope > ceiling else _("Envelope %(amount)s"))
        % {"amount": money(envelope)},
    )
    line = ""
    if points:
        area = " ".join(f"{px},{py}" for px, py in [(points[0][0], bottom), *points, (points[-1][0], bottom)])
        line = format_html(
            '<polygon class="chart-disbursed-area" points="{}"/><polyline class="chart-disbursed-line" points="{}"/>',
            area, " ".join(f"{px},{py}" for px, py in points),
        )
    axis = ""
    if timeline:
        axis = format_html(
            '<text class="chart-label" x="{}" y="{}">{}</text><text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>'
            '<text class="chart-label chart-strong" x="{}" y="{}">{}</text>',
            left, bottom + 16, date_format(timeline[0].month, "YEAR_MONTH_FORMAT"),
            right, bottom + 16, date_format(last.month, "YEAR_MONTH_FORMAT"),
            left, 14, _("Disbursed to date %(amount)s") % {"amount": money(last.cumulative)},
        )
    desc = _("Cumulative net disbursements from %(first)s to %(last)s, reaching %(amount)s, against an envelope of %(envelope)s and %(committed)s committed.") % {
        "first": date_format(timeline[0].month, "YEAR_MONTH_FORMAT") if timeline else "",
        "last": date_format(last.month, "YEAR_MONTH_FORMAT") if last else "",
        "amount": money(last.cumulative if last else 0), "envelope": money(envelope), "committed": money(committed),
    }
    return _svg("chart-timeline", bottom + 22, _("Disbursements over time"), desc, format_html("{}{}{}", guides, line, axis))


AGEING_ROW = 38


def ageing_bars(buckets) -> str:
    """Outstanding advances per age bucket, one labelled horizontal bar each (long amounts stay readable)."""
    largest = max((b.amount for b in buckets), default=Decimal(0))
    bars = format_html_join(
        "",
        '<text class="chart-label" x="0" y="{}">{}: {}</text>'
        '<rect class="chart-track" x="0" y="{}" width="{}" height="12"/>'
        '<rect class="chart-ageing chart-ageing-{}" x="0" y="{}" width="{}" height="12"/>',
        (
            (i * AGEING_ROW + 12, b.label, money(b.amount), i * AGEING_ROW + 18, WIDTH,
             b.key, i * AGEING_ROW + 18, _scale(b.amount, largest, WIDTH))
            for i, b in enumerate(buckets)
        ),
    )
    desc = "; ".join(f"{b.label}: {money(b.amount)}" for b in buckets)
    return _svg("chart-ageing", AGEING_ROW * len(buckets), _("Outstanding advances by age"), desc, bars)
