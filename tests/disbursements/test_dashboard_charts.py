"""The dashboard's charts: on a scale where payments show, without inline styles, the same in the PDF status report
(read back with pypdf), mirrored for Arabic."""
import io
import re
from datetime import date
from decimal import Decimal as D

import pypdf
import pytest
from django.utils import translation

from disbursements import charts
from disbursements.dashboard import dashboard
from disbursements.dashboard_pdf import status_report_pdf

from .test_dashboard_pages import paid  # noqa: F401 - the fixture: one grant, 80,000 paid, 30,000 justified

needs_payments = pytest.mark.usefixtures("paid")


@pytest.mark.parametrize("value, top", [
    ("0", "1"), ("80000", "80000"), ("100000", "100000"), ("100000.01", "120000"), ("514103.29", "600000"),
    ("295609.40", "300000"), ("7", "8"), ("1000000", "1000000"),
])
def test_axis_top_is_the_next_round_figure(value, top):
    assert charts.nice_ceiling(D(value)) == D(top)


def _pdf_text(data):
    return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


@needs_payments
def test_timeline_is_scaled_to_what_is_committed_not_to_the_envelope(programme):
    d = dashboard(programme, as_of=date(2026, 7, 1))
    svg = str(charts.disbursement_line(d.timeline, envelope=d.position.envelope, committed=d.position.committed))
    # 80,000 paid of 100,000 committed in an envelope of 1,000,000: the axis runs to 100,000, so the line climbs 80%
    # of the plot's height instead of 8%.
    top, bottom = charts.TIMELINE["top"], charts.TIMELINE["bottom"]
    points = [float(y) for y in re.findall(r',([\d.]+)', re.search(r'<polyline[^>]*points="([^"]+)"', svg).group(1))]
    assert min(points) == pytest.approx(bottom - 0.8 * (bottom - top), abs=0.1)
    assert "Envelope €1,000,000.00, off this scale" in svg and "Committed €100,000.00" in svg
    assert "€50,000.00" in svg  # the half-way grid line


@needs_payments
def test_charts_use_classes_not_inline_styles(programme):
    d = dashboard(programme)
    for svg in (charts.envelope_use(d), charts.calls_bars(d.position.calls), charts.ageing_bars(d.ageing.buckets),
                charts.disbursement_line(d.timeline, envelope=d.position.envelope, committed=d.position.committed)):
        assert "style=" not in str(svg) and 'viewBox="0 0 300 ' in str(svg)


@needs_payments
def test_pdf_status_report_draws_the_four_charts(programme):
    text = _pdf_text(status_report_pdf(dashboard(programme, as_of=date(2026, 7, 1))))
    # the envelope bar's scale, and its legend with the four parts that add up to the envelope
    assert "Disbursed: €80,000.00" in text and "Committed, not disbursed: €20,000.00" in text
    assert "Available to allocate: €" in text
    # the call bars, labelled with the allocation, and their legend
    assert re.search(r"C7 · €[\d,]+\.00", text)
    # the disbursement line on the committed scale, the envelope as a note
    assert "Disbursed to date €80,000.00" in text and "Envelope €1,000,000.00, off this scale" in text
    assert "Committed €100,000.00" in text and "€50,000.00" in text and "January 2026" in text
    # the ageing bars
    assert "3 to 6 months: €50,000.00" in text or "Under 3 months: €" in text


@needs_payments
def test_pdf_headings_stay_with_their_charts(programme, monkeypatch):
    """Each section with a chart is one block: its heading cannot be left alone at the foot of a page."""
    from reportlab.platypus import KeepTogether

    from disbursements import dashboard_pdf

    stories = []
    monkeypatch.setattr(dashboard_pdf, "render", lambda story, **kw: stories.append(story) or b"")
    status_report_pdf(dashboard(programme))
    blocks = [f for f in stories[0] if isinstance(f, KeepTogether)]
    assert len(blocks) == 4
    for block in blocks:
        kinds = [type(f).__name__ for f in block._content]
        assert kinds[0] == "Paragraph" and "Drawing" in kinds


@needs_payments
def test_arabic_charts_are_mirrored(programme):
    from reportlab.graphics.shapes import Rect

    from disbursements.dashboard_pdf import CHART_WIDTH, calls_chart

    d = dashboard(programme, as_of=date(2026, 7, 1))

    def first_bar():
        return next(s for s in calls_chart(d.position.calls).contents if isinstance(s, Rect))

    bar = first_bar()
    assert bar.x == 0  # left to right: the bars grow from the left margin
    with translation.override("ar"):
        data = status_report_pdf(d)
        svg = str(charts.calls_bars(d.position.calls))
        bar = first_bar()
    assert bar.x + bar.width == pytest.approx(CHART_WIDTH)  # Arabic: from the right margin
    assert 'transform="matrix(-1 0 0 1 300 0)"' in svg
    text = _pdf_text(data)
    assert "80,000.00" in text and "C7" in text
