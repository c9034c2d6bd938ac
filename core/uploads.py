"""Uploaded files: type checked from the content (never the name), size-capped, stored under random names
outside the static tree, and served only by views that have checked permissions (`serve_upload`).
"""
import mimetypes
import os
import uuid
import zipfile

from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # 10 MiB: enough for scanned certificates, small enough for slow links

# kind -> (label, content type, extension)
KINDS = {
    "pdf": ("PDF", "application/pdf", ".pdf"),
    "docx": ("Word (DOCX)", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xlsx": ("Excel (XLSX)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "odt": ("OpenDocument text (ODT)", "application/vnd.oasis.opendocument.text", ".odt"),
    "ods": ("OpenDocument spreadsheet (ODS)", "application/vnd.oasis.opendocument.spreadsheet", ".ods"),
    "png": ("PNG image", "image/png", ".png"),
    "jpeg": ("JPEG image", "image/jpeg", ".jpg"),
}
DOCUMENT_KINDS = tuple(KINDS)
ALLOWED_HELP = gettext_lazy("PDF, Word (DOCX), Excel (XLSX), OpenDocument (ODT, ODS), PNG or JPEG; at most 10 MB.")


def _zip_kind(fileobj):
    """Office Open XML and OpenDocument files are zip archives; what is inside tells which one it is."""
    try:
        with zipfile.ZipFile(fileobj) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                for kind in ("odt", "ods"):
                    if mimetype == KINDS[kind][1]:
                        return kind
                return None
            if "[Content_Types].xml" in names:
                if any(n.startswith("word/") for n in names):
                    return "docx"
                if any(n.startswith("xl/") for n in names):
                    return "xlsx"
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError):
        return None
    return None


def sniff_kind(fileobj):
    """The kind of file from its first bytes (and, for zip-based formats, its table of contents), or None."""
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


def validate_upload(uploaded, *, allowed=DOCUMENT_KINDS, max_bytes=DEFAULT_MAX_BYTES):
    """Raise ValidationError unless the file is non-empty, within the size cap and of an allowed kind. Returns the kind."""
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
    """Stream a stored file as an attachment. Call only after the view has checked the user may read it."""
    content_type = KINDS[kind][1] if kind in KINDS else (mimetypes.guess_type(filename)[0] or "application/octet-stream")
    response = FileResponse(
        field_file.open("rb"), as_attachment=True, filename=safe_download_name(filename), content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
