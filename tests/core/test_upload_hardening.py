"""Uploads refused for what they could do once stored: archives that unpack to gigabytes, PDFs that run code or
actions on opening, files whose name does not fit their content, PDFs that are also web pages."""
import io
import json
import os
import subprocess
import sys
import zipfile
import zlib

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter
from reportlab.pdfgen import canvas

from core.uploads import validate_upload

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def upload(name, content):
    return SimpleUploadedFile(name, content)


def refusal(name, content):
    with pytest.raises(ValidationError) as excinfo:
        validate_upload(upload(name, content))
    return excinfo.value


# Zip archives ----------------------------------------------------------------------------------------------------

def zip_bytes(members, *, declared=None):
    """A zip of (name, data) members; `declared` overrides the uncompressed sizes its table of contents states."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
        if declared:  # the table of contents is written on closing, from these records
            for info in archive.filelist:
                info.file_size = declared
    return buffer.getvalue()


def docx(*extra):
    return zip_bytes([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>"), *extra])


def test_ordinary_office_files_are_accepted():
    assert validate_upload(upload("report.docx", docx())) == "docx"
    odt = zip_bytes([("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", b"<office/>")])
    assert validate_upload(upload("report.odt", odt)) == "odt"


def test_zip_bomb_is_refused_without_being_unpacked(tmp_path):
    """1 GiB of zeros deflated into a few MB, as the `mimetype` of an .odt: the check adds under 64 MB to the process
    at its peak, measured in a fresh process (before the fix, reading the member took the whole GiB, twice). The peak
    is the process's own (VmHWM, against VmRSS before the check): getrusage's ru_maxrss would count the parent's."""
    bomb = tmp_path / "bomb.odt"
    zeros = bytes(1024 * 1024)
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("mimetype", "w", force_zip64=True) as member:
            for _ in range(1024):
                member.write(zeros)
    script = (
        "import json, re, sys, django\n"
        "django.setup()\n"
        "from django.core.exceptions import ValidationError\n"
        "from django.core.files import File\n"
        "from core.uploads import validate_upload\n"
        "def kib(field):\n"
        "    with open('/proc/self/status') as status:\n"
        "        return int(re.search(field + r':\\s+(\\d+) kB', status.read()).group(1))\n"
        "before = kib('VmRSS')\n"
        "code = None\n"
        "with open(sys.argv[1], 'rb') as handle:\n"
        "    try:\n"
        "        validate_upload(File(handle, name='report.odt'))\n"
        "    except ValidationError as exc:\n"
        "        code = exc.code\n"
        "print(json.dumps({'code': code, 'growth_kib': kib('VmHWM') - before}))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    child = subprocess.run(
        [sys.executable, "-c", script, str(bomb)], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=300
    )
    assert child.returncode == 0, child.stderr
    result = json.loads(child.stdout.splitlines()[-1])
    # What the check added to the process at its peak, not what Django and its apps take to start.
    assert result["growth_kib"] < 64 * 1024, f"the check grew the process by {result['growth_kib'] // 1024} MB"
    assert result["code"] == "archive_too_large"


def test_a_member_that_inflates_over_100_times_is_refused():
    error = refusal("report.docx", docx(("word/media/blank.bin", bytes(2 * 1024 * 1024))))
    assert error.code == "archive_too_large" and "unreasonable size" in error.messages[0]


def test_an_archive_declaring_over_100_mb_is_refused():
    members = [("[Content_Types].xml", os.urandom(600_000)), ("word/a.xml", os.urandom(600_000)), ("word/b.xml", os.urandom(600_000))]
    assert validate_upload(upload("report.docx", zip_bytes(members))) == "docx"
    # 40 MB declared for each 600 KB member: within the ratio, over the total
    assert refusal("report.docx", zip_bytes(members, declared=40 * 1024 * 1024)).code == "archive_too_large"


def test_an_archive_of_over_10000_members_is_refused():
    members = [(f"word/part{i}.xml", b"") for i in range(10_001)]
    assert refusal("report.docx", docx(*members)).code == "archive_too_large"


# PDFs --------------------------------------------------------------------------------------------------------------

PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"


def pdf_bytes(catalog_extra=b"", page_extra=b"", *more, head=b""):
    """A well-formed one-page PDF (catalog 1, pages 2, page 3, then `more` objects from 4) with a correct xref."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        PAGES,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] " + page_extra + b" >>",
        *more,
    ]
    out = bytearray(b"%PDF-1.7\n" + head + b"%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def pdf_with_object_stream(hidden):
    """Catalog, pages, page and `hidden` (object 4) compressed inside an object stream (5), with an xref stream (6):
    nothing of them is readable in the file's bytes."""
    bodies = [b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>", PAGES,
              b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>", hidden]
    offsets, content = [], b""
    for body in bodies:
        offsets.append(len(content))
        content += body + b"\n"
    header = b" ".join(b"%d %d" % (n, o) for n, o in zip(range(1, 5), offsets)) + b"\n"
    packed = zlib.compress(header + content)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    stream_at = len(out)
    out += b"5 0 obj\n<< /Type /ObjStm /N 4 /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (
        len(header), len(packed), packed)
    xref_at = len(out)
    rows = [b"\x00" + (0).to_bytes(4, "big") + b"\xff\xff"]
    rows += [b"\x02" + (5).to_bytes(4, "big") + i.to_bytes(2, "big") for i in range(4)]
    rows += [b"\x01" + stream_at.to_bytes(4, "big") + b"\x00\x00", b"\x01" + xref_at.to_bytes(4, "big") + b"\x00\x00"]
    table = b"".join(rows)
    out += b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (
        len(table), table)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def written_by_pypdf():
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def written_by_reportlab():
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "Budget 2026")
    page.linkURL("https://example.org/", (72, 700, 200, 720))  # a link the reader clicks, not an action on opening
    page.bookmarkPage("start")
    page.save()
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content",
    [
        pdf_bytes(),
        pdf_bytes(b"/OpenAction [3 0 R /Fit]"),
        pdf_bytes(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] >>"),
        pdf_with_object_stream(b"<< /S /GoTo /D [3 0 R /Fit] >>"),
        written_by_pypdf(),
        written_by_reportlab(),
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",  # damaged, but nothing in it could act
    ],
    ids=["plain", "opens-at-a-page", "goto-on-opening", "object-stream", "pypdf", "reportlab", "damaged-without-streams"],
)
def test_ordinary_pdfs_are_accepted(content):
    assert validate_upload(upload("plan.pdf", content)) == "pdf"


ACTIVE = "This PDF contains JavaScript or actions that run on opening"


@pytest.mark.parametrize(
    "content",
    [
        pdf_bytes(b"/OpenAction 4 0 R", b"", b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"),
        pdf_bytes(b"/OpenAction << /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>"),
        pdf_bytes(b"/Names << /JavaScript << /Names [(x) 4 0 R] >> >>", b"", b"<< /S /JavaScript /JS 5 0 R >>"),
        pdf_bytes(b"/OpenAction << /S /Launch /F (cmd.exe) >>"),
        pdf_bytes(b"/Names << /EmbeddedFiles << /Names [] >> >>"),
        pdf_bytes(b"/AcroForm << /Fields [] /XFA 4 0 R >>", b"", b"[]"),
        pdf_bytes(b"/OpenAction << /S /URI /URI (https://example.org/) >>"),
        pdf_bytes(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next << /S /SubmitForm /F (https://example.org/) >> >>"),
        pdf_bytes(b"", b"/AA << /O << /S /GoToR /F (\\\\\\\\server\\\\share\\\\x.pdf) >> >>"),
        pdf_with_object_stream(b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"),
        pdf_with_object_stream(b"<< /S /URI /URI (https://example.org/) >>"),
    ],
    ids=["javascript", "hex-escaped-names", "document-javascript", "launch", "embedded-files", "xfa", "uri-on-opening",
         "chained-submit", "remote-goto-on-page-open", "javascript-in-object-stream", "uri-in-object-stream"],
)
def test_pdfs_with_active_content_are_refused(content):
    error = refusal("plan.pdf", content)
    assert error.code == "active_content"
    assert error.messages[0] == (
        "This PDF contains JavaScript or actions that run on opening; save it again without them (e.g. print to PDF) "
        "and upload that copy."
    )


def test_object_streams_that_decode_beyond_the_budget_are_refused():
    """25 MB of spaces deflated into a few KB: pypdf stops decoding at the budget and the file counts as unreadable."""
    padded = pdf_with_object_stream(b"<< /S /GoTo /D [3 0 R /Fit] >>" + b" " * (25 * 1024 * 1024))
    assert len(padded) < 100_000
    assert refusal("plan.pdf", padded).code == "unreadable"


def test_an_unreadable_pdf_with_streams_is_refused():
    """Its streams could hide objects; without a parser that reads them nothing can be said about them."""
    content = b"%PDF-1.5\n1 0 obj\n<< /Length 4 >>\nstream\n\x00\x01\x02\x03\nendstream\nendobj\n%%EOF\n"
    assert refusal("plan.pdf", content).code == "unreadable"


# Names and polyglots -------------------------------------------------------------------------------------------------

POLYGLOT = pdf_bytes(head=b"%<!DOCTYPE html><html><body><script>alert(document.cookie)</script>\n")


def test_a_pdf_that_is_also_a_web_page_is_refused_whatever_its_name():
    assert refusal("report.html", POLYGLOT).code == "wrong_extension"
    error = refusal("report.pdf", POLYGLOT)
    assert error.code == "polyglot" and "both a PDF and a web page" in error.messages[0]


@pytest.mark.parametrize(
    ("name", "content", "kind", "extensions"),
    [("report.html", pdf_bytes(), "PDF", ".pdf"), ("photo.jpg", PNG, "PNG image", ".png"),
     ("scan.png", JPEG, "JPEG image", ".jpg / .jpeg"), ("plan", pdf_bytes(), "PDF", ".pdf")],
    ids=["pdf-as-html", "png-as-jpg", "jpeg-as-png", "no-extension"],
)
def test_the_name_must_fit_the_content(name, content, kind, extensions):
    error = refusal(name, content)
    assert error.code == "wrong_extension"
    assert error.messages[0] == (
        f"The file is named {name} but its content is of the type {kind}; rename it to end in {extensions} and upload it again."
    )


@pytest.mark.parametrize("name", ["photo.jpg", "photo.jpeg", "PHOTO.JPG"])
def test_either_jpeg_extension_in_any_case_fits(name):
    assert validate_upload(upload(name, JPEG)) == "jpeg"
