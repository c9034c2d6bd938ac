"""Reads of conversations, each in a fixed number of queries.

Access follows the pages of the subject: an application's conversation is read by its organisation's members and
by programme staff once submitted (`applications.selectors`), a grant's by whoever reads the grant
(`grants.access.grant_for`: staff, donor observers, the grantee's members). Reviewers read only what an officer
shared with the panel, on their scoring page (`shared_with_panel`).
"""
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from accounts import roles as R
from accounts.access import has_role, objects_for
from accounts.models import Organisation
from applications import selectors as application_selectors
from applications.review.selectors import application_for_reviewer
from grants.access import grant_for

from .models import Message, ReadMark, Side, Thread
from .services import OFFICERS, writing_side

MESSAGE_RELATED = ("author",)


def readable_application(user, pk):
    """A submitted application whose conversation `user` may read, or 404 (drafts have none)."""
    if has_role(user, *R.STAFF_ROLES):
        return application_selectors.application_for_staff(user, pk)
    application = application_selectors.application_for_member(user, pk)
    if application.submitted_at is None:
        raise Http404
    return application


def readable_grant(user, reference):
    """A grant whose conversation `user` may read (whoever reads the grant), or 404."""
    return grant_for(user, reference)


@dataclass(frozen=True)
class ThreadPage:
    thread: Thread | None
    messages: list
    side: str | None  # the side the reader writes for, None when they only read
    read_at: object  # when the reader last read the thread, or None

    @property
    def open_clarification(self):
        """The latest clarification request still waiting for the organisation's answer, or None."""
        for message in reversed(self.messages):
            if message.side == Side.PROGRAMME:
                return message if message.is_clarification and not message.answered else None
        return None


def _with_answers(messages):
    """Mark each clarification request `answered` once the organisation has written after it (`messages` in order)."""
    waiting = []
    for message in messages:
        message.answered = False
        if message.side == Side.ORGANISATION:
            for question in waiting:
                question.answered = True
            waiting = []
        elif message.is_clarification:
            waiting.append(message)
    return messages


def thread_page(user, *, application=None, grant=None) -> ThreadPage:
    """The conversation on `application` or `grant` (already checked readable) as `user` sees it: 3 queries."""
    lookup = {"application": application} if application is not None else {"grant": grant}
    subject = application if application is not None else grant
    thread = Thread.objects.filter(**lookup).first()
    messages, read_at = [], None
    if thread is not None:
        messages = _with_answers(list(thread.messages.select_related(*MESSAGE_RELATED).order_by("created_at", "id")))
        read_at = ReadMark.objects.filter(thread=thread, user=user).values_list("read_at", flat=True).first()
        for message in messages:
            message.is_new = read_at is not None and message.created_at > read_at and message.author_id != user.pk
    return ThreadPage(thread=thread, messages=messages, side=writing_side(user, subject.organisation), read_at=read_at)


def shared_with_panel(application):
    """Clarification requests on `application` shared with the panel, and their answers, oldest first: 1 query."""
    return _with_answers(list(
        Message.objects.filter(thread__application=application)
        .filter(Q(shared_at__isnull=False) | Q(answers__shared_at__isnull=False))
        .order_by("created_at", "id")
    ))


def message_for(user, pk):
    """A message with a file, for its download: the reader must read the conversation, or be a reviewer assigned to
    the application when the message belongs to a shared clarification. Anything else 404."""
    try:
        message = Message.objects.select_related("thread", "thread__grant", "answers").get(pk=pk)
    except Message.DoesNotExist:
        raise Http404 from None
    thread = message.thread
    if thread.grant_id is not None:
        readable_grant(user, thread.grant.reference)
    elif has_role(user, R.REVIEWER) and not has_role(user, *R.STAFF_ROLES):
        shared = message.shared_at is not None or (message.answers is not None and message.answers.shared_at is not None)
        if not shared:
            raise Http404
        application_for_reviewer(user, thread.application_id)
    else:
        readable_application(user, thread.application_id)
    if not message.file:
        raise Http404
    return message


def unanswered_for(user):
    """Conversations waiting for `user`'s side to answer, longest waiting first, in one query (plus the
    permission lookup for members): for a member of an organisation, its threads whose last message is the
    programme's; for a programme officer or administrator, threads whose last message is the organisation's and in
    which they wrote, or no officer has yet. Each thread comes with its application or grant."""
    organisations = objects_for(user, "accounts.view_organisation", Organisation.objects.all())
    waiting = Q(organisation__in=organisations, last_side=Side.PROGRAMME)
    if has_role(user, *OFFICERS):
        programme = Message.objects.filter(thread=OuterRef("pk"), side=Side.PROGRAMME)
        waiting |= Q(last_side=Side.ORGANISATION) & (Q(Exists(programme.filter(author=user))) | ~Q(Exists(programme)))
    return list(
        Thread.objects.filter(waiting).select_related("application", "grant", "organisation").order_by("last_message_at", "pk")
    )
