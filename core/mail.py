"""The one way the project e-mails people: each message composed in its recipient's language.

A service calls `mail_on_commit(people, compose)` inside its transaction. For each person (anything with `email`
and `language`, normally a User) `compose(person)` runs with that person's language active and returns the subject,
the body and any attachments; so the officer who screens in English sends the Nigerien applicant a French e-mail.
The message is written to the outbox (`core.models.OutboxMessage`) in the same transaction, and the job runner sends
it once the transaction has committed: a rolled-back change sends nothing, and a committed one is never forgotten
(`core.outbox`).
"""
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import translation

from .models import OutboxAttachment, OutboxMessage


@dataclass
class Mail:
    subject: str
    body: str
    attachments: list = field(default_factory=list)  # (file name, bytes, MIME type)


@dataclass(frozen=True)
class Address:
    """Someone known only by address (an invitee without an account), with the language to write to them in."""

    email: str
    language: str


def language_of(person) -> str:
    language = getattr(person, "language", "") or ""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def outbox_add(person, compose) -> OutboxMessage:
    """Compose the e-mail for `person` in their language and queue it; it is sent after the transaction commits."""
    language = language_of(person)
    with translation.override(language):
        mail = compose(person)
        # Names typed by users can end up in a subject: a line break there would make the message unsendable.
        message = OutboxMessage.objects.create(
            to=person.email, language=language, subject=" ".join(str(mail.subject).split()), body=str(mail.body)
        )
    OutboxAttachment.objects.bulk_create(
        OutboxAttachment(message=message, name=name, content=content, mimetype=mimetype)
        for name, content, mimetype in mail.attachments
    )
    transaction.on_commit(lambda: _enqueue(message.pk))
    return message


def _enqueue(pk):
    from .tasks import send_outbox_message  # the job runner loads after the apps

    send_outbox_message.delay(pk)


def mail_on_commit(people, compose) -> None:
    """One e-mail per person (once per address), queued in the outbox now and sent after the transaction commits."""
    unique = {}
    for person in people:
        if person is not None and getattr(person, "email", ""):
            unique.setdefault(person.email.lower(), person)
    with transaction.atomic():
        for key in sorted(unique):
            outbox_add(unique[key], compose)
