"""After the surge: what the applicants were told, checked against the database, the outbox and the storage.

Inputs are the surge's call and the journal the journeys wrote (`surge.journey`): one JSON object a line, with
`upload_sent` / `upload_saved` (name, size, SHA-256 of each document), `submitted` (application and the reference
the receipt showed) and `retry` events.

Checks (each a count, with the first few cases listed when not zero):
- lost submissions: a receipt was shown but the application is not submitted, or has another reference;
- reference numbers: the call's submitted applications are numbered 1..N with no gap or duplicate, the counter
  says N, and every reference has the call's form;
- e-mails: every submitted application has an outbox message to its submitter naming its reference, sent by the
  worker (`sent_at`); with a maildir, the SMTP server received it too;
- lost uploads: every acknowledged upload has its attachment row, every attachment row's file is in the storage
  with the size and SHA-256 of a document that was sent.
"""
import hashlib
import json
import mailbox
import re
import time
from collections import Counter, defaultdict
from email.header import decode_header, make_header

from django.core.files.storage import default_storage

from applications.models import Application, ApplicationStatus, Attachment, ReferenceCounter
from core.models import OutboxMessage
from grants.models import Call

SHOW = 10


def read_journal(path):
    events = []
    with open(path, encoding="utf-8") as journal:
        for line in journal:
            line = line.strip()
            if line:
                events.append(json.loads(line))
    return events


def _sha256(storage, name):
    digest = hashlib.sha256()
    with storage.open(name, "rb") as stored:
        for chunk in iter(lambda: stored.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _received_references(maildir, pattern):
    """How many messages the SMTP server received for each reference named in a subject."""
    found = Counter()
    for message in mailbox.Maildir(maildir, create=False):
        subject = str(make_header(decode_header(message.get("Subject", ""))))
        found.update(match.group(0) for match in pattern.finditer(subject))
    return found


def wait_for_outbox(call, *, timeout, poll=2.0):
    """Wait until the worker has sent the e-mail of every submitted application of `call` (or `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        unsent = OutboxMessage.objects.filter(sent_at__isnull=True, subject__contains=f"-{call.reference}-")
        if not unsent.exists() or time.monotonic() >= deadline:
            return unsent.count()
        time.sleep(poll)


def verify(*, call_id, journal, maildir=None, storage=None):
    storage = storage or default_storage
    call = Call.objects.select_related("programme").get(pk=call_id)
    events = read_journal(journal) if isinstance(journal, str) else list(journal)
    problems = defaultdict(list)
    report = {"call": f"{call.programme.code}/{call.reference}"}

    # ---- submissions -------------------------------------------------------------------------------------------
    told = {e["application"]: e for e in events if e["event"] == "submitted"}
    applications = {
        a.pk: a for a in Application.objects.filter(call=call).select_related("submitted_by", "organisation")
    }
    for pk, event in told.items():
        application = applications.get(pk)
        if application is None or application.status != ApplicationStatus.SUBMITTED or application.submitted_at is None:
            problems["lost_submissions"].append(f"{event['email']}: application {pk} was acknowledged as {event['reference']} but is "
                                                f"{'missing' if application is None else application.status}")
        elif application.reference != event["reference"]:
            problems["lost_submissions"].append(f"{event['email']}: receipt showed {event['reference']}, the database holds {application.reference}")
    submitted = [a for a in applications.values() if a.submitted_at is not None]
    report["acknowledged_submissions"] = len(told)
    report["submitted_in_database"] = len(submitted)
    report["submitted_not_acknowledged"] = len([a for a in submitted if a.pk not in told])
    report["drafts_left"] = len([a for a in applications.values() if a.status == ApplicationStatus.DRAFT])

    # ---- reference numbers ----------------------------------------------------------------------------------------
    numbers = sorted(a.sequence for a in submitted)
    expected = list(range(1, len(submitted) + 1))
    if numbers != expected:
        duplicates = [n for n, c in Counter(numbers).items() if c > 1]
        missing = sorted(set(expected) - set(numbers))
        problems["reference_numbers"].append(f"numbers are not 1..{len(submitted)}: missing {missing[:SHOW]}, repeated {duplicates[:SHOW]}")
    counter = ReferenceCounter.objects.filter(call=call).values_list("last_number", flat=True).first() or 0
    if counter != len(submitted):
        problems["reference_numbers"].append(f"the call's counter says {counter}, {len(submitted)} applications are submitted")
    pattern = re.compile(rf"{re.escape(call.programme.code)}-{call.opens_at.year}-{re.escape(call.reference)}-(\d{{4,}})")
    for application in submitted:
        match = pattern.fullmatch(application.reference)
        if not match or int(match.group(1)) != application.sequence:
            problems["reference_numbers"].append(f"application {application.pk}: reference {application.reference!r} for number {application.sequence}")
    report["reference_numbers"] = f"1..{len(submitted)}" if numbers == expected else "gaps or repeats"

    # ---- e-mails ---------------------------------------------------------------------------------------------------
    messages = defaultdict(list)
    for message in OutboxMessage.objects.filter(subject__contains=f"-{call.reference}-").only("to", "subject", "body", "sent_at"):
        messages[message.to.lower()].append(message)
    received = _received_references(maildir, pattern) if maildir else None
    sent = delivered = 0
    for application in submitted:
        mine = [
            m for m in messages.get(application.submitted_by.email.lower(), [])
            if application.reference in m.subject or application.reference in m.body
        ]
        if not mine:
            problems["emails_missing"].append(f"{application.reference}: no outbox message to {application.submitted_by.email}")
        elif not any(m.sent_at for m in mine):
            problems["emails_unsent"].append(f"{application.reference}: outbox message to {application.submitted_by.email} not sent")
        else:
            sent += 1
        if received is not None:
            if received[application.reference]:
                delivered += 1
            else:
                problems["emails_not_received"].append(f"{application.reference}: the SMTP server has no message for it")
    report["emails_sent"] = sent
    if received is not None:
        report["emails_received_by_smtp"] = delivered
        report["emails_received_twice"] = sum(1 for n in received.values() if n > 1)

    # ---- uploads -------------------------------------------------------------------------------------------------
    sent_files = {(e["application"], e["name"]): e for e in events if e["event"] == "upload_sent"}
    saved_files = {(e["application"], e["name"]): e for e in events if e["event"] == "upload_saved"}
    attachments = list(Attachment.objects.filter(application__call=call).order_by("pk"))
    rows = defaultdict(list)
    for attachment in attachments:
        rows[(attachment.application_id, attachment.original_name)].append(attachment)
    for key, event in saved_files.items():
        if key not in rows:
            problems["lost_uploads"].append(f"{event['email']}: {event['name']} was acknowledged but has no attachment row")
    checked = 0
    stored_names = set()
    for attachment in attachments:
        key = (attachment.application_id, attachment.original_name)
        sent_event = sent_files.get(key)
        name = attachment.file.name
        stored_names.add(name)
        if sent_event is None:
            problems["uploads_unknown"].append(f"attachment {attachment.pk} ({attachment.original_name}) matches no document sent")
            continue
        if not storage.exists(name):
            problems["lost_uploads"].append(f"attachment {attachment.pk} ({attachment.original_name}): {name} is not in the storage")
            continue
        size = storage.size(name)
        if size != sent_event["size"] or attachment.size != sent_event["size"]:
            problems["lost_uploads"].append(f"attachment {attachment.pk}: {size} bytes stored, row says {attachment.size}, {sent_event['size']} sent")
            continue
        if _sha256(storage, name) != sent_event["sha256"]:
            problems["lost_uploads"].append(f"attachment {attachment.pk}: the stored file's SHA-256 differs from the document sent")
            continue
        checked += 1
    report["uploads_acknowledged"] = len(saved_files)
    report["attachment_rows"] = len(attachments)
    report["uploads_verified"] = checked
    report["attachment_rows_not_acknowledged"] = len([k for k in rows if k not in saved_files])
    try:
        _dirs, files = storage.listdir("applications")
        stored = set()
        for year in _dirs:
            stored |= {f"applications/{year}/{f}" for f in storage.listdir(f"applications/{year}")[1]}
        report["stored_files_without_row"] = len(stored - stored_names)
    except (FileNotFoundError, NotImplementedError, OSError):
        report["stored_files_without_row"] = None

    report["retries_by_users"] = sum(1 for e in events if e["event"] == "retry")
    report["problems"] = {kind: {"count": len(found), "first": found[:SHOW]} for kind, found in problems.items()}
    blocking = ("lost_submissions", "reference_numbers", "emails_missing", "emails_unsent", "emails_not_received", "lost_uploads", "uploads_unknown")
    report["ok"] = not any(problems.get(kind) for kind in blocking)
    return report
