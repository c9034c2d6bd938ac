"""Shared reportlab set-up for the project's documents: fonts, styles, page template and small builders.

A PDF is a rendering of saved data: callers pass model instances, get bytes back, and tests read the text out.
"""
import io
import os
from datetime import timezone as dt_timezone

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from xml.sax.saxutils import escape

# DejaVu covers Latin, Cyrillic and more (names and places in six languages); Helvetica is the fallback.
_DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
_DEJAVU_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def _fonts():
    if os.path.exists(_DEJAVU) and os.path.exists(_DEJAVU_BOLD):
        if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("DejaVu", _DEJAVU))
            pdfmetrics.registerFont(TTFont("DejaVu-Bold", _DEJAVU_BOLD))
        return "DejaVu", "DejaVu-Bold"
    return "Helvetica", "Helvetica-Bold"


def styles():
    regular, bold = _fonts()
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontName=bold, fontSize=16, leading=20, spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=bold, fontSize=12, leading=15, spaceBefore=8, spaceAfter=4),
        "body": ParagraphStyle("body", parent=base["BodyText"], fontName=regular, fontSize=9.5, leading=12.5),
        "small": ParagraphStyle("small", parent=base["BodyText"], fontName=regular, fontSize=8, leading=10, textColor=colors.grey),
        "cell": ParagraphStyle("cell", parent=base["BodyText"], fontName=regular, fontSize=8.5, leading=10.5),
        "cell_bold": ParagraphStyle("cell_bold", parent=base["BodyText"], fontName=bold, fontSize=8.5, leading=10.5),
        "num": ParagraphStyle("num", parent=base["BodyText"], fontName=regular, fontSize=8.5, leading=10.5, alignment=TA_RIGHT),
        "num_bold": ParagraphStyle("num_bold", parent=base["BodyText"], fontName=bold, fontSize=8.5, leading=10.5, alignment=TA_RIGHT),
    }


def para(text, style):
    """A paragraph of user text: escaped (reportlab reads markup), line breaks kept."""
    return Paragraph(escape(str(text if text is not None else "")).replace("\n", "<br/>"), style)


def eur(amount):
    return "" if amount is None else f"EUR {amount:,.2f}"


def utc(moment):
    return moment.astimezone(dt_timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def table(rows, widths, *, header=True, total_row=False):
    t = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#b8c2cc")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e7eef6")))
    if total_row:
        style.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f2f4f7")))
    t.setStyle(TableStyle(style))
    return t


def facts(pairs, st, widths=(45 * mm, 125 * mm)):
    """A two-column label/value table."""
    return table([[para(k, st["cell_bold"]), para(v, st["cell"])] for k, v in pairs], widths, header=False)


def render(story, *, title, footer):
    """Lay out `story` on A4 with a footer line and page numbers; return the PDF bytes."""
    regular, _bold = _fonts()
    buffer = io.BytesIO()

    def on_page(canvas, doc):
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(15 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"{doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer, pagesize=A4, title=title, author="CSO Grants",
        leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=18 * mm,
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


__all__ = ["Spacer", "eur", "facts", "mm", "para", "render", "styles", "table", "utc"]
