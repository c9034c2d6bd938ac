"""The bell, the list, opening a notification and the preferences page; only ever one's own."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles as R
from audit.models import AuditEvent
from notifications.models import Notification, NotificationPreference
from notifications.services import notify

from ..conftest import login, make_user

pytestmark = pytest.mark.django_db


def _notify(person, n):
    for i in range(n):
        notify([person], "report_approved", url="/my/grants/", params={"report": f"Report {i}"})


def test_the_bell_counts_unread(client):
    person = make_user(R.APPLICANT)
    _notify(person, 3)
    Notification.objects.filter(pk=Notification.objects.first().pk).update(read_at="2026-01-01T00:00Z")
    _notify(make_user(R.APPLICANT), 4)  # someone else's
    page = login(client, person).get("/").content.decode()
    assert "Notifications, 2 unread" in page and 'href="/notifications/"' in page


def test_the_bell_with_nothing_unread(client):
    page = login(client, make_user(R.APPLICANT)).get("/").content.decode()
    assert "Notifications, none unread" in page and "bell-count" not in page


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_queries_do_not_grow_with_notifications(client):
    person = make_user(R.APPLICANT)
    login(client, person)
    _notify(person, 5)
    few = _queries(client, "/notifications/")
    _notify(person, 45)
    assert _queries(client, "/notifications/") == few
    assert few <= 8


def test_list_marks_unread_and_pages(client):
    person = make_user(R.APPLICANT)
    _notify(person, 30)
    page = login(client, person).get("/notifications/").content.decode()
    assert page.count("is-unread") == 25 and "Report 29" in page and "Page 1 of 2" in page
    assert "Report 0" in client.get("/notifications/?page=2").content.decode()


def test_open_marks_read_and_goes_to_the_object_only_for_the_recipient(client):
    person, other = make_user(R.APPLICANT), make_user(R.APPLICANT)
    _notify(person, 1)
    notification = Notification.objects.get()
    assert login(client, other).get(f"/notifications/{notification.pk}/open/").status_code == 404
    assert client.post(f"/notifications/{notification.pk}/open/").status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None
    response = login(client, person).get(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 302 and response.url == "/my/grants/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_mark_all_read_is_a_post_and_touches_only_ones_own(client):
    person, other = make_user(R.APPLICANT), make_user(R.APPLICANT)
    _notify(person, 3)
    _notify(other, 2)
    login(client, person)
    assert client.get("/notifications/read-all/").status_code == 405
    assert client.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(recipient=person, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 2


def test_pages_need_sign_in(client):
    for url in ("/notifications/", "/account/notifications/"):
        assert client.get(url).status_code == 302


def test_preferences_offer_the_roles_kinds_and_save_audited(client):
    person = make_user(R.APPLICANT)
    login(client, person)
    page = client.get("/account/notifications/").content.decode()
    assert "Payment made" in page and "Applications to review" not in page
    assert 'href="/account/notifications/"' in client.get("/account/").content.decode()
    form = {field: "immediate" for field in client.get("/account/notifications/").context["form"].fields}
    form["payment_made"] = "digest"
    assert client.post("/account/notifications/", form).status_code == 302
    assert NotificationPreference.objects.get(user=person, kind="payment_made").channel == "digest"
    assert AuditEvent.objects.filter(verb="notification.preferences", actor=person).count() == 1


def test_preferences_refuse_a_bad_choice_on_its_field(client):
    reviewer = make_user(R.REVIEWER)
    login(client, reviewer)
    response = client.post("/account/notifications/", {"review_assigned": "pigeon", "review_reopened": "digest"})
    assert response.status_code == 400
    assert response.context["form"].errors["review_assigned"]
    assert not NotificationPreference.objects.exists()
