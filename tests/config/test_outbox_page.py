"""The outbox operator page: counts, a filtered list without bodies, and retries of what failed (audited)."""
import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from core.models import OutboxMessage
from core.outbox import MAX_ATTEMPTS, outbox_pending

from .test_query_counts import _queries


def message(subject="Your receipt", **fields):
    return OutboxMessage.objects.create(to="ana@example.org", language="en", subject=subject,
                                        body="SECRET-BODY personal details", **fields)


def sent(**fields):
    return message(sent_at=timezone.now(), attempts=1, **fields)


def failed(**fields):
    return message(attempts=MAX_ATTEMPTS, last_error="ConnectionRefusedError: [Errno 111]", **fields)


@pytest.fixture
def mailbag(db):
    return {"queued": message("Queued one"), "sent": sent(subject="Sent one"), "failed": failed(subject="Failed one")}


def test_counts_and_list_without_bodies(client, administrator, mailbag):
    client.force_login(administrator)
    response = client.get(reverse("outbox"))
    assert response.status_code == 200
    assert response.context["counts"] == {"queued": 1, "sent": 1, "failed": 1}
    html = response.content.decode()
    assert "Queued one" in html and "Sent one" in html and "Failed one" in html
    assert "SECRET-BODY" not in html and "ConnectionRefusedError" in html
    assert html.count(reverse("outbox_message_retry", args=[mailbag["failed"].pk])) == 1
    assert reverse("outbox_retry_all") in html


@pytest.mark.parametrize("status, subject", [("queued", "Queued one"), ("sent", "Sent one"), ("failed", "Failed one")])
def test_filter_by_status(client, administrator, mailbag, status, subject):
    client.force_login(administrator)
    rows = client.get(reverse("outbox"), {"status": status}).context["rows"]
    assert [m.subject for m, _state, _label in rows] == [subject]


def test_an_unknown_status_shows_everything_newest_first(client, administrator, mailbag):
    client.force_login(administrator)
    rows = client.get(reverse("outbox"), {"status": "<script>"}).context["rows"]
    assert [m.subject for m, _state, _label in rows] == ["Failed one", "Sent one", "Queued one"]


def test_officers_read_without_retry_buttons(client, officer, mailbag):
    client.force_login(officer)
    response = client.get(reverse("outbox"))
    assert response.status_code == 200 and not response.context["may_retry"]
    assert reverse("outbox_retry_all") not in response.content.decode()
    assert client.post(reverse("outbox_message_retry", args=[mailbag["failed"].pk])).status_code == 403
    assert client.post(reverse("outbox_retry_all")).status_code == 403
    assert OutboxMessage.objects.get(pk=mailbag["failed"].pk).attempts == MAX_ATTEMPTS


@pytest.mark.parametrize("role", ["finance", "donor", "reviewer", "cso_user"])
def test_other_roles_get_403(client, request, role, mailbag):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("outbox")).status_code == 403
    assert client.post(reverse("outbox_message_retry", args=[mailbag["failed"].pk])).status_code == 403


def test_visitors_are_sent_to_sign_in(client, mailbag):
    assert client.get(reverse("outbox")).status_code == 302


def test_retry_requeues_audits_and_sends(client, administrator, mailbag, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(administrator)
    target = mailbag["failed"]
    # The page's form carries the view being looked at; the answer goes back to it (and only to the outbox).
    page = client.get(reverse("outbox") + "?status=failed&q=failed").content.decode()
    assert 'name="query" value="status=failed&amp;q=failed"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("outbox_message_retry", args=[target.pk]), {"query": "status=failed&q=failed"})
    assert response.status_code == 302 and response.url == reverse("outbox") + "?status=failed&q=failed"
    target.refresh_from_db()
    # Sent at once by the job run after the commit (eager without a broker); the error is cleared by the success.
    assert target.sent_at is not None and target.attempts == 1 and target.last_error == ""
    assert [m.subject for m in mailoutbox] == ["Failed one"]
    event = AuditEvent.objects.get(verb="outbox.retry")
    assert event.actor == administrator and event.target_id == str(target.pk)
    assert event.data["attempts"] == MAX_ATTEMPTS and "ConnectionRefused" in event.data["last_error"]


def test_retry_refuses_a_message_that_has_not_failed(client, administrator, mailbag):
    client.force_login(administrator)
    for name in ("queued", "sent"):
        response = client.post(reverse("outbox_message_retry", args=[mailbag[name].pk]), follow=True)
        assert "has not failed" in response.content.decode()
    assert client.post(reverse("outbox_message_retry", args=[999999])).status_code == 302
    assert not AuditEvent.objects.filter(verb="outbox.retry").exists()
    assert OutboxMessage.objects.get(pk=mailbag["queued"].pk).attempts == 0


def test_retry_all_failed(client, administrator, mailbag, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # still down: nothing is sent
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    more = failed(subject="Failed two")
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("outbox_retry_all"), follow=True)
    assert "2 failed e-mails are queued again." in response.content.decode()
    assert AuditEvent.objects.filter(verb="outbox.retry").count() == 2
    for row in OutboxMessage.objects.filter(pk__in=[mailbag["failed"].pk, more.pk]):
        assert row.sent_at is None and row.attempts == 1  # a fresh round: the first try failed again, more to come
    assert set(outbox_pending(now=timezone.now() + timezone.timedelta(hours=1)).values_list("subject", flat=True)) >= {
        "Failed one", "Failed two"}


def test_retry_needs_post(client, administrator, mailbag):
    client.force_login(administrator)
    assert client.get(reverse("outbox_message_retry", args=[mailbag["failed"].pk])).status_code == 405


def test_page_queries_do_not_grow_with_messages(client, administrator):
    client.force_login(administrator)
    for i in range(5):
        failed(subject=f"Message {i}")
    few = _queries(client, reverse("outbox"))
    for i in range(45):
        (failed if i % 2 else sent)(subject=f"Message {i}")
    many = _queries(client, reverse("outbox"))
    assert few == many
    assert many <= 15


def test_search_combines_with_the_status(client, administrator, mailbag):
    failed(subject="Another failure")
    client.force_login(administrator)

    def subjects(query):
        return [m.subject for m, _state, _label in client.get(reverse("outbox"), query).context["rows"]]

    assert subjects({"q": "ANOTHER"}) == ["Another failure"]
    assert len(subjects({"q": "ana@example"})) == 4
    assert subjects({"q": "one", "status": "failed"}) == ["Failed one"]
    assert subjects({"sort": "subject"}) == ["Another failure", "Failed one", "Queued one", "Sent one"]


def test_export_follows_the_view_without_bodies(client, officer, mailbag):
    client.force_login(officer)
    response = client.get(reverse("outbox_export"), {"status": "failed", "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 2 and "Failed one" in lines[1] and "Failed" in lines[1]
    assert "SECRET-BODY" not in "".join(lines)
    xlsx = client.get(reverse("outbox_export"), {"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize("role", ["finance", "donor", "reviewer", "cso_user"])
def test_export_refused_to_other_roles(client, request, role, mailbag):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("outbox_export")).status_code == 403
