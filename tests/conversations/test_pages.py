"""The conversation pages: who reads, who writes, what others get (404 for another organisation, a draft, a reviewer
or a donor on an application; 403 for a wrong role's action), forms with messages on their fields, escaping."""
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conversations import services
from conversations.models import Message, Thread

from ..applications.helpers import complete_draft, pdf_upload, rules_call

pytestmark = pytest.mark.django_db


def app_url(application):
    return f"/applications/{application.pk}/messages/"


def grant_url(grant):
    return f"/grants/{grant.reference}/messages/"


def _get(client, user, url):
    client.force_login(user)
    return client.get(url)


def _ask(officer, application):
    return services.post_message(actor=officer, application=application, body="Are the case workers full-time?",
                                 reply_by=timezone.localdate() + timedelta(days=7))


@pytest.mark.parametrize(("who", "writes"), [("cso_user", True), ("viewer", False), ("officer", True), ("finance", False)])
def test_application_thread_readers(client, request, submitted, officer, who, writes):
    _ask(officer, submitted)
    response = _get(client, request.getfixturevalue(who), app_url(submitted))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Are the case workers full-time?" in page
    assert ('name="body"' in page) is writes
    assert ('name="reply_by"' in page) is (who == "officer")


@pytest.mark.parametrize("who", ["other_cso_user", "donor", "reviewer"])
def test_application_thread_is_404_for_others(client, request, submitted, officer, who):
    _ask(officer, submitted)
    assert _get(client, request.getfixturevalue(who), app_url(submitted)).status_code == 404
    assert client.post(app_url(submitted), {"body": "Hi"}).status_code == 404
    assert Message.objects.count() == 1


def test_no_thread_page_for_a_draft(client, cso_user, officer, programme, organisation):
    draft = complete_draft(actor=cso_user, call=rules_call(programme), organisation=organisation)
    assert _get(client, cso_user, app_url(draft)).status_code == 404
    assert _get(client, officer, app_url(draft)).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, submitted):
    response = client.get(app_url(submitted))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(("who", "status", "writes"), [
    ("cso_user", 200, True), ("officer", 200, True), ("finance", 200, False), ("donor", 200, False),
    ("viewer", 200, False), ("other_cso_user", 404, False), ("reviewer", 404, False),
])
def test_grant_thread_access(client, request, grant, who, status, writes):
    response = _get(client, request.getfixturevalue(who), grant_url(grant))
    assert response.status_code == status
    if status == 200:
        assert ('name="body"' in response.content.decode()) is writes


@pytest.mark.parametrize("who", ["viewer", "finance", "donor"])
def test_readers_posting_get_403(client, request, grant, who):
    client.force_login(request.getfixturevalue(who))
    assert client.post(grant_url(grant), {"body": "Hello"}).status_code == 403
    assert not Thread.objects.exists()


def test_officer_asks_applicant_answers_with_a_file_officer_sees_it(client, officer, cso_user, submitted):
    client.force_login(officer)
    day = timezone.localdate() + timedelta(days=7)
    response = client.post(app_url(submitted), {"body": "Please send the shelter's lease.", "reply_by": day.isoformat()})
    assert response.status_code == 302
    assert "Answer the clarification request" not in client.get(app_url(submitted)).content.decode()
    client.force_login(cso_user)
    page = client.get(app_url(submitted)).content.decode()
    assert "Please send the shelter&#x27;s lease." in page and "Clarification request" in page
    assert "Answer the clarification request" in page
    response = client.post(app_url(submitted), {"body": "Here it is.", "file": pdf_upload("lease.pdf")})
    assert response.status_code == 302
    client.force_login(officer)
    page = client.get(app_url(submitted)).content.decode()
    answer = Message.objects.get(body="Here it is.")
    assert "Here it is." in page and f"/messages/{answer.pk}/file/" in page and "answered" in page


def test_an_overdue_clarification_is_marked(client, officer, cso_user, submitted):
    question = _ask(officer, submitted)
    Message.objects.filter(pk=question.pk).update(reply_by=timezone.localdate() - timedelta(days=1))
    assert "overdue" in _get(client, cso_user, app_url(submitted)).content.decode()


def test_a_bad_file_comes_back_on_its_field_with_the_text_kept(client, cso_user, submitted):
    client.force_login(cso_user)
    upload = SimpleUploadedFile("notes.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")
    response = client.post(app_url(submitted), {"body": "My answer", "file": upload})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'class="field-error" id="id_file_error"' in page and "My answer" in page
    assert not Message.objects.exists()


def test_a_past_reply_date_comes_back_on_its_field(client, officer, submitted):
    client.force_login(officer)
    day = timezone.localdate() - timedelta(days=1)
    response = client.post(app_url(submitted), {"body": "Q", "reply_by": day.isoformat()})
    assert response.status_code == 400 and 'id="id_reply_by_error"' in response.content.decode()


def test_text_is_escaped(client, officer, cso_user, submitted):
    services.post_message(actor=cso_user, application=submitted, body="<script>alert('x')</script>")
    page = _get(client, officer, app_url(submitted)).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_new_messages_are_marked_until_read(client, officer, cso_user, submitted):
    services.post_message(actor=cso_user, application=submitted, body="First")
    _get(client, officer, app_url(submitted))  # read
    services.post_message(actor=cso_user, application=submitted, body="Second")
    page = client.get(app_url(submitted)).content.decode()
    assert page.count(">New<") == 1


def test_share_is_for_officers_only(client, officer, finance, cso_user, submitted):
    question = _ask(officer, submitted)
    url = f"/applications/{submitted.pk}/messages/{question.pk}/share/"
    for user in (finance, cso_user):
        client.force_login(user)
        assert client.post(url).status_code == 403
    client.force_login(officer)
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    question.refresh_from_db()
    assert question.shared_at is not None


def test_links_from_the_application_and_grant_pages(client, officer, cso_user, submitted, grant):
    assert app_url(submitted) in _get(client, cso_user, f"/applications/{submitted.pk}/").content.decode()
    assert app_url(submitted) in _get(client, officer, f"/screening/applications/{submitted.pk}/").content.decode()
    assert grant_url(grant) in _get(client, officer, f"/grants/{grant.reference}/").content.decode()
    assert grant_url(grant) in _get(client, cso_user, f"/my/grants/{grant.reference}/").content.decode()
