"""Obvious personal data in an uploaded document, found before it is saved: passport numbers (after the word
passport in any of the six languages), passport machine-readable zones (`P<NGA…`) and dates of birth (a date after
"DOB", "date of birth", "né(e) le", "fecha de nacimiento", "дата рождения", "تاريخ الميلاد", … or in a table column
so headed).

Only what can be read safely and in bounded time and memory is read:

- plain text and CSV: the first TEXT_MAX_BYTES;
- PDF: the text pypdf extracts from the first PDF_MAX_PAGES pages (none started after PDF_MAX_SECONDS), each stream
  decoded to at most PDF_MAX_DECODED_BYTES;
- DOCX, XLSX, ODT, ODS (zip archives): only the XML parts that hold the text, each read through the decompressor
  to at most ZIP_MEMBER_MAX_BYTES and ZIP_TOTAL_MAX_BYTES in all (never extracted to disk, never more than the cap
  decompressed, whatever the archive declares); the XML is read with regular expressions, not a parser, so no
  entity or nesting trick applies;
- anything else (images, unknown types): not read (`Scan.skipped`).

At most TEXT_MAX_CHARS characters are scanned in all; `Scan.truncated` says the cap was reached. What is found is
described by its kind and place (page, line, sheet and row) with the value masked: it is never shown whole.

Pure: no database, no request; `scan_upload` takes a file object (read from the start, position restored).
"""
import csv
import html
import io
import re
import time
import zipfile
from dataclasses import dataclass, field

import pypdf
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import DomainError

TEXT_MAX_BYTES = 2 * 1024 * 1024
TEXT_MAX_CHARS = 2_000_000
PDF_MAX_PAGES = 50
PDF_MAX_DECODED_BYTES = 8 * 1024 * 1024  # one stream, decoded
PDF_MAX_SECONDS = 5.0  # pages are not started after this long
ZIP_MEMBER_MAX_BYTES = 8 * 1024 * 1024
ZIP_TOTAL_MAX_BYTES = 24 * 1024 * 1024
ZIP_MAX_PARTS = 40  # XML parts read (a workbook's sheets, a document's headers and footers)
MAX_FINDINGS = 50

PASSPORT, MRZ, BIRTH_DATE = "passport", "mrz", "birth_date"

# "Passport" in the six languages, then only punctuation and words that say "number" ("no.", "n°", "núm.", "номер",
# "رقم", "of the holder"…), then the number: up to three letters, digits with a few letters among them ("19AB12345"),
# at least six digits, no spaces (so "Passport and visa costs: 1 200 000" or "passport fees 150000 XOF" are not read).
_NUMBER_WORDS = (
    r"(?:[\s:.#,()-]|№|n[°º]\.?|\b(?:no|nr|num|number|numéro|numero|número|núm|nro|номер|рег|رقم|de|du|do|of|the|"
    r"holder'?s?|titulaire|titular)\b)*"
)
_PASSPORT = re.compile(
    r"(?:passports?|passeports?|pasaportes?|passaportes?|паспорт\w*|جواز\s+(?:ال)?سفر)"
    rf"{_NUMBER_WORDS}"
    r"(?<![\w])((?:[A-ZА-Я]{1,3}[ -]?)?\d[A-Z0-9]{0,3}\d{3,12}[A-Z]?)(?![\w])",
    re.IGNORECASE,
)
# ICAO 9303 passport MRZ: line 1 "P<NGADOE<<JOHN<<<…", line 2 number, nationality, birth date, sex, expiry.
# A Russian passport's series and number: "серия 45 06 номер 123456", "паспорт 4506 123456".
_PASSPORT_SERIES = re.compile(
    r"(?:(?:серия|сер\.)\s*(\d{2}\s?\d{2})\s*(?:№|номер|N)\s*|паспорт\w*[\s:№]*(\d{2}\s?\d{2})\s+)(\d{6})\b",
    re.IGNORECASE,
)
_MRZ_LINE1 = re.compile(r"\bP[A-Z<][A-Z<]{3}[A-Z]+<<[A-Z<]{3,}")
_MRZ_LINE2 = re.compile(r"\b[A-Z0-9<]{9}\d[A-Z<]{3}\d{6}\d[MFX<]\d{6}\d")
_BIRTH_LABEL = (
    r"\b(?:d\.?\s?o\.?\s?b\b\.?|date\s+of\s+birth|birth\s*date|born(?:\s+on)?\b"
    r"|n[ée]e?\s*(?:\(e\)\s*)?le\b|date\s+de\s+naissance"
    r"|fecha\s+de\s+nacimiento|nacid[oa]\s+el\b|f\.\s?nac\."
    r"|дата\s+рождения|д\.\s?р\.|родил(?:ся|ась)"
    r"|data\s+de\s+nascimento|nascid[oa]\s+(?:em|a)\b"
    r"|تاريخ\s+(?:ال)?(?:ميلاد|ولادة)|مواليد)"
)
_MONTH_DATE = r"\d{1,2}(?:er|º|°)?\.?\s+(?:de\s+)?[^\W\d_]{3,12}\.?\s+(?:de\s+)?\d{4}"
_DATE = rf"(?:\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}|\d{{1,2}}[-/.]\d{{1,2}}[-/.]\d{{2,4}}|{_MONTH_DATE}|[^\W\d_]{{3,9}}\.?\s+\d{{1,2}},?\s+\d{{4}})"
_BIRTH = re.compile(rf"(?:{_BIRTH_LABEL})[^\d\n]{{0,25}}?({_DATE})", re.IGNORECASE)
_BIRTH_HEADER = re.compile(rf"^\s*(?:{_BIRTH_LABEL})\s*[:.]?\s*$", re.IGNORECASE)
_DATE_CELL = re.compile(rf"^\s*{_DATE}\s*$")
_SERIAL_DATE = re.compile(r"^\s*\d{4,5}(?:\.0+)?\s*$")  # a spreadsheet's date is a day number (1900 system)

_XML_TAG = re.compile(r"<[^>]{0,2000}>")
_DOCX_BREAKS = re.compile(r"</w:p>|</w:tr>|<w:br\b[^>]{0,200}/>|<w:cr\s*/>")
_DOCX_TABS = re.compile(r"<w:tab\s*/>|</w:p>\s*</w:tc>")  # a table's row reads as one line of cells
_DOCX_PARTS = re.compile(r"^word/(?:document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml$")
_XLSX_SHEET = re.compile(r"^xl/worksheets/sheet(\d{1,4})\.xml$")
_XLSX_ROW = re.compile(r"<row\b([^>]{0,2000}?)(?<!/)>(.*?)</row>", re.S)
_XLSX_CELL = re.compile(r"<c\b([^>]{0,2000}?)(?:/>|>(.*?)</c>)", re.S)
_XLSX_SI = re.compile(r"<si\b[^>]{0,200}>(.*?)</si>", re.S)
_XLSX_T = re.compile(r"<t\b[^>]{0,200}>(.*?)</t>", re.S)
_XLSX_V = re.compile(r"<v\b[^>]{0,200}>(.*?)</v>", re.S)
_ATTR = re.compile(r'\b([\w:]+)="([^"]{0,200})"')
_ODF_ROW = re.compile(r"<table:table-row\b[^>]{0,2000}>(.*?)</table:table-row>", re.S)
_ODF_CELL = re.compile(r"<table:table-cell\b([^>]{0,2000}?)(?:/>|>(.*?)</table:table-cell>)", re.S)
_ODF_BREAKS = re.compile(r"</text:p>|</text:h>|<text:line-break\s*/>")


@dataclass(frozen=True)
class Finding:
    kind: str  # PASSPORT, MRZ or BIRTH_DATE
    masked: str  # the value with all but its last characters hidden
    line: int | None = None  # line, paragraph or row (from 1)
    page: int | None = None  # PDF page (from 1)
    sheet: str = ""  # spreadsheet sheet

    def label(self) -> str:
        return {PASSPORT: _("Passport number"), MRZ: _("Passport machine-readable zone"),
                BIRTH_DATE: _("Date of birth")}[self.kind]

    def place(self) -> str:
        if self.page and self.line:
            return _("page %(page)s, line %(line)s") % {"page": self.page, "line": self.line}
        if self.sheet and self.line:
            return _("sheet %(sheet)s, row %(row)s") % {"sheet": self.sheet, "row": self.line}
        if self.line:
            return _("line %(line)s") % {"line": self.line}
        return ""

    def describe(self) -> str:
        """"Passport number •••••••78 (page 2, line 14)": for the person, in their language."""
        place = self.place()
        if place:
            return _("%(kind)s %(value)s (%(place)s)") % {"kind": self.label(), "value": self.masked, "place": place}
        return _("%(kind)s %(value)s") % {"kind": self.label(), "value": self.masked}

    def as_data(self) -> dict:
        """For the audit trail: kind, place and the masked value, never the value itself."""
        return {"kind": self.kind, "masked": self.masked, "page": self.page, "line": self.line, "sheet": self.sheet}


@dataclass
class Scan:
    findings: list = field(default_factory=list)
    read: str = ""  # what was read: "text", "pdf", "docx", "xlsx", "odt", "ods", or "" when nothing
    skipped: bool = False  # a type we do not read
    unreadable: bool = False  # a readable type that could not be read (damaged, encrypted)
    truncated: bool = False  # a cap was reached: only the start was scanned


def mask(value, keep=2) -> str:
    """Every letter and digit hidden but the last `keep`; separators kept so the shape reads."""
    value = " ".join(value.split())
    total = sum(c.isalnum() for c in value)
    shown, out = 0, []
    for c in value:
        if c.isalnum():
            shown += 1
            out.append(c if shown > total - keep else "•")
        else:
            out.append(c)
    return "".join(out)


# ---- scanning text ------------------------------------------------------------------------------------------------


def _digits(text):
    return sum(c.isdigit() for c in text)


def scan_rows(rows, *, page=None, sheet="", first_line=1) -> list[Finding]:
    """Findings in rows of cells (a text's lines are rows of one cell). A column headed "date of birth" (or any of
    its labels) makes each date or spreadsheet day number below it a finding. Rows are (line number, cells) pairs
    or plain lists of cells numbered from `first_line`."""
    findings = []
    birth_columns: set[int] = set()
    for index, row in enumerate(rows):
        number, cells = row if isinstance(row, tuple) else (first_line + index, row)
        text = "  ".join(cells)
        here = {"line": number, "page": page, "sheet": sheet}
        for m in _PASSPORT.finditer(text):
            if _digits(m.group(1)) >= 6:
                findings.append(Finding(PASSPORT, mask(m.group(1)), **here))
        for m in _PASSPORT_SERIES.finditer(text):
            findings.append(Finding(PASSPORT, mask(f"{m.group(1) or m.group(2)} {m.group(3)}"), **here))
        for m in _MRZ_LINE1.finditer(text):
            findings.append(Finding(MRZ, m.group(0)[:5] + "•" * min(len(m.group(0)) - 5, 12), **here))
        for m in _MRZ_LINE2.finditer(text):
            findings.append(Finding(MRZ, mask(m.group(0)[:9]), **here))
        labelled = False
        for m in _BIRTH.finditer(text):
            labelled = True
            findings.append(Finding(BIRTH_DATE, mask(m.group(1), keep=0), **here))
        if len(cells) > 1 or birth_columns:
            headers = {i for i, cell in enumerate(cells) if _BIRTH_HEADER.match(cell or "")}
            if headers:
                birth_columns = headers
            elif not labelled:
                for i in birth_columns:
                    cell = cells[i] if i < len(cells) else ""
                    if _DATE_CELL.match(cell) or (sheet and _SERIAL_DATE.match(cell)):
                        findings.append(Finding(BIRTH_DATE, mask(cell, keep=0), **here))
        if len(findings) >= MAX_FINDINGS:
            break
    return findings[:MAX_FINDINGS]


def scan_text(text, *, page=None) -> list[Finding]:
    """Findings in plain text, line by line (tabs and semicolons or commas of a table are read as cells)."""
    return scan_rows([_cells(line) for line in text.splitlines()], page=page)


def _cells(line):
    for separator in ("\t", ";"):
        if separator in line:
            return line.split(separator)
    return [line]


# ---- reading files, bounded ---------------------------------------------------------------------------------------


class _Budget:
    """Characters still to scan."""

    def __init__(self):
        self.left = TEXT_MAX_CHARS
        self.truncated = False

    def take(self, text):
        if len(text) > self.left:
            self.truncated = True
            text = text[: self.left]
        self.left -= len(text)
        return text


def _read_text(data, name, budget, scan):
    text = data.decode("utf-8-sig", errors="replace")
    text = budget.take(text)
    if name.lower().endswith(".csv"):
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        rows = csv.reader(io.StringIO(text), dialect)
        scan.findings = scan_rows(list(rows))
    else:
        scan.findings = scan_text(text)


def _read_pdf(data, budget, scan):
    limit = PDF_MAX_DECODED_BYTES
    with pypdf.apply_configuration(
        zlib_maximum_output_length=limit, lzw_maximum_output_length=limit,
        run_length_maximum_output_length=limit, brotli_maximum_output_length=limit,
    ):
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")
        pages = reader.pages
        if len(pages) > PDF_MAX_PAGES:
            scan.truncated = True
        started = time.monotonic()
        for number in range(min(len(pages), PDF_MAX_PAGES)):
            if time.monotonic() - started > PDF_MAX_SECONDS:
                scan.truncated = True
                break
            text = budget.take(pages[number].extract_text() or "")
            scan.findings += scan_text(text, page=number + 1)
            if budget.left <= 0 or len(scan.findings) >= MAX_FINDINGS:
                break


def _member(archive, info, budget_bytes):
    """The member's text, decompressed through the stream to at most the caps (declared sizes are not trusted)."""
    cap = min(ZIP_MEMBER_MAX_BYTES, budget_bytes)
    with archive.open(info) as stream:
        raw = stream.read(cap + 1)
    return raw[:cap].decode("utf-8", errors="replace"), len(raw) > cap


def _plain(xml):
    return html.unescape(_XML_TAG.sub("", xml))


def _zip_parts(archive, wanted):
    """[(name, text)] of the members `wanted` chooses, in order, within the caps, and whether a cap was reached."""
    parts, total, truncated = [], 0, False
    chosen = [i for i in archive.infolist() if wanted(i.filename)]
    if len(chosen) > ZIP_MAX_PARTS:
        chosen, truncated = chosen[:ZIP_MAX_PARTS], True
    for info in chosen:
        left = ZIP_TOTAL_MAX_BYTES - total
        if left <= 0:
            return parts, True
        text, cut = _member(archive, info, left)
        total += len(text.encode("utf-8", errors="replace"))
        truncated |= cut
        parts.append((info.filename, text))
    return parts, truncated


def _read_docx(archive, budget, scan):
    parts, scan.truncated = _zip_parts(archive, lambda n: bool(_DOCX_PARTS.match(n)))
    parts.sort(key=lambda p: p[0] != "word/document.xml")  # the body first
    line = 0
    for _name, xml in parts:
        xml = _DOCX_BREAKS.sub("\n", _DOCX_TABS.sub("\t", xml))
        text = budget.take(_plain(xml))
        rows = [(line + i + 1, _cells(t)) for i, t in enumerate(text.split("\n"))]
        line += len(rows)
        scan.findings += scan_rows(rows)


def _read_xlsx(archive, budget, scan):
    sheets = {}
    parts, scan.truncated = _zip_parts(archive, lambda n: n == "xl/sharedStrings.xml" or bool(_XLSX_SHEET.match(n)))
    shared = []
    for name, xml in parts:
        if name == "xl/sharedStrings.xml":
            shared = [html.unescape("".join(_XLSX_T.findall(si))) for si in _XLSX_SI.findall(xml)]
        else:
            sheets[int(_XLSX_SHEET.match(name).group(1))] = xml
    for number in sorted(sheets):
        rows = []
        for index, (attrs, body) in enumerate(_XLSX_ROW.findall(sheets[number]), start=1):
            row_number = dict(_ATTR.findall(attrs)).get("r", "")
            cells = []
            for cell_attrs, cell_body in _XLSX_CELL.findall(body):
                kind = dict(_ATTR.findall(cell_attrs)).get("t", "")
                if kind == "inlineStr":
                    value = html.unescape("".join(_XLSX_T.findall(cell_body or "")))
                else:
                    found = _XLSX_V.findall(cell_body or "")
                    value = html.unescape(found[0]) if found else ""
                    if kind == "s" and value.isdigit():
                        value = shared[int(value)] if int(value) < len(shared) else ""
                cells.append(budget.take(value))
            rows.append((int(row_number) if row_number.isdigit() else index, cells))
        scan.findings += scan_rows(rows, sheet=str(number))
        if budget.left <= 0:
            break


def _read_odf(archive, kind, budget, scan):
    parts, scan.truncated = _zip_parts(archive, lambda n: n == "content.xml")
    for _name, xml in parts:
        if kind == "ods":
            rows = []
            for index, body in enumerate(_ODF_ROW.findall(xml), start=1):
                cells = []
                for attrs, cell_body in _ODF_CELL.findall(body):
                    values = dict(_ATTR.findall(attrs))
                    cells.append(budget.take(values.get("office:date-value") or _plain(cell_body or "").strip()))
                rows.append((index, cells))
            scan.findings += scan_rows(rows, sheet="1")
        else:
            scan.findings += scan_text(budget.take(_plain(_ODF_BREAKS.sub("\n", xml))))


def scan_upload(uploaded, kind=None) -> Scan:
    """Scan an uploaded file (any object with read/seek and a name). `kind` is core.uploads' kind of the file when
    known; a file of no kind whose name ends .txt or .csv is read as text. Never raises on bad input: a damaged
    document comes back `unreadable`."""
    from core.uploads import sniff_kind  # core.uploads is heavier and validates; this only reads

    name = getattr(uploaded, "name", "") or ""
    position = uploaded.tell() if hasattr(uploaded, "tell") else 0
    scan, budget = Scan(), _Budget()
    try:
        if kind is None:
            try:
                kind = sniff_kind(uploaded)
            except Exception:  # an archive beyond core.uploads' bounds: validation refuses it, we do not read it
                scan.unreadable = True
                return scan
        uploaded.seek(0)
        if kind is None and name.lower().endswith((".txt", ".csv")):
            data = uploaded.read(TEXT_MAX_BYTES + 1)
            scan.truncated = len(data) > TEXT_MAX_BYTES
            scan.read = "text"
            _read_text(data[:TEXT_MAX_BYTES], name, budget, scan)
        elif kind == "pdf":
            scan.read = "pdf"
            _read_pdf(uploaded.read(), budget, scan)
        elif kind in ("docx", "xlsx", "odt", "ods"):
            scan.read = kind
            with zipfile.ZipFile(uploaded) as archive:
                if kind == "docx":
                    _read_docx(archive, budget, scan)
                elif kind == "xlsx":
                    _read_xlsx(archive, budget, scan)
                else:
                    _read_odf(archive, kind, budget, scan)
        else:
            scan.skipped = True
    except Exception:  # pypdf, zipfile, zlib and csv raise many kinds of error on damaged input
        scan.unreadable = True
    finally:
        uploaded.seek(position)
    scan.truncated |= budget.truncated
    scan.findings = scan.findings[:MAX_FINDINGS]
    return scan


# ---- before saving --------------------------------------------------------------------------------------------------

SHOWN_FINDINGS = 10  # listed on the form; the rest are counted


class PersonalDataFound(DomainError):
    """The upload seems to hold personal data; it is saved only once the uploader confirms (`findings`)."""

    def __init__(self, findings):
        super().__init__(
            ngettext(
                "This file seems to hold personal data (%(n)s finding). Remove it from the document and upload it "
                "again, or confirm below that it is not personal data or that the programme needs it.",
                "This file seems to hold personal data (%(n)s findings). Remove them from the document and upload it "
                "again, or confirm below that they are not personal data or that the programme needs them.",
                len(findings),
            ) % {"n": len(findings)},
            code="personal_data", field="file",
        )
        self.findings = findings

    def lines(self) -> list[str]:
        """What was found, for the person, one line each: kind, masked value and place."""
        shown = [f.describe() for f in self.findings[:SHOWN_FINDINGS]]
        rest = len(self.findings) - len(shown)
        if rest > 0:
            shown.append(ngettext("and %(n)s more", "and %(n)s more", rest) % {"n": rest})
        return shown


def check_upload(uploaded, kind=None, *, confirmed=False) -> Scan:
    """For an upload service, before it saves: the scan, or PersonalDataFound when something was found and the
    uploader has not confirmed. A file that cannot be read is not a finding (core.uploads judged it)."""
    scan = scan_upload(uploaded, kind)
    if scan.findings and not confirmed:
        raise PersonalDataFound(scan.findings)
    return scan
