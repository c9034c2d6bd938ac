"""Personal calendar feeds: the secret address, the events each role sees, valid iCalendar, bounded queries."""
import re
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agenda.ical import Event, calendar, escape_text, fold
from agenda.models import CalendarFeed
from agenda.services import feed_create, feed_revoke, token_hash
from applications.models import Application, Panel
from audit.models import AuditEvent
from core.errors import DomainError
from grants.models import AgreementStatus
from reports.models import Report, ReportStatus

from ..factories import CallFactory
from ..grant_helpers import signed_grant

START, END = date(2026, 1, 1), date(2027, 6, 30)  # interim report 1 due 2027-03-01, final due 2027-09-30


def url(token):
    return f"/agenda/{token}.ics"


def fetch(client, user):
    _feed, token = feed_create(actor=user)
    client.logout()  # calendar apps have no session
    response = client.get(url(token))
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar; charset=utf-8"
    return response.content.decode()


def events(text):
    parsed = icalendar.Calendar.from_ical(text)
    return {str(e["UID"]): e for e in parsed.walk("VEVENT")}


def draft(call, organisation, user, title="Shelters"):
    return Application.objects.create(call=call, organisation=organisation, created_by=user, title=title)


@pytest.fixture
def grant(organisation):
    return signed_grant(organisation=organisation, amount="100000.00", start=START, end=END)


@pytest.fixture
def other_grant(other_organisation):
    return signed_grant(organisation=other_organisation, amount="100000.00", start=START, end=END)


# ---- services ------------------------------------------------------------------------------------------------------


def test_create_stores_only_a_hash_and_keeps_one_active_feed(cso_user):
    first, token = feed_create(actor=cso_user)
    assert first.token_hash == token_hash(token) and token not in first.token_hash and len(token) >= 40
    second, other = feed_create(actor=cso_user)
    first.refresh_from_db()
    assert first.revoked_at is not None and second.revoked_at is None and other != token
    assert CalendarFeed.objects.filter(user=cso_user, revoked_at__isnull=True).get() == second
    verbs = list(AuditEvent.objects.order_by("pk").values_list("verb", flat=True))
    assert verbs[-3:] == ["calendar_feed.create", "calendar_feed.revoke", "calendar_feed.create"]


def test_revoke_is_audited_and_refused_without_a_feed(cso_user):
    with pytest.raises(DomainError):
        feed_revoke(actor=cso_user)
    feed, _token = feed_create(actor=cso_user)
    assert feed_revoke(actor=cso_user).pk == feed.pk
    assert AuditEvent.objects.filter(verb="calendar_feed.revoke", target_id=str(feed.pk)).count() == 1
    with pytest.raises(DomainError):
        feed_revoke(actor=cso_user)


# ---- the address ---------------------------------------------------------------------------------------------------


def test_unknown_revoked_replaced_and_overlong_tokens_are_404(client, cso_user):
    _feed, token = feed_create(actor=cso_user)
    assert client.get(url(token)).status_code == 200
    assert client.get(url(("y" if token[0] == "x" else "x") + token[1:])).status_code == 404  # another token
    assert client.get(url("a" * 500)).status_code == 404
    _feed, new = feed_create(actor=cso_user)
    assert client.get(url(token)).status_code == 404  # replaced
    feed_revoke(actor=cso_user)
    assert client.get(url(new)).status_code == 404
    assert client.post(url(new)).status_code == 405


def test_an_inactive_persons_feed_is_404(client, cso_user):
    _feed, token = feed_create(actor=cso_user)
    cso_user.is_active = False
    cso_user.save(update_fields=["is_active"])
    assert client.get(url(token)).status_code == 404


# ---- events by role ------------------------------------------------------------------------------------------------


def test_a_cso_member_sees_their_drafts_reports_and_tranches_and_nothing_of_another_organisation(
    client, cso_user, organisation, other_organisation, other_cso_user, grant, other_grant
):
    call = CallFactory()
    mine = draft(call, organisation, cso_user)
    theirs = draft(call, other_organisation, other_cso_user)
    Report.objects.create(grant=grant, period_number=1, is_final=False, period_start=START, period_end=date(2026, 12, 31),
                          due_date=date(2027, 3, 1), status=ReportStatus.APPROVED)
    found = events(fetch(client, cso_user))
    deadline = found[f"application-{mine.pk}-deadline@cso-grants"]
    assert deadline["DTSTART"].dt == call.closes_at.astimezone(dt_timezone.utc).replace(microsecond=0)
    assert f"application-{theirs.pk}-deadline@cso-grants" not in found
    # Interim report 1 is approved: only the final report is still due, an all-day event.
    assert f"grant-{grant.pk}-report-interim-1@cso-grants" not in found
    final = found[f"grant-{grant.pk}-report-final@cso-grants"]
    assert final["DTSTART"].dt == date(2027, 9, 30) and final["DTEND"].dt == date(2027, 10, 1)
    tranches = {uid for uid in found if uid.startswith("tranche-")}
    assert tranches == {f"tranche-{t.pk}@cso-grants" for t in grant.tranches.exclude(expected_on=None)} != set()
    assert not any(str(other_grant.pk) in uid and uid.startswith("grant-") for uid in found)
    assert other_grant.reference not in str(found) and other_organisation.legal_name not in str(found)


def test_a_reviewer_sees_the_review_deadlines_of_their_panels(client, reviewer, officer):
    deadline = timezone.now() + timedelta(days=40)
    mine, other = CallFactory(review_deadline=deadline), CallFactory(review_deadline=deadline)
    Panel.objects.create(call=mine, created_by=officer).members.add(reviewer)
    Panel.objects.create(call=other, created_by=officer)
    found = events(fetch(client, reviewer))
    assert set(found) == {f"call-{mine.pk}-review@cso-grants"}
    assert found[f"call-{mine.pk}-review@cso-grants"]["DTSTART"].dt == deadline.replace(microsecond=0)


def test_an_officer_sees_call_deadlines_and_reports_due(client, officer, grant, other_grant):
    opens = timezone.now() - timedelta(days=5)
    call = CallFactory(opens_at=opens, concept_note_deadline=opens + timedelta(days=10))
    unpublished = CallFactory(status="draft")
    grant.status = AgreementStatus.CLOSED
    grant.save(update_fields=["status"])
    found = events(fetch(client, officer))
    assert {f"call-{call.pk}-deadline@cso-grants", f"call-{call.pk}-concept-notes@cso-grants"} <= set(found)
    assert f"grant-{other_grant.pk}-report-final@cso-grants" in found
    assert not any(uid.startswith(f"grant-{grant.pk}-") for uid in found)  # closed: nothing due any more
    assert not any(uid.startswith("tranche-") for uid in found)  # payments are the finance officers'
    assert f"call-{unpublished.pk}-deadline@cso-grants" not in found


def test_uids_are_stable_and_stamps_utc(client, cso_user, grant):
    first = fetch(client, cso_user)
    second = fetch(client, cso_user)
    assert set(events(first)) == set(events(second))
    assert re.search(r"^DTSTAMP:\d{8}T\d{6}Z\r$", first, re.M)


# ---- the text ------------------------------------------------------------------------------------------------------


def test_text_is_escaped_folded_and_parses_back(client, cso_user, organisation):
    title = 'Rights; safety, and "dignity"\\ for\nall – ' + "Защита прав " * 8
    call = CallFactory()
    application = draft(call, organisation, cso_user, title=title)
    text = fetch(client, cso_user)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    for line in text.split("\r\n"):
        assert len(line.encode()) <= 75, line
    unfolded = text.replace("\r\n ", "")
    assert 'Rights\\; safety\\, and "dignity"\\\\ for\\nall' in unfolded
    event = events(text)[f"application-{application.pk}-deadline@cso-grants"]
    assert title in str(event["DESCRIPTION"])


def test_writer_unit():
    assert escape_text("a,b;c\\d\r\ne\x07") == "a\\,b\\;c\\\\d\\ne"
    folded = fold("X:" + "é" * 80)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == "X:" + "é" * 80
    now = datetime(2026, 5, 1, 12, 0, tzinfo=dt_timezone.utc)
    text = calendar([Event(uid="u1", summary="S", day=date(2026, 5, 2)),
                     Event(uid="u2", summary="T", moment=now)], name="N", now=now)
    parsed = icalendar.Calendar.from_ical(text)
    assert parsed["VERSION"] == "2.0" and parsed["PRODID"]
    assert [str(e["UID"]) for e in parsed.walk("VEVENT")] == ["u1", "u2"]
    assert "DTSTART:20260501T120000Z\r\n" in text and "DTSTART;VALUE=DATE:20260502\r\n" in text


# ---- queries -------------------------------------------------------------------------------------------------------


def _feed_queries(client, token):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url(token)).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["cso_user", "officer", "finance", "reviewer"])
def test_feed_queries_do_not_grow_with_events(client, request, who, organisation, officer):
    user = request.getfixturevalue(who)
    _feed, token = feed_create(actor=user)

    def add(n):
        for i in range(n):
            call = CallFactory(review_deadline=timezone.now() + timedelta(days=30))
            Panel.objects.create(call=call, created_by=officer).members.add(user)
            draft(call, organisation, user, title=f"Draft {i}")
            signed_grant(organisation=organisation, amount="100000.00", start=START, end=END)

    add(2)
    few = _feed_queries(client, token)
    add(10)
    many = _feed_queries(client, token)
    assert few == many and many <= 10


# ---- the account page ----------------------------------------------------------------------------------------------


def test_account_page_makes_shows_once_and_revokes(client, cso_user):
    assert client.get("/account/calendar/").status_code == 302  # sign in first
    client.force_login(cso_user)
    page = client.get("/account/calendar/")
    assert page.status_code == 200 and "You have no calendar feed." in page.content.decode()
    made = client.post("/account/calendar/").content.decode()
    token = re.search(r"/agenda/([\w-]+)\.ics", made).group(1)
    assert client.get(url(token)).status_code == 200
    again = client.get("/account/calendar/").content.decode()
    assert token not in again and "Active since" in again
    response = client.post("/account/calendar/revoke/", follow=True)
    assert "was revoked" in response.content.decode()
    assert client.get(url(token)).status_code == 404
    assert client.get("/account/calendar/revoke/").status_code == 405
    assert "/account/calendar/" in client.get("/account/").content.decode()


def test_feeds_are_personal(client, cso_user, other_cso_user):
    """One person cannot revoke or read another's feed through the pages: each acts on their own."""
    _feed, token = feed_create(actor=cso_user)
    client.force_login(other_cso_user)
    client.post("/account/calendar/revoke/")
    assert CalendarFeed.objects.get(user=cso_user).revoked_at is None
    assert token not in client.get("/account/calendar/").content.decode()
