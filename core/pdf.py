"""Shared reportlab set-up for the project's documents: fonts, styles, page template and small builders.

A PDF is a rendering of saved data: callers pass model instances, get bytes back, and tests read the text out. It is
written in the active language (callers wrap it in `translation.override`), amounts and dates through core.formats.
Right-to-left languages get mirrored tables, right-aligned text and Arabic shaped and ordered for display: reportlab
draws glyphs left to right as given, so each wrapped line is reshaped (joining forms) and reordered (Unicode bidi).
"""
import io
from pathlib import Path

import arabic_reshaper
from bidi import get_base_level
from bidi.algorithm import get_display  # the Python implementation mirrors brackets, "(24 months)" stays readable
from django.utils import translation
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.lib.utils import simpleSplit
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from xml.sax.saxutils import escape

from core.formats import date_text, money_text, utc_text


# DejaVu Sans covers Latin, Cyrillic and Arabic (with its presentation forms) in one face, in regular and bold. It
# ships with the project (core/fonts, DejaVu's free licence beside it), so documents look the same on every machine.
FONTS = Path(__file__).resolve().parent / "fonts"


def _fonts():
    if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVu", str(FONTS / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(FONTS / "DejaVuSans-Bold.ttf")))
    return "DejaVu", "DejaVu-Bold"


def rtl() -> bool:
    return translation.get_language_bidi()


class _VisualParagraph(Paragraph):
    """A paragraph of right-to-left text: wrapped in logical order at the width it is given, then each line shaped
    and put in display order, so line breaks fall where a reader of Arabic expects them."""

    def __init__(self, text, style, bulletText=None, frags=None, **kwargs):
        # reportlab's split() builds the halves from frags, already in display order.
        self._logical = None if frags is not None else arabic_reshaper.reshape(str(text))
        super().__init__(escape(self._logical or ""), style, bulletText, frags, **kwargs)

    def wrap(self, availWidth, availHeight):
        if self._logical is not None:
            # The paragraph's own direction, from its first strong letter (like HTML's dir="auto"): an English name
            # in an Arabic document keeps its full stop at its end. Every wrapped line is then ordered in it.
            base = "L" if _direction(self._logical) == "ltr" else "R"
            lines = []
            for part in self._logical.split("\n"):
                lines.extend(simpleSplit(part, self.style.fontName, self.style.fontSize, max(availWidth, 1)) or [""])
            Paragraph.__init__(self, "<br/>".join(escape(get_display(line, base_dir=base)) for line in lines), self.style)
        return super().wrap(availWidth, availHeight)


def _direction(text) -> str:
    try:
        return "ltr" if get_base_level(text) == 0 else "rtl"
    except ValueError:  # an empty paragraph: the document's direction
        return "rtl"


def styles():
    regular, bold = _fonts()
    base = getSampleStyleSheet()
    align = TA_RIGHT if rtl() else TA_LEFT
    found = {
        "title": ParagraphStyle("title", parent=base["Title"], fontName=bold, fontSize=16, leading=20, spaceAfter=6),
        # A heading never stands alone at the foot of a page: it moves on with what it introduces.
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=bold, fontSize=12, leading=15, spaceBefore=8, spaceAfter=4,
                             keepWithNext=1),
        "body": ParagraphStyle("body", parent=base["BodyText"], fontName=regular, fontSize=9.5, leading=12.5),
        "small": ParagraphStyle("small", parent=base["BodyText"], fontName=regular, fontSize=8, leading=10, textColor=colors.grey),
        "cell": ParagraphStyle("cell", parent=base["BodyText"], fontName=regular, fontSize=8.5, leading=10.5),
        "cell_bold": ParagraphStyle("cell_bold", parent=base["BodyText"], fontName=bold, fontSize=8.5, leading=10.5),
        "num": ParagraphStyle("num", parent=base["BodyText"], fontName=regular, fontSize=8.5, leading=10.5, alignment=TA_RIGHT),
        "num_bold": ParagraphStyle("num_bold", parent=base["BodyText"], fontName=bold, fontSize=8.5, leading=10.5, alignment=TA_RIGHT),
    }
    for name, style in found.items():
        if not name.startswith("num"):
            style.alignment = align
    return found


def para(text, style):
    """A paragraph of user text: escaped (reportlab reads markup), line breaks kept."""
    text = str(text if text is not None else "")
    if rtl():
        return _VisualParagraph(text, style)
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def eur(amount):
    """An amount in the document's language ("10 000,00 €" in French)."""
    return money_text(amount)


def day(value):
    """A date in the document's language ("1 février 2027")."""
    return date_text(value)


def utc(moment):
    """A moment in UTC, in the document's language, marked UTC."""
    return utc_text(moment)


def table(rows, widths, *, header=True, total_row=False):
    """A grid; in a right-to-left document its columns run from the right."""
    if rtl():
        rows, widths = [list(reversed(row)) for row in rows], list(reversed(widths))
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
        if rtl():
            canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, get_display(arabic_reshaper.reshape(footer), base_dir="R"))
            canvas.drawString(15 * mm, 10 * mm, f"{doc.page}")
        else:
            canvas.drawString(15 * mm, 10 * mm, footer)
            canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, f"{doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer, pagesize=A4, title=title, author="CSO Grants",
        leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=18 * mm,
    )
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()


__all__ = ["Spacer", "day", "eur", "facts", "mm", "para", "render", "styles", "table", "utc"]
