"""The donor's envelope status report: the dashboard's figures as a PDF, dated: the page's four charts (drawn with
reportlab graphics from the same scales as the SVG ones in `charts.py`, mirrored for right-to-left languages) and
its tables. A heading always stays on the page of what it introduces."""
from decimal import Decimal

import arabic_reshaper
from bidi.algorithm import get_display
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from reportlab.graphics.shapes import Drawing, Line, PolyLine, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import KeepTogether

from core.formats import number_text
from core.pdf import Spacer, eur, facts, mm, para, render, rtl, styles, table

from .charts import _scale, timeline_scale

CHART_WIDTH = 170 * mm  # the text width of an A4 page with 15 mm margins
FONT, BOLD, SIZE = "DejaVu", "DejaVu-Bold", 8
COLOURS = {
    "disbursed": colors.HexColor("#0f7b6c"), "committed": colors.HexColor("#0b4f8a"),
    "allocated": colors.HexColor("#8a5a00"), "available": colors.HexColor("#d8dee6"),
    "ink": colors.HexColor("#1d2733"), "muted": colors.HexColor("#5b6878"), "line": colors.HexColor("#d8dee6"),
    "track": colors.HexColor("#eef1f5"), "area": colors.HexColor("#dbefeb"), "danger": colors.HexColor("#b3261e"),
}


class _Chart:
    """A drawing measured from its top-left corner like the SVG charts; in a right-to-left document every x is
    mirrored (bars grow from the right, time runs right to left) and labels are shaped and ordered for display."""

    def __init__(self, height):
        self.width, self.height, self.mirror = CHART_WIDTH, height, rtl()
        self.drawing = Drawing(self.width, height)

    def _x(self, x, w=0):
        return self.width - x - w if self.mirror else x

    def rect(self, x, y, w, h, colour):
        self.drawing.add(Rect(self._x(x, w), self.height - y - h, w, h, fillColor=colour, strokeColor=None))

    def line(self, x1, y1, x2, y2, colour, width=0.8, dash=None):
        self.drawing.add(Line(self._x(x1), self.height - y1, self._x(x2), self.height - y2, strokeColor=colour,
                              strokeWidth=width, strokeDashArray=dash))

    def polyline(self, points, colour, width=1.8):
        flat = [v for x, y in points for v in (self._x(x), self.height - y)]
        self.drawing.add(PolyLine(flat, strokeColor=colour, strokeWidth=width))

    def polygon(self, points, colour):
        flat = [v for x, y in points for v in (self._x(x), self.height - y)]
        self.drawing.add(Polygon(flat, fillColor=colour, strokeColor=None))

    def text(self, x, y, value, *, anchor="start", bold=False, colour=None, size=SIZE):
        """A label whose baseline is `y` from the top; `anchor` is start or end in the reading direction."""
        value = str(value)
        if self.mirror:
            value = get_display(arabic_reshaper.reshape(value), base_dir="R")
        side = {"start": "end", "end": "start"}[anchor] if self.mirror else anchor
        self.drawing.add(String(self._x(x), self.height - y, value, fontName=BOLD if bold else FONT, fontSize=size,
                                fillColor=colour or COLOURS["ink"], textAnchor=side))

    def legend(self, items, y):
        """Colour squares and labels in a row from the start side."""
        x = 0
        for colour, label in items:
            self.rect(x, y - 7, 7, 7, colour)
            self.text(x + 10, y, label)
            x += 10 + len(str(label)) * SIZE * 0.55 + 14


def use_chart(d):
    envelope = d.position.envelope
    chart = _Chart(30 + 14 * 2 + 8)
    x = 0.0
    for key, _label, amount in d.use:
        w = _scale(amount, envelope, chart.width)
        chart.rect(x, 0, w, 18, COLOURS[key])
        x += w
    chart.text(0, 29, "0", colour=COLOURS["muted"])
    chart.text(chart.width, 29, eur(envelope), anchor="end", colour=COLOURS["muted"])
    for i, (key, label, amount) in enumerate(d.use):
        col, row = i % 2, i // 2
        left, top = col * chart.width / 2, 46 + row * 14
        chart.rect(left, top - 7, 7, 7, COLOURS[key])
        chart.text(left + 10, top, f"{label}: {eur(amount)}")
    return chart.drawing


def calls_chart(calls):
    largest = max((c.allocated for c in calls), default=Decimal(0))
    row = 26
    chart = _Chart(row * len(calls) + 18)
    for i, c in enumerate(calls):
        top = i * row
        chart.text(0, top + 9, f"{c.call.reference} · {eur(c.allocated)}")
        for key, amount in (("allocated", c.allocated), ("committed", c.committed), ("disbursed", c.disbursed)):
            chart.rect(0, top + 12, _scale(amount, largest, chart.width), 10, COLOURS[key])
    chart.legend([(COLOURS["allocated"], _("Allocated")), (COLOURS["committed"], _("Committed")),
                  (COLOURS["disbursed"], _("Disbursed"))], row * len(calls) + 12)
    return chart.drawing


def timeline_chart(timeline, *, envelope, committed):
    """As on the page: the axis runs to the committed total rounded up; the envelope is a note above the plot."""
    top, bottom = 38, 138
    chart = _Chart(bottom + 14)
    ceiling = timeline_scale(timeline, committed)

    def y(value):
        return bottom - _scale(value, ceiling, bottom - top)

    last = timeline[-1] if timeline else None
    chart.text(0, 9, _("Disbursed to date %(amount)s") % {"amount": eur(last.cumulative if last else 0)}, bold=True)
    note = _("Envelope %(amount)s, off this scale") if envelope > ceiling else _("Envelope %(amount)s")
    chart.text(0, 21, note % {"amount": eur(envelope)}, colour=COLOURS["muted"])
    for value in (ceiling, ceiling / 2):
        chart.line(0, y(value), chart.width, y(value), COLOURS["line"])
        chart.text(0, y(value) - 2, eur(value), colour=COLOURS["muted"])
    chart.line(0, bottom, chart.width, bottom, COLOURS["muted"])
    if timeline:
        step = chart.width / max(len(timeline) - 1, 1)
        points = [(i * step, y(p.cumulative)) for i, p in enumerate(timeline)]
        chart.polygon([(points[0][0], bottom), *points, (points[-1][0], bottom)], COLOURS["area"])
        chart.polyline(points, COLOURS["disbursed"])
        chart.text(0, bottom + 11, date_format(timeline[0].month, "YEAR_MONTH_FORMAT"))
        chart.text(chart.width, bottom + 11, date_format(last.month, "YEAR_MONTH_FORMAT"), anchor="end")
    chart.line(0, y(committed), chart.width, y(committed), COLOURS["committed"], width=1, dash=[4, 2])
    chart.text(chart.width, y(committed) - 2, _("Committed %(amount)s") % {"amount": eur(committed)}, anchor="end")
    return chart.drawing


def ageing_chart(buckets):
    largest = max((b.amount for b in buckets), default=Decimal(0))
    row = 24
    chart = _Chart(row * len(buckets))
    for i, b in enumerate(buckets):
        top = i * row
        chart.text(0, top + 9, f"{b.label}: {eur(b.amount)}")
        chart.rect(0, top + 12, chart.width, 8, COLOURS["track"])
        chart.rect(0, top + 12, _scale(b.amount, largest, chart.width), 8, COLOURS["danger" if b.key == "gt9" else "allocated"])
    return chart.drawing


def _section(heading, note, *flowables, st):
    """A heading, its note and what follows it first (a chart), kept on one page."""
    parts = [para(heading, st["h2"])] + ([para(note, st["note"])] if note else []) + [*flowables]
    return KeepTogether(parts)


def _amount_table(header, rows, widths, st, total=None):
    """A table of a label column and amount columns; `total` is an optional last row of the same shape."""
    data = [[para(h, st["cell_bold"]) for h in header]]
    body = rows + ([total] if total else [])
    for i, row in enumerate(body):
        bold = total is not None and i == len(body) - 1
        data.append([para(row[0], st["cell_bold" if bold else "cell"])]
                    + [para(v if isinstance(v, str) else eur(v), st["num_bold" if bold else "num"]) for v in row[1:]])
    return table(data, widths, total_row=total is not None)


def _exchange_section(x, st) -> list:
    """The exchange differences by country (disbursements.exchange), and how many payments could not be valued."""
    if not x.applies:
        return []
    story = [
        para(_("Exchange differences"), st["h2"]),
        para(_("Grants reporting in another currency than EUR: the local currency received less the same euros at the "
               "programme's rate for the month of the value date, divided by that rate. Positive is a gain, negative a loss."),
             st["note"]),
        _amount_table(
            [_("Country"), _("Gains"), _("Losses"), _("Net")],
            [[c.label, c.gains, c.losses, c.net] for c in x.countries],
            (74 * mm, 32 * mm, 32 * mm, 32 * mm), st,
            total=[_("Total"), x.gains, x.losses, x.net],
        ),
    ]
    missing = sum(m.payments for m in x.missing_rates)
    if missing:
        story.append(para(ngettext("%(n)s payment is not valued: its month has no programme rate.",
                                   "%(n)s payments are not valued: their month has no programme rate.", missing) % {"n": missing},
                          st["small"]))
    if x.missing_local:
        n = len(x.missing_local)
        story.append(para(ngettext("%(n)s payment is not valued: its local amount was not recorded.",
                                   "%(n)s payments are not valued: their local amount was not recorded.", n) % {"n": n},
                          st["small"]))
    return story


def status_report_pdf(d) -> bytes:
    st = styles()
    # A note under a heading stays with what it introduces, as the heading does (core.pdf "h2").
    st["note"] = ParagraphStyle("note", parent=st["small"], keepWithNext=1)
    p = d.position
    programme = d.programme
    day = date_format(d.as_of, "DATE_FORMAT")
    story = [
        para(_("%(programme)s: envelope status report") % {"programme": programme.short_name}, st["title"]),
        para(_("%(name)s. Donor: %(donor)s. Managed by %(agency)s. Report date: %(day)s. All amounts in EUR.")
             % {"name": programme.name, "donor": programme.donor, "agency": programme.agency, "day": day}, st["small"]),
        Spacer(1, 3 * mm),
        _section(_("Overall"), None, use_chart(d), Spacer(1, 2 * mm), st=st),
        facts([
            (_("Envelope"), eur(p.envelope)),
            (_("Allocated to calls"), eur(p.allocated)),
            (_("Committed to grants"), eur(p.committed)),
            (_("Disbursed (net of reversals and recoveries)"), eur(p.disbursed)),
            (_("Available to allocate"), eur(p.available)),
            (_("Committed, not disbursed"), eur(d.committed_not_disbursed)),
            (_("Outstanding advances (paid, not yet justified)"), eur(d.ageing.total)),
        ], st),
        _section(_("By call"), None, calls_chart(p.calls), Spacer(1, 2 * mm), st=st),
        _amount_table(
            [_("Call"), _("Allocated"), _("Committed"), _("Disbursed"), _("Available")],
            [[f"{c.call.reference} {c.call.title}", c.allocated, c.committed, c.disbursed, c.available] for c in p.calls],
            (46 * mm, 31 * mm, 31 * mm, 31 * mm, 31 * mm), st,
            total=[_("Total"), p.allocated, p.committed, p.disbursed, d.allocated_not_committed],
        ),
    ]
    for heading, column, rows in ((_("By country"), _("Country"), d.by_country), (_("By objective"), _("Objective"), d.by_objective)):
        story += [
            para(heading, st["h2"]),
            para(_("Allocated: per call only."), st["note"]),
            _amount_table(
                [column, _("Committed"), _("Disbursed"), _("Not yet disbursed")],
                [[r.label, r.committed, r.disbursed, r.undisbursed] for r in rows],
                (74 * mm, 32 * mm, 32 * mm, 32 * mm), st,
                total=[_("Total"), p.committed, p.disbursed, d.committed_not_disbursed],
            ),
        ]
    story += [
        _section(_("Disbursements by month"),
                 _("Payments count in the month of their value date; reversals in the month they were recorded."),
                 timeline_chart(d.timeline, envelope=p.envelope, committed=p.committed), Spacer(1, 2 * mm), st=st),
        _amount_table(
            [_("Month"), _("Net disbursed"), _("Cumulative"), _("Share of the envelope")],
            [[date_format(m.month, "YEAR_MONTH_FORMAT"), m.net, m.cumulative,
              f"{number_text(m.cumulative * 100 / p.envelope, 1)} %" if p.envelope else ""] for m in d.months_with_movement],
            (58 * mm, 38 * mm, 38 * mm, 36 * mm), st,
        ),
        _section(_("Outstanding advances by age"),
                 _("Approved expenditure clears the oldest payments first; the rest ages from its value date, in whole months."),
                 ageing_chart(d.ageing.buckets), Spacer(1, 2 * mm), st=st),
        _amount_table(
            [_("Age"), _("Outstanding")],
            [[str(b.label), b.amount] for b in d.ageing.buckets],
            (86 * mm, 38 * mm), st,
            total=[_("Total"), d.ageing.total],
        ),
    ]
    if d.ageing.advances:
        story += [
            para(_("Outstanding advances by grant"), st["h2"]),
            _amount_table(
                [_("Grant"), _("Paid"), _("Approved expenditure"), _("Outstanding"), _("Oldest unjustified payment")],
                [[f"{a.reference} {a.organisation}", a.paid, a.approved, a.outstanding,
                  ngettext("%(day)s (%(months)s month)", "%(day)s (%(months)s months)", a.age_months)
                  % {"day": date_format(a.oldest, "DATE_FORMAT"), "months": a.age_months}]
                 for a in d.ageing.advances],
                (50 * mm, 31 * mm, 31 * mm, 31 * mm, 37 * mm), st,
            ),
        ]
    story += _exchange_section(d.exchange, st)
    title = _("Envelope status report")
    return render(story, title=title, footer=f"{programme.code} · {title} · {day}")
