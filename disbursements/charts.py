"""Server-rendered SVG charts of the envelope dashboard: no JavaScript, no external files.

Each chart is drawn in a 300-unit-wide viewBox (a 360 px phone's card width) and scales with its container; its
colours come from classes in the stylesheet (`chart-*`), it has a <title> and <desc> for screen readers and
text labels, and the page shows the same numbers in a table beside it.
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


def _legend(items, top):
    """One line per item: a colour square, its label and amount."""
    return format_html_join(
        "",
        '<rect class="{}" x="0" y="{}" width="12" height="12"/><text class="chart-label" x="18" y="{}">{}: {}</text>',
        ((css, top + i * 20, top + i * 20 + 11, label, money(amount)) for i, (css, label, amount) in enumerate(items)),
    )


def envelope_use(d) -> str:
    """A stacked horizontal bar of the envelope: disbursed, committed not disbursed, allocated not committed, available."""
    envelope = d.position.envelope
    segments, x = [], 0.0
    for key, _label, amount in d.use:
        width = _scale(amount, envelope, WIDTH)
        segments.append((SEGMENT_CLASSES[key], round(x, 2), width))
        x += width
    bar = format_html_join("", '<rect class="{}" x="{}" y="0" width="{}" height="28"/>', segments)
    legend = _legend([(SEGMENT_CLASSES[key], label, amount) for key, label, amount in d.use], 40)
    desc = "; ".join(f"{label}: {money(amount)}" for _key, label, amount in d.use)
    title = _("Use of the envelope of %(amount)s") % {"amount": money(envelope)}
    return _svg("chart-use", 40 + 20 * len(d.use), title, desc, format_html("{}{}", bar, legend))


def calls_bars(calls) -> str:
    """Per call: the allocation as a track, what is committed on it, and what is disbursed on top."""
    largest = max((c.allocated for c in calls), default=Decimal(0))
    rows = format_html_join(
        "",
        '<text class="chart-label" x="0" y="{}">{} · {}</text>'
        '<rect class="chart-allocated" x="0" y="{}" width="{}" height="16"/>'
        '<rect class="chart-committed" x="0" y="{}" width="{}" height="16"/>'
        '<rect class="chart-disbursed" x="0" y="{}" width="{}" height="16"/>',
        (
            (44 + i * 42 + 12, c.call.reference, money(c.allocated),
             44 + i * 42 + 18, _scale(c.allocated, largest, WIDTH),
             44 + i * 42 + 18, _scale(c.committed, largest, WIDTH),
             44 + i * 42 + 18, _scale(c.disbursed, largest, WIDTH))
            for i, c in enumerate(calls)
        ),
    )
    legend = format_html_join(
        "",
        '<rect class="{}" x="{}" y="0" width="12" height="12"/><text class="chart-label" x="{}" y="11">{}</text>',
        ((css, i * 100, i * 100 + 16, label) for i, (css, label) in
         enumerate([("chart-allocated", _("Allocated")), ("chart-committed", _("Committed")), ("chart-disbursed", _("Disbursed"))])),
    )
    desc = "; ".join(
        _("%(call)s: allocated %(a)s, committed %(c)s, disbursed %(d)s")
        % {"call": c.call.reference, "a": money(c.allocated), "c": money(c.committed), "d": money(c.disbursed)}
        for c in calls
    ) or _("No call has been created yet.")
    body = format_html("{}{}", legend, rows)
    return _svg("chart-calls", 44 + 42 * len(calls), _("Allocated, committed and disbursed by call"), desc, body)


def disbursement_line(timeline, *, envelope, committed) -> str:
    """Cumulative net disbursements month by month against the envelope and the committed total."""
    left, right, top, bottom = 4, WIDTH - 4, 44, 206
    ceiling = max([envelope, committed] + [p.cumulative for p in timeline])

    def y(value):
        return round(bottom - _scale(value, ceiling, bottom - top), 2)

    step = (right - left) / max(len(timeline) - 1, 1)
    points = " ".join(f"{round(left + i * step, 2)},{y(p.cumulative)}" for i, p in enumerate(timeline))
    last = timeline[-1] if timeline else None
    guides = format_html(
        '<line class="chart-axis" x1="{l}" y1="{b}" x2="{r}" y2="{b}"/>'
        '<line class="chart-envelope-line" x1="{l}" y1="{ye}" x2="{r}" y2="{ye}"/>'
        '<text class="chart-label" x="{r}" y="{ye_text}" text-anchor="end">{envelope_label}</text>'
        '<line class="chart-committed-line" x1="{l}" y1="{yc}" x2="{r}" y2="{yc}"/>'
        '<text class="chart-label" x="{r}" y="{yc_text}" text-anchor="end">{committed_label}</text>',
        l=left, r=right, b=bottom, ye=y(envelope), ye_text=y(envelope) - 4, yc=y(committed), yc_text=y(committed) - 4,
        envelope_label=_("Envelope %(amount)s") % {"amount": money(envelope)},
        committed_label=_("Committed %(amount)s") % {"amount": money(committed)},
    )
    line = format_html('<polyline class="chart-disbursed-line" points="{}"/>', points) if timeline else ""
    axis = ""
    if timeline:
        axis = format_html(
            '<text class="chart-label" x="{}" y="{}">{}</text><text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>'
            '<text class="chart-label chart-strong" x="{}" y="{}">{}</text>',
            left, bottom + 16, date_format(timeline[0].month, "YEAR_MONTH_FORMAT"),
            right, bottom + 16, date_format(last.month, "YEAR_MONTH_FORMAT"),
            left, 12, _("Disbursed to date %(amount)s") % {"amount": money(last.cumulative)},
        )
    desc = _("Cumulative net disbursements from %(first)s to %(last)s, reaching %(amount)s, against an envelope of %(envelope)s and %(committed)s committed.") % {
        "first": date_format(timeline[0].month, "YEAR_MONTH_FORMAT") if timeline else "",
        "last": date_format(last.month, "YEAR_MONTH_FORMAT") if last else "",
        "amount": money(last.cumulative if last else 0), "envelope": money(envelope), "committed": money(committed),
    }
    return _svg("chart-timeline", bottom + 22, _("Disbursements over time"), desc, format_html("{}{}{}", guides, line, axis))


def ageing_bars(buckets) -> str:
    """Outstanding advances per age bucket, one labelled horizontal bar each (long amounts stay readable)."""
    largest = max((b.amount for b in buckets), default=Decimal(0))
    bars = format_html_join(
        "",
        '<text class="chart-label" x="0" y="{}">{}: {}</text>'
        '<rect class="chart-ageing chart-ageing-{}" x="0" y="{}" width="{}" height="16"/>',
        (
            (i * 42 + 12, b.label, money(b.amount), b.key, i * 42 + 18, _scale(b.amount, largest, WIDTH))
            for i, b in enumerate(buckets)
        ),
    )
    desc = "; ".join(f"{b.label}: {money(b.amount)}" for b in buckets)
    return _svg("chart-ageing", 42 * len(buckets), _("Outstanding advances by age"), desc, bars)
