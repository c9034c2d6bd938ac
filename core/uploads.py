"""Uploaded files: type checked from the content, the name's extension made to fit it, active content and archive
bombs refused, size-capped, stored under random names outside the static tree, and served only by views that have
checked permissions (`serve_upload`).
"""
import io
import mimetypes
import os
import re
import uuid
import zipfile
import zlib

import pypdf
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # 10 MiB: enough for scanned certificates, small enough for slow links

# kind -> (label, content type, extensions the file's name may end in)
KINDS = {
    "pdf": ("PDF", "application/pdf", (".pdf",)),
    "docx": ("Word (DOCX)", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "xlsx": ("Excel (XLSX)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "odt": ("OpenDocument text (ODT)", "application/vnd.oasis.opendocument.text", (".odt",)),
    "ods": ("OpenDocument spreadsheet (ODS)", "application/vnd.oasis.opendocument.spreadsheet", (".ods",)),
    "png": ("PNG image", "image/png", (".png",)),
    "jpeg": ("JPEG image", "image/jpeg", (".jpg", ".jpeg")),
}
DOCUMENT_KINDS = tuple(KINDS)
ALLOWED_HELP = gettext_lazy("PDF, Word (DOCX), Excel (XLSX), OpenDocument (ODT, ODS), PNG or JPEG; at most 10 MB.")

# DOCX, XLSX, ODT and ODS are zip archives, judged from their table of contents before anything is decompressed:
# a few hundred KB of deflated zeros can declare gigabytes. A long report or a large workbook has a few hundred
# parts, at most tens of MB uncompressed, and XML deflates 5 to 20 times; these bounds leave ample room.
ZIP_MAX_MEMBERS = 10_000
ZIP_MAX_TOTAL_BYTES = 100 * 1024 * 1024  # declared uncompressed size of all members together
ZIP_MAX_RATIO = 100  # declared uncompressed / compressed size of one member...
ZIP_RATIO_FROM_BYTES = 1024 * 1024  # ...counted only for members larger than this (tiny parts deflate very well)
ZIP_MIMETYPE_BYTES = 100  # OpenDocument's `mimetype` member is one short line; nothing more is read

# Names that mean code, a launched program, an embedded file, rich media or a scripted (XFA) form.
PDF_ACTIVE_NAMES = frozenset({"JavaScript", "JS", "Launch", "EmbeddedFile", "EmbeddedFiles", "RichMedia", "XFA"})
# The only action a PDF may run by itself (/OpenAction, /AA triggers): going to a place in the document.
PDF_AUTOMATIC_ACTIONS_ALLOWED = frozenset({"/GoTo"})
PDF_MAX_OBJECTS = 200_000  # objects walked; far more than a 10 MB document holds, so a loop of references ends
# Object streams hold only dictionaries (a few MB in a long document), but a few KB of deflate can decode to 20 MB.
PDF_MAX_OBJECT_STREAM_BYTES = 20 * 1024 * 1024  # all of a file's object streams, decoded, together
PDF_HTML_HEAD_BYTES = 1024

_PDF_STREAM_DATA = re.compile(rb"\bstream(?:\r\n|\r|\n)(?:.*?endstream|.*)", re.S)  # unended: to the end, in one pass
_PDF_NAME = re.compile(rb"/([^\x00\t\n\x0c\r /<>\[\]()%{}]+)")
_PDF_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_OBJECT_HEAD = re.compile(rb"(?<!\d)(\d+)\s+(\d+)\s+obj\b((?:(?!obj\b).){0,4096}?)\bstream(?:\r\n|\r|\n)", re.S)
_HTML_MARKUP = re.compile(rb"<(?:html|script|body|!doctype\s+html)", re.I)


def _zip_is_unreasonable(members):
    return (
        len(members) > ZIP_MAX_MEMBERS
        or sum(m.file_size for m in members) > ZIP_MAX_TOTAL_BYTES
        or any(m.file_size > ZIP_RATIO_FROM_BYTES and m.file_size > ZIP_MAX_RATIO * max(m.compress_size, 1) for m in members)
    )


def _zip_kind(fileobj):
    """Office Open XML and OpenDocument files are zip archives; what is inside tells which one it is.
    Raises ValidationError for an archive beyond the ZIP_* bounds."""
    try:
        with zipfile.ZipFile(fileobj) as archive:
            members = archive.infolist()
            if _zip_is_unreasonable(members):
                raise ValidationError(
                    _("This file is an archive that would unpack to an unreasonable size or number of parts. "
                      "Save the document again and upload that copy."),
                    code="archive_too_large",
                )
            names = {m.filename for m in members}
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    mimetype = member.read(ZIP_MIMETYPE_BYTES).decode("ascii", "replace").strip()
                for kind in ("odt", "ods"):
                    if mimetype == KINDS[kind][1]:
                        return kind
                return None
            if "[Content_Types].xml" in names:
                if any(n.startswith("word/") for n in names):
                    return "docx"
                if any(n.startswith("xl/") for n in names):
                    return "xlsx"
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, RuntimeError, NotImplementedError, ValueError, zlib.error):
        return None
    return None


def sniff_kind(fileobj):
    """The kind of file from its first bytes (and, for zip-based formats, its table of contents), or None.
    Raises ValidationError for an archive too large to unpack safely."""
    position = fileobj.tell() if hasattr(fileobj, "tell") else 0
    try:
        fileobj.seek(0)
        head = fileobj.read(16)
        fileobj.seek(0)
        if head.startswith(b"%PDF-"):
            return "pdf"
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return "png"
        if head.startswith(b"\xff\xd8\xff"):
            return "jpeg"
        if head.startswith(b"PK\x03\x04"):
            return _zip_kind(fileobj)
        return None
    finally:
        fileobj.seek(position)


def _pdf_names(text):
    """Every name in PDF syntax, with #xx escapes decoded: /J#61vaScript is /JavaScript."""
    return {
        _PDF_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw).decode("latin-1")
        for raw in set(_PDF_NAME.findall(text))
    }


def _object_streams_hold_active_names(data, reader):
    """Decode every object stream, those the cross-reference lists and any other dictionary of type ObjStm (as a
    viewer repairing the file would find them), within PDF_MAX_OBJECT_STREAM_BYTES, and look for active names."""
    numbers = {(stream, 0) for stream, _index in reader.xref_objStm.values()}
    numbers |= {(int(n), int(g)) for n, g, head in _PDF_OBJECT_HEAD.findall(data) if "ObjStm" in _pdf_names(head)}
    total = 0
    for number, generation in numbers:
        stream = IndirectObject(number, generation, reader).get_object()
        if not isinstance(stream, StreamObject):
            continue
        content = stream.get_data()
        total += len(content)
        if total > PDF_MAX_OBJECT_STREAM_BYTES:
            raise pypdf.errors.LimitReachedError("object streams too large")
        if _pdf_names(content) & PDF_ACTIVE_NAMES:
            return True
    return False


def _runs_on_its_own(action):
    """Whether an automatic action, with the actions chained after it (/Next), does more than go to a place."""
    chain = [action]
    for _step in range(PDF_MAX_OBJECTS):  # a /Next loop would never end
        if not chain:
            return False
        item = chain.pop()
        item = item.get_object() if item is not None else None
        if isinstance(item, ArrayObject):
            chain.extend(item)
        elif isinstance(item, DictionaryObject):
            if item.get("/S") not in PDF_AUTOMATIC_ACTIONS_ALLOWED:
                return True
            chain.append(item.get("/Next"))
    return True


def _pdf_is_active(data):
    """Whether the document, as pypdf reads it (compressed object streams included), holds an active name or an
    automatic action that does more than go to a place. Raises whatever pypdf raises on a damaged file."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        reader.decrypt("")  # names are never encrypted, but objects inside object streams are
    if _object_streams_hold_active_names(data, reader):
        return True
    pending, seen = [reader.trailer], set()
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            if len(seen) > PDF_MAX_OBJECTS:
                raise pypdf.errors.PdfReadError("too many objects")
            item = item.get_object()
        if isinstance(item, NameObject) and item[1:] in PDF_ACTIVE_NAMES:
            return True
        if isinstance(item, DictionaryObject):
            if any(key[1:] in PDF_ACTIVE_NAMES for key in item):
                return True
            open_action = item.get("/OpenAction")  # a destination array only goes to a page
            if open_action is not None and isinstance(open_action.get_object(), DictionaryObject) and _runs_on_its_own(open_action):
                return True
            triggers = item.get("/AA")
            triggers = triggers.get_object() if triggers is not None else None
            if isinstance(triggers, DictionaryObject) and any(_runs_on_its_own(a) for a in triggers.values()):
                return True
            pending.extend(item.values())
        elif isinstance(item, ArrayObject):
            pending.extend(item)
    return False


def _check_pdf(uploaded):
    """Refuse a PDF that is also an HTML page, or that holds JavaScript, launch actions, embedded files, rich media,
    an XFA form, or an action that runs on opening other than going to a page."""
    uploaded.seek(0)
    data = uploaded.read()
    uploaded.seek(0)
    if _HTML_MARKUP.search(data[:PDF_HTML_HEAD_BYTES]):
        raise ValidationError(
            _("This file is both a PDF and a web page; save it again as a plain PDF (e.g. print to PDF) and upload that copy."),
            code="polyglot",
        )
    active = _("This PDF contains JavaScript or actions that run on opening; save it again without them "
               "(e.g. print to PDF) and upload that copy.")
    names = _pdf_names(_PDF_STREAM_DATA.sub(b" ", data))  # stream data is skipped: compressed bytes make names by chance
    if names & PDF_ACTIVE_NAMES:
        raise ValidationError(active, code="active_content")
    limit = PDF_MAX_OBJECT_STREAM_BYTES  # no single stream decodes beyond the budget of all of them
    try:
        with pypdf.apply_configuration(
            zlib_maximum_output_length=limit, lzw_maximum_output_length=limit,
            run_length_maximum_output_length=limit, brotli_maximum_output_length=limit,
        ):
            is_active = _pdf_is_active(data)
    except Exception:  # pypdf raises many kinds of error on damaged input; any of them means unreadable
        # The text scan above saw every dictionary unless some may sit inside streams (object streams), and it
        # cannot tell a harmless automatic action from a harmful one: without a parser, refuse those.
        if b"stream" in data or names & {"OpenAction", "AA"}:
            raise ValidationError(
                _("This PDF could not be read (it may be damaged or protected by a password); save it again "
                  "(e.g. print to PDF) and upload that copy."),
                code="unreadable",
            ) from None
        return
    if is_active:
        raise ValidationError(active, code="active_content")


def _check_extension(uploaded, kind):
    label, _content_type, extensions = KINDS[kind]
    if os.path.splitext(uploaded.name or "")[1].lower() not in extensions:
        raise ValidationError(
            _("The file is named %(name)s but its content is of the type %(kind)s; rename it to end in %(extensions)s "
              "and upload it again.")
            % {"name": os.path.basename(uploaded.name or ""), "kind": label, "extensions": " / ".join(extensions)},
            code="wrong_extension",
        )


def validate_upload(uploaded, *, allowed=DOCUMENT_KINDS, max_bytes=DEFAULT_MAX_BYTES):
    """Raise ValidationError unless the file is non-empty, within the size cap, of an allowed kind, named with an
    extension of that kind and free of active content. Returns the kind."""
    if uploaded.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if uploaded.size > max_bytes:
        raise ValidationError(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": f"{uploaded.size / 1024 / 1024:.1f}", "limit": f"{max_bytes / 1024 / 1024:.0f}"},
            code="too_large",
        )
    kind = sniff_kind(uploaded)
    if kind not in allowed:
        raise ValidationError(
            _("This file's content is not an accepted type, whatever its name says. Accepted: %(types)s.")
            % {"types": ", ".join(KINDS[k][0] for k in allowed)},
            code="bad_type",
        )
    _check_extension(uploaded, kind)
    if kind == "pdf":
        _check_pdf(uploaded)
    return kind


@deconstructible
class RandomUploadPath:
    """An `upload_to`: files are stored as <prefix>/<yyyy>/<random>.<ext>, never under the sender's file name."""

    def __init__(self, prefix):
        self.prefix = prefix

    def __call__(self, instance, filename):
        ext = os.path.splitext(filename)[1].lower()[:8]
        return f"{self.prefix}/{timezone.now():%Y}/{uuid.uuid4().hex}{ext}"

    def __eq__(self, other):
        return isinstance(other, RandomUploadPath) and other.prefix == self.prefix


def safe_download_name(name):
    base = os.path.basename(name or "download")
    return "".join(c for c in base if c.isalnum() or c in " ._-()") or "download"


def serve_upload(field_file, *, filename, kind=None):
    """Stream a stored file as an attachment. Call only after the view has checked the user may read it.
    A file missing from storage is a 404, not a server error."""
    content_type = KINDS[kind][1] if kind in KINDS else (mimetypes.guess_type(filename)[0] or "application/octet-stream")
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError) as exc:  # ValueError: the record names no file at all
        raise Http404(_("This file is no longer stored; ask for it to be uploaded again.")) from exc
    response = FileResponse(handle, as_attachment=True, filename=safe_download_name(filename), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
