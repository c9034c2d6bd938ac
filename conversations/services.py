"""Services for conversations: post a message (creating the thread with the first one), share a clarification
with the assessment panel, mark a thread read.

Who writes: programme officers and administrators for the programme; an organisation's administrators and
editors for the organisation (its viewers, finance officers and donor observers only read, see `selectors`).
Applications have a conversation once submitted, since programme staff never see drafts.
"""
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles as R
from accounts.access import can_on, has_role, require_verified_email_to_upload
from applications.models import Application
from audit.services import audit_record
from core.errors import DomainError
from core.uploads import validate_upload
from grants.models import Grant
from notifications.services import notify

from .models import BODY_MAX_CHARS, Message, ReadMark, Side, Thread

OFFICERS = (R.PROGRAMME_OFFICER, R.ADMINISTRATOR)
REPLY_DAYS_MAX = 60  # a clarification's reply date lies within this many days


def writing_side(user, organisation):
    """The side `user` writes for in `organisation`'s conversations, or None when they may only read."""
    if has_role(user, *OFFICERS):
        return Side.PROGRAMME
    if can_on(user, "edit_applications", organisation):
        return Side.ORGANISATION
    return None


def _locked_subject(application, grant):
    """Lock the application or grant row, so two first messages create one thread."""
    if (application is None) == (grant is None):
        raise ValueError("A message is about an application or a grant.")
    if application is not None:
        application = Application.objects.select_for_update().get(pk=application.pk)
        if application.submitted_at is None:
            raise DomainError(_("Messages open once the application is submitted."), code="not_submitted")
        return application, {"application": application}
    grant = Grant.objects.select_for_update().get(pk=grant.pk)
    return grant, {"grant": grant}


def _checked_body(body, uploaded_file):
    body = (body or "").strip()
    if not body and uploaded_file is None:
        raise DomainError(_("Write a message or attach a file."), code="empty", field="body")
    if len(body) > BODY_MAX_CHARS:
        raise DomainError(
            _("A message can be at most %(n)s characters long.") % {"n": BODY_MAX_CHARS}, code="too_long", field="body",
        )
    return body


def _checked_reply_by(reply_by, side):
    if reply_by is None:
        return None
    if side != Side.PROGRAMME:
        raise DomainError(_("Only the programme asks for a reply by a date."), code="forbidden", field="reply_by")
    today = timezone.localdate()
    if not today < reply_by <= today + timedelta(days=REPLY_DAYS_MAX):
        raise DomainError(
            _("Choose a reply date after today and within %(n)s days.") % {"n": REPLY_DAYS_MAX},
            code="reply_by", field="reply_by",
        )
    return reply_by


def _checked_file(actor, uploaded_file):
    if uploaded_file is None:
        return None
    require_verified_email_to_upload(actor)
    try:
        return validate_upload(uploaded_file)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code=exc.code, field="file") from None


def _recipients(thread, side):
    """The other side: the organisation's members, or the officers who wrote in the thread (all programme
    officers while none has)."""
    users = get_user_model().objects.filter(is_active=True)
    if side == Side.PROGRAMME:
        return list(users.filter(memberships__organisation=thread.organisation))
    writers = list(users.filter(pk__in=thread.messages.filter(side=Side.PROGRAMME).values("author")))
    return writers or list(users.filter(groups__name=R.PROGRAMME_OFFICER))


def post_message(*, actor, body, application=None, grant=None, reply_by=None, uploaded_file=None) -> Message:
    """Write in the conversation on `application` or `grant`. A programme message with `reply_by` is a
    clarification request; the organisation's messages after it answer it."""
    body = _checked_body(body, uploaded_file)
    kind = _checked_file(actor, uploaded_file)
    with transaction.atomic():
        subject, lookup = _locked_subject(application, grant)
        side = writing_side(actor, subject.organisation)
        if side is None:
            raise DomainError(_("You can read this conversation but not write in it."), code="forbidden")
        reply_by = _checked_reply_by(reply_by, side)
        now = timezone.now()
        thread = Thread.objects.select_for_update().filter(**lookup).first()
        if thread is None:
            thread = Thread.objects.create(organisation=subject.organisation, last_message_at=now, last_side=side, **lookup)
        answers = None
        if side == Side.ORGANISATION:
            last_programme = thread.messages.filter(side=Side.PROGRAMME).order_by("-created_at", "-id").first()
            answers = last_programme if last_programme is not None and last_programme.is_clarification else None
        message = Message(
            thread=thread, author=actor, side=side, body=body, created_at=now, reply_by=reply_by, answers=answers,
        )
        if uploaded_file is not None:
            message.file = uploaded_file
            message.original_name = uploaded_file.name[:255]
            message.kind, message.size = kind, uploaded_file.size
        message.save()
        thread.last_message_at, thread.last_side = now, side
        thread.save(update_fields=["last_message_at", "last_side"])
        ReadMark.objects.update_or_create(thread=thread, user=actor, defaults={"read_at": now})
        audit_record(actor=actor, verb="conversation.message", target=subject, data={
            "thread": thread.pk, "message": message.pk, "side": side, "reply_by": reply_by.isoformat() if reply_by else None,
            "answers": answers.pk if answers else None, "file": message.original_name, "size": message.size,
        })
        notify(_recipients(thread, side), "message_received", url=thread.get_absolute_url(),
               params={"topic": subject.reference})
    return message


def share_with_panel(*, actor, message) -> Message:
    """Show a clarification request on an application, and its answers, to the application's assigned reviewers."""
    with transaction.atomic():
        message = Message.objects.select_for_update().select_related("thread").get(pk=message.pk)
        if not has_role(actor, *OFFICERS):
            raise DomainError(_("Only programme officers share clarifications with the panel."), code="forbidden")
        if not message.is_clarification or message.thread.application_id is None:
            raise DomainError(_("Only a clarification request on an application can be shared with the panel."), code="not_clarification")
        if message.shared_at is not None:
            raise DomainError(_("This clarification is already shared with the panel."), code="already_shared")
        message.shared_at = timezone.now()
        message.save(update_fields=["shared_at"])
        audit_record(actor=actor, verb="conversation.shared", target=message.thread.application,
                     data={"thread": message.thread_id, "message": message.pk})
    return message


def thread_mark_read(*, actor, thread) -> bool:
    """Record that `actor` has read `thread` up to its last message. True when that moved the mark."""
    with transaction.atomic():
        thread = Thread.objects.select_for_update().get(pk=thread.pk)
        mark = ReadMark.objects.select_for_update().filter(thread=thread, user=actor).first()
        if mark is not None and mark.read_at >= thread.last_message_at:
            return False
        read_at = thread.last_message_at
        if mark is None:
            ReadMark.objects.create(thread=thread, user=actor, read_at=read_at)
        else:
            mark.read_at = read_at
            mark.save(update_fields=["read_at"])
        audit_record(actor=actor, verb="conversation.read", target=thread, data={"read_at": read_at.isoformat()})
    return True
