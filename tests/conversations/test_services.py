"""Services: posting (thread created with the first message, clarification requests and their answers), sharing with
the panel, marking read; refusals write nothing; every change is audited; the other side is notified."""
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications.models import Application
from audit.models import AuditEvent
from conversations import services
from conversations.models import BODY_MAX_CHARS, Message, ReadMark, Side, Thread
from core.errors import DomainError
from notifications.models import Notification

from ..applications.helpers import PDF_BYTES, complete_draft, pdf_upload, rules_call
from ..conftest import make_user

pytestmark = pytest.mark.django_db


def _ask(officer, application, days=7, body="Are the case workers full-time?"):
    return services.post_message(actor=officer, application=application, body=body,
                                 reply_by=timezone.localdate() + timedelta(days=days))


def _refused(code, **kwargs):
    messages, events = Message.objects.count(), AuditEvent.objects.count()
    with pytest.raises(DomainError) as info:
        services.post_message(**kwargs)
    assert info.value.code == code
    assert (Message.objects.count(), AuditEvent.objects.count()) == (messages, events)
    return info.value


def test_first_message_creates_the_thread_audits_and_notifies_the_organisation(officer, cso_user, submitted):
    message = _ask(officer, submitted)
    thread = Thread.objects.get(application=submitted)
    assert message.thread == thread and message.side == Side.PROGRAMME and message.is_clarification
    assert (thread.last_side, thread.organisation) == (Side.PROGRAMME, submitted.organisation)
    event = AuditEvent.objects.get(verb="conversation.message")
    assert event.target_id == str(submitted.pk) and event.data["message"] == message.pk
    assert event.data["reply_by"] == message.reply_by.isoformat()
    notification = Notification.objects.get(kind="message_received")
    assert notification.recipient == cso_user
    assert notification.url == f"/applications/{submitted.pk}/messages/"
    assert notification.params == {"topic": submitted.reference}


def test_the_answer_links_to_the_clarification_and_notifies_the_officer_who_asked(officer, cso_user, submitted):
    other_officer = make_user("programme_officer")
    question = _ask(officer, submitted)
    answer = services.post_message(actor=cso_user, application=submitted, body="Yes, both are.", uploaded_file=pdf_upload())
    assert answer.answers == question and answer.side == Side.ORGANISATION
    assert answer.kind == "pdf" and answer.original_name == "plan.pdf" and answer.size == len(PDF_BYTES)
    assert answer.file.name.startswith("conversations/") and "plan" not in answer.file.name
    assert Thread.objects.get().last_side == Side.ORGANISATION
    recipients = set(Notification.objects.filter(kind="message_received").values_list("recipient", flat=True))
    assert recipients == {cso_user.pk, officer.pk} and other_officer.pk not in recipients
    event = AuditEvent.objects.filter(verb="conversation.message").latest("id")
    assert event.data["answers"] == question.pk and event.data["file"] == "plan.pdf"


def test_an_organisations_first_message_goes_to_every_programme_officer(officer, cso_user, submitted):
    services.post_message(actor=cso_user, application=submitted, body="A question about the budget.")
    assert list(Notification.objects.filter(kind="message_received").values_list("recipient", flat=True)) == [officer.pk]


def test_a_grant_thread(officer, cso_user, grant):
    services.post_message(actor=officer, grant=grant, body="The report is due.")
    reply = services.post_message(actor=cso_user, grant=grant, body="It will be on time.")
    assert reply.thread.grant == grant and reply.answers is None
    assert reply.thread.get_absolute_url() == f"/grants/{grant.reference}/messages/"


@pytest.mark.parametrize("body", ["", "   "])
def test_an_empty_message_is_refused_on_the_body(officer, submitted, body):
    assert _refused("empty", actor=officer, application=submitted, body=body).field == "body"


def test_a_message_beyond_the_limit_is_refused(officer, submitted):
    _refused("too_long", actor=officer, application=submitted, body="x" * (BODY_MAX_CHARS + 1))


@pytest.mark.parametrize("days", [0, -1, services.REPLY_DAYS_MAX + 1])
def test_a_reply_date_today_past_or_too_far_is_refused(officer, submitted, days):
    error = _refused("reply_by", actor=officer, application=submitted, body="Q",
                     reply_by=timezone.localdate() + timedelta(days=days))
    assert error.field == "reply_by"


def test_only_the_programme_sets_a_reply_date(cso_user, submitted):
    _refused("forbidden", actor=cso_user, application=submitted, body="Q", reply_by=timezone.localdate() + timedelta(days=3))


def test_readers_and_outsiders_cannot_write(submitted, viewer, finance, donor, reviewer, other_cso_user):
    for user in (viewer, finance, donor, reviewer, other_cso_user):
        _refused("forbidden", actor=user, application=submitted, body="Hello")
    assert not Thread.objects.exists()


def test_no_conversation_on_a_draft(officer, cso_user, programme, organisation):
    draft = complete_draft(actor=cso_user, call=rules_call(programme), organisation=organisation)
    _refused("not_submitted", actor=cso_user, application=draft, body="Hello")


def test_an_upload_before_the_address_is_verified_is_refused(officer, submitted, cso_user):
    type(cso_user).objects.filter(pk=cso_user.pk).update(email_verified_at=None)
    cso_user.refresh_from_db()
    error = _refused("email_unverified", actor=cso_user, application=submitted, body="See file", uploaded_file=pdf_upload())
    assert error.field == "file"


@pytest.mark.parametrize(("name", "content", "code"), [
    ("script.pdf", b"<html><script>alert(1)</script></html>", "bad_type"),
    ("plan.docx", PDF_BYTES, "wrong_extension"),
    ("empty.pdf", b"", "empty"),
    ("active.pdf", b"%PDF-1.4\n1 0 obj<</OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\ntrailer<<>>\n%%EOF\n", "active_content"),
])
def test_attachments_are_checked_like_every_upload(cso_user, submitted, name, content, code):
    error = _refused(code, actor=cso_user, application=submitted, body="File",
                     uploaded_file=SimpleUploadedFile(name, content, content_type="application/pdf"))
    assert error.field == "file"


def test_share_with_the_panel(officer, cso_user, submitted):
    question = _ask(officer, submitted)
    services.share_with_panel(actor=officer, message=question)
    question.refresh_from_db()
    assert question.shared_at is not None
    assert AuditEvent.objects.filter(verb="conversation.shared", target_id=str(submitted.pk)).count() == 1


def test_sharing_is_refused_to_others_and_for_plain_messages(officer, finance, cso_user, submitted, grant):
    question = _ask(officer, submitted)
    plain = services.post_message(actor=officer, application=submitted, body="Thanks.")
    on_grant = services.post_message(actor=officer, grant=grant, body="Hello.")
    events = AuditEvent.objects.count()
    for actor, message, code in ((finance, question, "forbidden"), (cso_user, question, "forbidden"),
                                 (officer, plain, "not_clarification"), (officer, on_grant, "not_clarification")):
        with pytest.raises(DomainError) as info:
            services.share_with_panel(actor=actor, message=message)
        assert info.value.code == code
    services.share_with_panel(actor=officer, message=question)
    with pytest.raises(DomainError):
        services.share_with_panel(actor=officer, message=question)
    assert AuditEvent.objects.count() == events + 1
    assert Message.objects.filter(shared_at__isnull=False).count() == 1


def test_mark_read_moves_the_mark_once_per_new_message(officer, cso_user, submitted):
    question = _ask(officer, submitted)
    thread = question.thread
    assert services.thread_mark_read(actor=cso_user, thread=thread) is True
    assert services.thread_mark_read(actor=cso_user, thread=thread) is False
    assert ReadMark.objects.get(user=cso_user).read_at == question.created_at
    assert AuditEvent.objects.filter(verb="conversation.read").count() == 1



def test_deleting_an_application_removes_its_conversation(officer, cso_user, submitted):
    _ask(officer, submitted)
    services.post_message(actor=cso_user, application=submitted, body="Answer")
    Application.objects.filter(pk=submitted.pk).delete()
    assert not Thread.objects.exists() and not Message.objects.exists()
