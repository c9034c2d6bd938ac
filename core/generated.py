"""Exports and large PDFs made by the job runner and kept until the data change.

A module registers a generator, `@generator("envelope-status-pdf")`, a function of a key (its parameters as one
string) returning `(content, content type, file name)`, the content being bytes or, for a large file, an open
binary file positioned at its start (copied to storage in chunks, then closed); the register is filled when the app's `tasks` module is
imported, which Celery does for every app. A view calls `generated_download(request, name, key, fingerprint)`:
- a file made for the same name, key and fingerprint is streamed at once from storage;
- otherwise the job is queued (once: the row is unique) and, with workers, the person sees a page that reloads until
  the file is ready; without a broker the job has already run and the file is streamed.
A finished job deletes the files it replaces, so storage holds one file per name and key.
"""
import logging
from datetime import timedelta

from django.core.files.base import ContentFile, File
from django.db import IntegrityError
from django.http import FileResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from .errors import DomainError
from .models import GeneratedFile

log = logging.getLogger(__name__)
GENERATORS = {}
# A job still pending after this long is taken as lost (its worker died before starting it) and queued again.
STALE_AFTER = timedelta(minutes=10)


def generator(name):
    def register(function):
        GENERATORS[name] = function
        return function

    return register


def generated_file_make(pk) -> None:
    """Run the generator of a pending row, store its file, and drop older files of the same name and key."""
    autodiscover_modules("tasks")  # the generators register themselves there (already imported in a worker)
    row = GeneratedFile.objects.get(pk=pk)
    if row.status == GeneratedFile.Status.READY:
        return
    try:
        content, content_type, filename = GENERATORS[row.name](row.key)
    except DomainError as exc:
        GeneratedFile.objects.filter(pk=pk).update(status=GeneratedFile.Status.FAILED, refusal=exc.message)
        return
    except Exception as exc:  # noqa: BLE001 - recorded on the row; the person is told and may ask again
        log.exception("generating %s %s failed", row.name, row.key)
        GeneratedFile.objects.filter(pk=pk).update(status=GeneratedFile.Status.FAILED, error=repr(exc)[:2000])
        return
    stored = ContentFile(content) if isinstance(content, bytes) else File(content)
    try:
        row.file.save(filename, stored, save=False)
    finally:
        stored.close()
    row.filename, row.content_type = filename, content_type
    row.status, row.finished_at = GeneratedFile.Status.READY, timezone.now()
    row.save(update_fields=["file", "filename", "content_type", "status", "finished_at"])
    for old in GeneratedFile.objects.filter(name=row.name, key=row.key).exclude(pk=row.pk):
        if old.file:
            old.file.delete(save=False)
        old.delete()


def _queue(row):
    """Queue the job now: views run outside a transaction, so the row is already committed for a worker to read."""
    from .tasks import make_generated_file  # the job runner loads after the apps

    make_generated_file.delay(row.pk)


def generated_download(request, name, key, fingerprint, *, refused=None):
    """The file for (name, key, fingerprint): streamed if made, else queued, with a page that waits for it.
    `refused(message)` answers when the generator refused (the default page shows the message)."""
    try:
        row, created = GeneratedFile.objects.get_or_create(name=name, key=key, fingerprint=fingerprint)
    except IntegrityError:  # two requests asked at once: the other one queued it
        row, created = GeneratedFile.objects.get(name=name, key=key, fingerprint=fingerprint), False
    lost = row.status == GeneratedFile.Status.PENDING and row.created_at < timezone.now() - STALE_AFTER
    failed = row.status == GeneratedFile.Status.FAILED and not row.refusal
    if created or lost or failed:
        if not created:
            GeneratedFile.objects.filter(pk=row.pk).update(status=GeneratedFile.Status.PENDING, created_at=timezone.now())
        _queue(row)
        row.refresh_from_db()
    if row.status == GeneratedFile.Status.READY:
        response = FileResponse(row.file.open("rb"), as_attachment=True, filename=row.filename, content_type=row.content_type)
        response["Cache-Control"] = "private, no-store"
        return response
    if row.refusal:
        if refused is not None:
            return refused(row.refusal)
        return render(request, "core/preparing.html", {"refusal": row.refusal}, status=409)
    failed = row.status == GeneratedFile.Status.FAILED
    return render(request, "core/preparing.html", {"failed": failed}, status=503 if failed else 202)
