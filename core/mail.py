"""The one way the project e-mails people: each message composed in its recipient's language.

A service calls `mail_on_commit(people, compose)` inside its transaction. Once the transaction has committed, for
each person (anything with `email` and `language`, normally a User) `compose(person)` runs with that person's language
active and returns the subject, the body and any attachments; so the officer who screens in English sends the
Nigerien applicant a French e-mail, and a rolled-back change sends nothing.
"""
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import translation


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


def message_for(person, compose) -> EmailMessage:
    """The e-mail `compose` writes for `person`, in the person's language."""
    with translation.override(language_of(person)):
        mail = compose(person)
        # Names typed by users can end up in a subject: a line break there would make the message unsendable.
        message = EmailMessage(subject=" ".join(str(mail.subject).split()), body=str(mail.body), to=[person.email])
        for name, content, mimetype in mail.attachments:
            message.attach(name, content, mimetype)
    return message


def mail_on_commit(people, compose) -> None:
    """One e-mail per person (once per address), composed and sent after the current transaction commits."""
    unique = {}
    for person in people:
        if person is not None and getattr(person, "email", ""):
            unique.setdefault(person.email.lower(), person)
    recipients = [unique[key] for key in sorted(unique)]
    if not recipients:
        return

    def send():
        for person in recipients:
            message_for(person, compose).send()

    transaction.on_commit(send)
