"""Reviewers see a clarification only once an officer shares it, on their scoring page, read-only; message files
are served only to those who may read the conversation (and to assigned reviewers for shared clarifications)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Membership
from conversations import services

from ..applications.helpers import PDF_BYTES, pdf_upload, rules_call
from ..applications.test_scoring import assign, close_call, eligible_application, make_grid
from ..conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(programme, officer, reviewer):
    """An eligible application after the deadline with `reviewer` assigned; returns (application, member, assignment)."""
    call = rules_call(programme)
    make_grid(call)
    application = eligible_application(call, officer)
    close_call(call)
    member = Membership.objects.get(organisation=application.organisation).user
    type(member).objects.filter(pk=member.pk).update(email_verified_at=timezone.now())
    member.refresh_from_db()
    return application, member, assign(application, reviewer)


def _clarify(officer, member, application):
    question = services.post_message(actor=officer, application=application, body="Who runs the shelter?",
                                     reply_by=timezone.localdate() + timedelta(days=7))
    answer = services.post_message(actor=member, application=application, body="Our partner NGO.", uploaded_file=pdf_upload("mou.pdf"))
    return question, answer


def _file(client, user, message):
    client.force_login(user)
    return client.get(f"/messages/{message.pk}/file/")


def test_reviewer_sees_the_clarification_only_once_shared(client, officer, reviewer, scored):
    application, member, assignment = scored
    question, answer = _clarify(officer, member, application)
    services.post_message(actor=officer, application=application, body="Not for the panel.")
    client.force_login(reviewer)
    score_url = f"/reviews/assignments/{assignment.pk}/score/"
    page = client.get(score_url).content.decode()
    assert "Who runs the shelter?" not in page and "Clarifications shared with the panel" not in page
    assert _file(client, reviewer, answer).status_code == 404
    assert client.get(f"/applications/{application.pk}/messages/").status_code == 404

    services.share_with_panel(actor=officer, message=question)
    client.force_login(reviewer)
    page = client.get(score_url).content.decode()
    assert "Clarifications shared with the panel" in page
    assert "Who runs the shelter?" in page and "Our partner NGO." in page and "Not for the panel." not in page
    assert officer.email not in page  # the panel sees the sides, not who wrote
    assert 'name="body"' not in page.split("Clarifications shared with the panel")[1]
    response = _file(client, reviewer, answer)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF_BYTES
    # still no conversation page for reviewers: only the shared messages, on the scoring page
    assert client.get(f"/applications/{application.pk}/messages/").status_code == 404


def test_a_reviewer_not_assigned_to_the_application_gets_404_for_shared_files(client, officer, scored):
    application, member, _ = scored
    question, answer = _clarify(officer, member, application)
    services.share_with_panel(actor=officer, message=question)
    assert _file(client, make_user("reviewer"), answer).status_code == 404


def test_message_files_for_each_reader(client, officer, finance, donor, other_cso_user, scored):
    application, member, _ = scored
    _, answer = _clarify(officer, member, application)
    for user, status in ((member, 200), (officer, 200), (finance, 200), (donor, 404), (other_cso_user, 404)):
        response = _file(client, user, answer)
        assert response.status_code == status, user
        if status == 200:
            assert response["Content-Disposition"].startswith('attachment; filename="mou.pdf"')
            assert response["X-Content-Type-Options"] == "nosniff" and response["Content-Type"] == "application/pdf"


def test_grant_files_follow_the_grant_pages(client, officer, donor, cso_user, other_cso_user, reviewer, grant):
    message = services.post_message(actor=cso_user, grant=grant, body="Receipts", uploaded_file=pdf_upload())
    for user, status in ((cso_user, 200), (officer, 200), (donor, 200), (other_cso_user, 404), (reviewer, 404)):
        assert _file(client, user, message).status_code == status, user


def test_a_message_without_a_file_or_a_missing_one_is_404(client, officer, cso_user, grant):
    plain = services.post_message(actor=officer, grant=grant, body="No file")
    assert _file(client, cso_user, plain).status_code == 404
    message = services.post_message(actor=cso_user, grant=grant, body="File", uploaded_file=pdf_upload())
    message.file.storage.delete(message.file.name)
    assert _file(client, cso_user, message).status_code == 404
    assert _file(client, cso_user, type(message)(pk=10**9)).status_code == 404
