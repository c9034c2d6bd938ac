"""core.personal_data: passport numbers, machine-readable zones and dates of birth found in hand-written samples in
the six languages, in real PDF, DOCX, XLSX, ODS and CSV files; values masked; invoices and other dates left alone;
a zip bomb and a long PDF read only up to their caps."""
import io
import time
import zipfile

import pytest
from openpyxl import Workbook
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from core import personal_data as pd
from core.pdf import FONTS
from core.personal_data import BIRTH_DATE, MRZ, PASSPORT, mask, scan_text, scan_upload

# One line per language: a name, a date of birth and a passport number, as a partner's annex might list them.
SAMPLES = {
    "en": ("Beneficiary: Amina Bello, DOB: 12/03/2009, passport no. A12345678", "A12345678"),
    "fr": ("Bénéficiaire : Marie Dupont, née le 3 mars 1998, passeport n° 19AB12345", "19AB12345"),
    "es": ("Beneficiaria: Juana Pérez, fecha de nacimiento: 14-07-2001, pasaporte núm. XDA123456", "XDA123456"),
    "ru": ("Получатель: Иван Петров, дата рождения 05.11.1990, паспорт серия 45 06 номер 123456", "123456"),
    "pt": ("Beneficiária: Maria Silva, data de nascimento: 1992-02-29, passaporte nº CZ654321", "CZ654321"),
    "ar": ("المستفيدة: فاطمة علي، تاريخ الميلاد: 1995/04/12، رقم جواز السفر: N12345678", "N12345678"),
}
MRZ_LINES = ["P<NGABELLO<<AMINA<<<<<<<<<<<<<<<<<<<<<<<<<<<", "A123456784NGA0903127F3001012<<<<<<<<<<<<<<06"]
HARMLESS = [
    "Invoice date: 12/03/2025   Invoice no. 2025-00123   Amount: 1,250.00 EUR",
    "Facture n° 4567 du 12/03/2025, échéance le 12/04/2025",
    "Passport fees 2024: 150 EUR for 12 staff",
    "Passport and visa costs: 1 200 000 XOF; passport fees 150000 XOF",
    "Training held on 14-07-2025 in Abuja with 23 officers (agreement 2025/118)",
    "Il ne le savait pas. Le rapport du 3 mars 2025 est joint.",
    "Дата отчёта: 05.11.2025; номер договора 123456",
]


def kinds(findings):
    return sorted(f.kind for f in findings)


@pytest.mark.parametrize("language", SAMPLES)
def test_each_language_finds_the_date_of_birth_and_the_passport_number_masked(language):
    line, number = SAMPLES[language]
    findings = scan_text(line)
    assert kinds(findings) == [BIRTH_DATE, PASSPORT], language
    passport = next(f for f in findings if f.kind == PASSPORT)
    assert number not in passport.masked and passport.masked.endswith(number[-2:])
    assert passport.masked.count("•") >= len(number) - 2 - 1
    birth = next(f for f in findings if f.kind == BIRTH_DATE)
    assert not any(c.isdigit() for c in birth.masked)
    assert birth.line == 1


def test_machine_readable_zone_lines_are_found_without_the_name_or_number():
    findings = scan_text("\n".join(["Copy of travel document:", *MRZ_LINES]))
    assert kinds(findings) == [MRZ, MRZ]
    assert [f.line for f in findings] == [2, 3]
    assert all("BELLO" not in f.masked and "12345678" not in f.masked for f in findings)


@pytest.mark.parametrize("line", HARMLESS)
def test_invoices_report_dates_and_fees_are_not_personal_data(line):
    assert scan_text(line) == []


def test_a_russian_passport_written_as_series_and_number_is_found():
    findings = scan_text("Паспорт 4506 123456 выдан ОВД")
    assert [(f.kind, f.masked) for f in findings] == [(PASSPORT, "•••• ••••56")]


def test_a_table_column_headed_date_of_birth_marks_each_date_below_it():
    findings = scan_text("Name\tDate of birth\tVillage\nA. Bello\t12/03/2009\tKano\nB. Musa\t\tZaria\nC. Ade\t2011-01-05\tJos")
    assert [(f.kind, f.line) for f in findings] == [(BIRTH_DATE, 2), (BIRTH_DATE, 4)]


def test_the_description_names_the_kind_and_place_never_the_value():
    finding = scan_text("ok\n\npassport no. A12345678")[0]
    assert finding.describe() == "Passport number •••••••78 (line 3)"
    assert finding.as_data() == {"kind": PASSPORT, "masked": "•••••••78", "page": None, "line": 3, "sheet": ""}
    assert mask("AB-1234", keep=0) == "••-••••"


# ---- files -------------------------------------------------------------------------------------------------------


def named(data, name):
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def pdf_with(pages):
    if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVu", str(FONTS / "DejaVuSans.ttf")))
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer, pagesize=A4)
    for lines in pages:
        sheet.setFont("DejaVu", 10)
        for n, line in enumerate(lines):
            sheet.drawString(40, 800 - 14 * n, line)
        sheet.showPage()
    sheet.save()
    return buffer.getvalue()


def docx_with(paragraphs, table=()):
    body = "".join(f"<w:p><w:r><w:t xml:space=\"preserve\">{p}</w:t></w:r></w:p>" for p in paragraphs)
    rows = "".join(
        "<w:tr>" + "".join(f"<w:tc><w:p><w:r><w:t>{c}</w:t></w:r></w:p></w:tc>" for c in row) + "</w:tr>" for row in table
    )
    document = ('<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                f'wordprocessingml/2006/main"><w:body>{body}<w:tbl>{rows}</w:tbl></w:body></w:document>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", document)
    return buffer.getvalue()


def test_a_pdf_is_read_page_by_page_in_each_language():
    data = pdf_with([["Activity report, quarter 2", "Invoice date: 12/03/2025"],
                     ["Annex: people assisted", SAMPLES["en"][0], SAMPLES["ru"][0]]])
    scan = scan_upload(named(data, "report.pdf"))
    assert scan.read == "pdf" and not scan.truncated
    assert sorted((f.kind, f.page, f.line) for f in scan.findings) == [
        (BIRTH_DATE, 2, 2), (BIRTH_DATE, 2, 3), (PASSPORT, 2, 2), (PASSPORT, 2, 3)]
    assert scan.findings[0].place() == "page 2, line 2"


def test_a_long_pdf_is_read_only_to_its_page_cap(monkeypatch):
    monkeypatch.setattr(pd, "PDF_MAX_PAGES", 3)
    data = pdf_with([["nothing here"]] * 3 + [[SAMPLES["fr"][0]]])
    scan = scan_upload(named(data, "long.pdf"))
    assert scan.truncated and scan.findings == []


def test_a_docx_paragraphs_and_table_rows_are_read():
    data = docx_with([SAMPLES["es"][0], "Invoice date: 12/03/2025"],
                     table=[["Name", "Date of birth"], ["A. Bello", "12/03/2009"]])
    scan = scan_upload(named(data, "annex.docx"), "docx")
    assert scan.read == "docx"
    assert sorted((f.kind, f.line) for f in scan.findings) == [(BIRTH_DATE, 1), (BIRTH_DATE, 4), (PASSPORT, 1)]


def test_an_xlsx_reads_shared_and_inline_strings_and_dates_stored_as_day_numbers():
    from datetime import date

    book = Workbook()
    sheet = book.active
    sheet.append(["Name", "DOB", "Passport"])
    sheet.append(["Amina Bello", date(2009, 3, 12), "A12345678"])
    sheet.append(["Total", None, None])
    second = book.create_sheet()
    second.append(["Notes"])
    second.append([SAMPLES["pt"][0]])
    buffer = io.BytesIO()
    book.save(buffer)
    scan = scan_upload(named(buffer.getvalue(), "people.xlsx"))
    assert scan.read == "xlsx"
    assert sorted((f.kind, f.sheet, f.line) for f in scan.findings) == [
        (BIRTH_DATE, "1", 2), (BIRTH_DATE, "2", 2), (PASSPORT, "2", 2)]
    assert scan.findings[0].place() == "sheet 1, row 2"


def test_a_csv_and_a_text_file_are_read_and_an_image_is_skipped():
    csv_data = "name;date of birth;village\nA. Bello;12/03/2009;Kano\n".encode("utf-8-sig")
    scan = scan_upload(named(csv_data, "list.csv"))
    assert scan.read == "text" and [(f.kind, f.line) for f in scan.findings] == [(BIRTH_DATE, 2)]
    assert kinds(scan_upload(named(SAMPLES["ar"][0].encode(), "note.txt")).findings) == [BIRTH_DATE, PASSPORT]
    image = scan_upload(named(b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "photo.png"))
    assert image.skipped and image.findings == []


def test_a_damaged_document_is_unreadable_not_an_error():
    scan = scan_upload(named(b"%PDF-1.7\n1 0 obj << /Length 99999 >> stream\nxx", "broken.pdf"))
    assert scan.unreadable and scan.findings == []
    scan = scan_upload(named(b"PK\x03\x04" + b"\0" * 50, "broken.docx"), "docx")
    assert scan.unreadable


def test_a_zip_bomb_is_read_only_to_its_cap_in_bounded_time(monkeypatch):
    """A document.xml that inflates to 200 MB (about 200 KB compressed), with a passport number at its start: only
    ZIP_MEMBER_MAX_BYTES are decompressed, what lies within them is still found, and the scan says it was cut."""
    monkeypatch.setattr(pd, "ZIP_MEMBER_MAX_BYTES", 1024 * 1024)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(b"<w:document><w:body><w:p><w:r><w:t>passport no. A12345678</w:t></w:r></w:p>")
            chunk = b" " * (1024 * 1024)
            for _n in range(200):
                member.write(chunk)
            member.write(b"</w:body></w:document>")
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024
    started = time.perf_counter()
    scan = scan_upload(named(data, "bomb.docx"), "docx")
    assert time.perf_counter() - started < 5
    assert scan.truncated
    assert kinds(scan.findings) == [PASSPORT]


def test_the_total_characters_scanned_are_capped(monkeypatch):
    monkeypatch.setattr(pd, "TEXT_MAX_CHARS", 1000)
    text = ("x" * 2000 + "\npassport no. A12345678\n").encode()
    scan = scan_upload(named(text, "long.txt"))
    assert scan.truncated and scan.findings == []


def opendocument(kind, content):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", f"application/vnd.oasis.opendocument.{kind}")
        archive.writestr("content.xml", content)
    return buffer.getvalue()


def test_an_odt_and_an_ods_are_read():
    odt = opendocument("text", f"<office:document-content><office:body><office:text><text:p>{SAMPLES['fr'][0]}</text:p>"
                               "<text:p>Facture du 12/03/2025</text:p></office:text></office:body></office:document-content>")
    scan = scan_upload(named(odt, "annexe.odt"))
    assert scan.read == "odt" and kinds(scan.findings) == [BIRTH_DATE, PASSPORT]
    ods = opendocument("spreadsheet", (
        "<office:document-content><table:table>"
        "<table:table-row><table:table-cell><text:p>Nombre</text:p></table:table-cell>"
        "<table:table-cell><text:p>Fecha de nacimiento</text:p></table:table-cell></table:table-row>"
        "<table:table-row><table:table-cell><text:p>J. Pérez</text:p></table:table-cell>"
        '<table:table-cell office:value-type="date" office:date-value="2001-07-14"><text:p>14/07/2001</text:p>'
        "</table:table-cell></table:table-row></table:table></office:document-content>"))
    scan = scan_upload(named(ods, "lista.ods"))
    assert scan.read == "ods" and [(f.kind, f.sheet, f.line) for f in scan.findings] == [(BIRTH_DATE, "1", 2)]
