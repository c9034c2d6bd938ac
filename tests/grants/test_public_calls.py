"""The public call pages (/calls/, a call's page, its documents) and the call-document services and admin."""
import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles as R
from audit.models import AuditEvent
from core.errors import DomainError
from grants import services
from grants.evaluation import PRAG_FULL_APPLICATION
from grants.models import Call, CallDocument, CallStatus
from grants.selectors import CallState, call_state

from ..conftest import make_user
from ..factories import CallFactory, CountryFactory, ObjectiveFactory, ProgrammeFactory

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def pdf(name="guidelines.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def url(call, suffix=""):
    return f"/calls/{call.programme.code}/{call.reference}/{suffix}"


def make_call(programme, *, opens_in=timedelta(days=-7), closes_in=timedelta(days=30), countries=(), objectives=(), **kwargs):
    now = timezone.now()
    call = CallFactory(programme=programme, opens_at=now + opens_in, closes_at=now + closes_in, **kwargs)
    call.countries.set(countries)
    call.objectives.set(objectives)
    return call


@pytest.fixture
def nepal(db):
    return CountryFactory(code="NP", name="Nepal")


@pytest.fixture
def morocco(db):
    return CountryFactory(code="MA", name="Morocco")


@pytest.fixture
def calls(programme, nepal, morocco):
    """One call in each state, and a draft."""
    return {
        "open": make_call(programme, title="Open call", countries=[nepal, morocco]),
        "closing_soon": make_call(programme, title="Closing call", closes_in=timedelta(days=3), countries=[nepal]),
        "upcoming": make_call(programme, title="Upcoming call", opens_in=timedelta(days=5), closes_in=timedelta(days=60)),
        "closed": make_call(programme, title="Closed call", status=CallStatus.CLOSED),
        "expired": make_call(programme, title="Expired call", opens_in=timedelta(days=-60), closes_in=timedelta(days=-1)),
        "draft": make_call(programme, title="Draft call", status=CallStatus.DRAFT),
    }


# --- states ---------------------------------------------------------------------------------------------------


def test_call_state_at_each_moment():
    opens = datetime(2030, 1, 1, tzinfo=dt_timezone.utc)
    closes = datetime(2030, 3, 1, 12, tzinfo=dt_timezone.utc)
    call = Call(status=CallStatus.PUBLISHED, opens_at=opens, closes_at=closes)
    second = timedelta(seconds=1)
    soon = timedelta(days=Call.CLOSING_SOON_DAYS)

    assert call_state(call, opens - second) == CallState.UPCOMING
    assert call_state(call, opens) == CallState.OPEN
    assert call_state(call, closes - soon - second) == CallState.OPEN
    assert call_state(call, closes - soon) == CallState.CLOSING_SOON
    assert call_state(call, closes - second) == CallState.CLOSING_SOON
    assert call_state(call, closes) == CallState.CLOSED, "the deadline second itself is too late"
    assert call_state(call, closes) == CallState.CLOSED and not call.is_open_at(closes)

    call.status = CallStatus.CLOSED
    assert call_state(call, opens) == CallState.CLOSED
    call.status = CallStatus.DRAFT
    assert call_state(call, opens) == CallState.DRAFT


def test_list_groups_calls_by_state_and_never_shows_drafts(client, calls):
    response = client.get("/calls/")
    assert response.status_code == 200
    groups = {state: [c.title for c in group] for state, group in response.context["groups"]}
    assert groups == {
        CallState.CLOSING_SOON: ["Closing call"],
        CallState.OPEN: ["Open call"],
        CallState.UPCOMING: ["Upcoming call"],
        CallState.CLOSED: ["Closed call", "Expired call"],
    }
    body = response.content.decode()
    assert "Draft call" not in body
    assert body.index("Closing soon") < body.index("Open call") < body.index("Upcoming call") < body.index("Expired call")
    assert f'href="{url(calls["open"])}"' in body
    assert "2 eligible countries" in body and "1 eligible country" in body
    # Apply buttons only on cards of calls that take applications now.
    assert body.count('apply/">Apply') == 2 and f'href="{url(calls["upcoming"])}apply/"' not in body


def test_the_deadline_second_is_closed_on_the_pages(client, calls, monkeypatch):
    call = calls["open"]
    monkeypatch.setattr(timezone, "now", lambda: call.closes_at)
    groups = dict(client.get("/calls/").context["groups"])
    assert call in groups[CallState.CLOSED]
    body = client.get(url(call)).content.decode()
    assert "applications are no longer accepted" in body
    assert "/apply/" not in body

    monkeypatch.setattr(timezone, "now", lambda: call.closes_at - timedelta(seconds=1))
    body = client.get(url(call)).content.decode()
    assert f'href="{url(call)}apply/"' in body
    assert "Less than a day left to apply." in body


# --- filters --------------------------------------------------------------------------------------------------


def test_filters_by_country_and_objective_keep_counting_all_countries(client, programme, calls, nepal, morocco):
    objective = ObjectiveFactory(programme=programme, title="Protect children")
    calls["open"].objectives.add(objective)

    response = client.get("/calls/", {"country": "MA"})
    assert response.status_code == 200
    titles = [c.title for _, group in response.context["groups"] for c in group]
    assert titles == ["Open call"]
    assert response.context["groups"][0][1][0].countries_count == 2, "the filter must not shrink the count"
    assert 'value="MA" selected' in response.content.decode()

    titles = [c.title for _, group in client.get("/calls/", {"objective": objective.pk}).context["groups"] for c in group]
    assert titles == ["Open call"]

    titles = [c.title for _, g in client.get("/calls/", {"country": "NP", "objective": objective.pk}).context["groups"] for c in g]
    assert titles == ["Open call"]

    response = client.get("/calls/", {"country": "NP"})
    assert {c.title for _, g in response.context["groups"] for c in g} == {"Open call", "Closing call"}
    assert "Clear the filters" in response.content.decode()


def test_filter_choices_come_from_public_calls_only(client, programme, calls):
    secret = CountryFactory(code="KG", name="Kyrgyzstan")
    calls["draft"].countries.add(secret)
    body = client.get("/calls/").content.decode()
    assert "Nepal" in body and "Kyrgyzstan" not in body


def test_a_filter_that_is_not_understood_shows_all_calls_with_a_400(client, calls):
    response = client.get("/calls/", {"country": "ZZ", "objective": "nope"})
    assert response.status_code == 400
    assert response.context["form"].errors.keys() == {"country", "objective"}
    assert len([c for _, g in response.context["groups"] for c in g]) == 5
    assert "A filter was not understood" in response.content.decode()


def test_objectives_of_drafts_are_not_choices(client, calls, programme):
    objective = ObjectiveFactory(programme=programme)
    calls["draft"].objectives.add(objective)
    assert client.get("/calls/", {"objective": objective.pk}).status_code == 400


def test_no_call_matches(client, calls, programme):
    objective = ObjectiveFactory(programme=programme)
    calls["closing_soon"].objectives.add(objective)  # a Nepal-only call
    response = client.get("/calls/", {"country": "MA", "objective": objective.pk})
    assert response.status_code == 200
    assert response.context["groups"] == []
    assert "No call matches these filters." in response.content.decode()


# --- the call page --------------------------------------------------------------------------------------------


def test_call_page_shows_rules_grid_documents_and_apply(client, programme, nepal):
    objective = ObjectiveFactory(programme=programme, number=5, title="Protect and assist victims")
    call = make_call(
        programme, countries=[nepal], objectives=[objective], closes_in=timedelta(days=20, hours=1),
        description="Shelters and legal aid.", eligibility="Registered CSOs.\nTwo years of operation.",
        min_duration_months=12, max_duration_months=24, min_cofinancing_percent=Decimal("5.00"),
        indirect_cap_percent=Decimal("7.00"), contingency_cap_percent=Decimal("4.50"),
    )
    services.call_document_add(actor=None, call=call, title="Guidelines for applicants", uploaded_file=pdf())

    response = client.get(url(call))
    assert response.status_code == 200
    body = response.content.decode()
    for text in (
        call.title, "Shelters and legal aid.", "5. Protect and assist victims", "Nepal", "€10,000.00 to €200,000.00",
        "12 to 24 months", "at most 7% of direct eligible costs", "at most 4.50% of direct costs",
        "at least 5% of total eligible costs", "20 days left to apply.", "Guidelines for applicants", "(PDF, ",
    ):
        assert text in body, text
    assert "<p>Registered CSOs.<br>Two years of operation.</p>" in body
    assert f'href="{url(call)}apply/"' in body
    document = call.documents.get()
    assert f'href="{url(call)}documents/{document.pk}/"' in body


def test_call_page_shows_the_default_evaluation_grid(client, call):
    assert PRAG_FULL_APPLICATION.total == 100
    assert [s.max_points for s in PRAG_FULL_APPLICATION.sections] == [20, 30, 20, 15, 15]
    body = client.get(url(call)).content.decode()
    assert "Financial and operational capacity" in body and "Below 12 eliminates the proposal" in body
    assert "Budget and cost-effectiveness of the action" in body
    assert re.search(r'data-label="Maximum score">100</td>', body)


@pytest.mark.parametrize(
    ("state", "message"),
    [("upcoming", "This call is not open yet"), ("closed", "applications are no longer accepted"),
     ("expired", "applications are no longer accepted")],
)
def test_no_apply_button_unless_open(client, calls, state, message):
    body = client.get(url(calls[state])).content.decode()
    assert message in body
    assert "/apply/" not in body


def test_deadline_is_rendered_in_utc_with_an_iso_datetime(client, programme, settings):
    settings.TIME_ZONE = "Asia/Kathmandu"  # the server's zone must not leak into the UTC text
    kathmandu = ZoneInfo("Asia/Kathmandu")
    call = CallFactory(
        programme=programme,
        opens_at=datetime(2099, 1, 1, 5, 45, tzinfo=kathmandu),  # 00:00 UTC: an upcoming call shows when it opens
        closes_at=datetime(2099, 3, 1, 17, 45, tzinfo=kathmandu),  # 12:00 UTC
    )
    for page in (url(call), "/calls/"):
        body = client.get(page).content.decode()
        assert '<time datetime="2099-03-01T12:00:00+00:00" data-local-time>1 March 2099, 12:00 UTC</time>' in body
        assert '<time datetime="2099-01-01T00:00:00+00:00" data-local-time>1 January 2099, 00:00 UTC</time>' in body
        assert re.search(r'<script src="/static/js/local-time\.js" defer data-template="Your time \(\{zone\}\): \{time\}">', body)


def test_user_text_is_escaped(client, programme):
    call = make_call(
        programme, title="<script>alert(1)</script>", description="<b>bold</b>",
        eligibility="<img src=x onerror=alert(2)>\nsecond line",
    )
    for page in (url(call), "/calls/"):
        body = client.get(page).content.decode()
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    body = client.get(url(call)).content.decode()
    assert "<img src=x" not in body and "<b>bold</b>" not in body
    assert "<p>&lt;img src=x onerror=alert(2)&gt;<br>second line</p>" in body


# --- drafts and access ----------------------------------------------------------------------------------------


def test_draft_is_404_for_the_public_cso_users_and_observers(client, calls, cso_user, donor, reviewer):
    draft = calls["draft"]
    assert client.get(url(draft)).status_code == 404
    for user in (cso_user, donor, reviewer):
        client.force_login(user)
        assert client.get(url(draft)).status_code == 404, user
        assert client.get(url(calls["open"])).status_code == 200


@pytest.mark.parametrize("role", [R.PROGRAMME_OFFICER, R.FINANCE_OFFICER, R.ADMINISTRATOR])
def test_programme_staff_preview_drafts_with_a_banner(client, calls, role):
    client.force_login(make_user(role))
    response = client.get(url(calls["draft"]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Draft - not public" in body
    assert "/apply/" not in body
    assert "Draft call" not in client.get("/calls/").content.decode(), "the list stays public-only"


def test_unknown_calls_and_programmes_are_404(client, calls):
    call = calls["open"]
    assert client.get(f"/calls/{call.programme.code}/NOPE/").status_code == 404
    assert client.get(f"/calls/NOPE/{call.reference}/").status_code == 404


def test_same_reference_in_two_programmes(client, programme):
    other = ProgrammeFactory()
    mine = make_call(programme, reference="C01", title="Mine")
    theirs = make_call(other, reference="C01", title="Theirs")
    assert client.get(url(mine)).context["call"] == mine
    assert client.get(url(theirs)).context["call"] == theirs


def test_pages_are_read_only(client, calls):
    assert client.post("/calls/").status_code == 405
    assert client.post(url(calls["open"])).status_code == 405


# --- documents ------------------------------------------------------------------------------------------------


def test_document_download_is_an_attachment_with_nosniff(client, call):
    document = services.call_document_add(actor=None, call=call, title="Guidelines", uploaded_file=pdf("Guide lines (v2).pdf"))
    response = client.get(url(call, f"documents/{document.pk}/"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="Guide lines (v2).pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF


def test_draft_call_document_is_404_except_for_staff(client, calls, cso_user, officer):
    draft = calls["draft"]
    document = services.call_document_add(actor=None, call=draft, title="Draft guidelines", uploaded_file=pdf())
    path = url(draft, f"documents/{document.pk}/")
    assert client.get(path).status_code == 404
    client.force_login(cso_user)
    assert client.get(path).status_code == 404
    client.force_login(officer)
    assert client.get(path).status_code == 200


def test_document_of_another_call_or_missing_file_is_404(client, calls):
    document = services.call_document_add(actor=None, call=calls["open"], title="Guidelines", uploaded_file=pdf())
    assert client.get(url(calls["closed"], f"documents/{document.pk}/")).status_code == 404
    assert client.get(url(calls["open"], "documents/999999/")).status_code == 404
    document.file.storage.delete(document.file.name)
    assert client.get(url(calls["open"], f"documents/{document.pk}/")).status_code == 404


def test_closed_call_documents_stay_public(client, calls):
    document = services.call_document_add(actor=None, call=calls["closed"], title="Results", uploaded_file=pdf())
    assert client.get(url(calls["closed"], f"documents/{document.pk}/")).status_code == 200


# --- document services ----------------------------------------------------------------------------------------


def test_call_document_add_stores_under_a_random_name_and_audits(call, officer):
    document = services.call_document_add(actor=officer, call=call, title="  Guidelines  ", uploaded_file=pdf("../../etc/guide.pdf"))
    document.refresh_from_db()
    assert (document.title, document.kind, document.size, document.original_name) == ("Guidelines", "pdf", len(PDF), "guide.pdf")
    assert document.file.name.startswith("call-documents/") and "guide" not in document.file.name
    event = AuditEvent.objects.get(verb="call.document_add")
    assert event.actor == officer and event.target_id == str(call.pk)
    assert event.data == {"document": document.pk, "title": "Guidelines", "file": "guide.pdf", "kind": "pdf", "size": len(PDF)}


@pytest.mark.parametrize(
    ("title", "upload", "field", "code"),
    [
        ("Guidelines", pdf("fake.pdf", b"MZ\x90\x00 not a pdf"), "file", "bad_type"),
        ("Guidelines", pdf("empty.pdf", b""), "file", "empty"),
        ("   ", pdf(), "title", "required"),
        ("x" * 256, pdf(), "title", "too_long"),
    ],
)
def test_call_document_add_refusals_change_nothing(call, officer, title, upload, field, code):
    with pytest.raises(DomainError) as excinfo:
        services.call_document_add(actor=officer, call=call, title=title, uploaded_file=upload)
    assert (excinfo.value.field, excinfo.value.code) == (field, code)
    assert not CallDocument.objects.exists()
    assert not AuditEvent.objects.filter(verb="call.document_add").exists()


def test_call_document_remove_audits_and_deletes_the_file_on_commit(call, officer, django_capture_on_commit_callbacks):
    document = services.call_document_add(actor=officer, call=call, title="Old guidelines", uploaded_file=pdf())
    storage, name = document.file.storage, document.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.call_document_remove(actor=officer, document=document)
    assert not CallDocument.objects.exists()
    assert not storage.exists(name)
    event = AuditEvent.objects.get(verb="call.document_remove")
    assert event.target_id == str(call.pk) and event.data["title"] == "Old guidelines"


# --- admin ----------------------------------------------------------------------------------------------------


class _FormValues(HTMLParser):
    """The values a browser would submit for the admin's change form (text, hidden, checked, selected, textarea)."""

    def __init__(self):
        super().__init__()
        self.values, self._select, self._textarea = [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "file", "button"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.values.append((a["name"], a.get("value") or ("on" if a.get("type") == "checkbox" else "")))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.values.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.values.append((self._textarea, ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            name, text = self.values[-1]
            self.values[-1] = (name, text + data.lstrip("\n") if not text else text + data)


def _change_form_data(client, path):
    parser = _FormValues()
    parser.feed(client.get(path).content.decode())
    data = {}
    for name, value in parser.values:
        if name in data:
            data[name] = (data[name] if isinstance(data[name], list) else [data[name]]) + [value]
        else:
            data[name] = value
    return {k: v for k, v in data.items() if k != "csrfmiddlewaretoken"}


@pytest.fixture
def complete_call(call, nepal):
    """A call whose admin form is valid as it stands (countries and objectives are required there)."""
    call.countries.add(nepal)
    call.objectives.add(ObjectiveFactory(programme=call.programme))
    return call


def test_officer_adds_and_removes_documents_in_the_call_admin(client, complete_call):
    call = complete_call
    officer = make_user(R.PROGRAMME_OFFICER)
    client.force_login(officer)
    path = f"/admin/grants/call/{call.pk}/change/"

    data = _change_form_data(client, path) | {"documents-0-title": "Guidelines", "documents-0-upload": pdf()}
    response = client.post(path, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    document = call.documents.get()
    assert document.title == "Guidelines" and document.kind == "pdf"
    assert AuditEvent.objects.filter(verb="call.document_add", actor=officer).exists()

    body = client.get(path).content.decode()
    assert f'href="{url(call)}documents/{document.pk}/"' in body, "saved documents link to the checked download"

    data = _change_form_data(client, path) | {"documents-0-title": "Renamed", "documents-0-DELETE": "on"}
    assert client.post(path, data).status_code == 302
    assert not call.documents.exists()
    assert AuditEvent.objects.filter(verb="call.document_remove", actor=officer).exists()


def test_admin_refuses_a_file_that_is_not_what_it_says_on_the_field(client, complete_call):
    call = complete_call
    client.force_login(make_user(R.PROGRAMME_OFFICER))
    path = f"/admin/grants/call/{call.pk}/change/"
    data = _change_form_data(client, path) | {
        "documents-0-title": "Guidelines", "documents-0-upload": pdf("guide.pdf", b"<html>not a pdf</html>"),
    }
    response = client.post(path, data)
    assert response.status_code == 200
    assert "not an accepted type" in response.content.decode()
    assert not call.documents.exists()


def test_finance_sees_call_documents_read_only(client, call):
    services.call_document_add(actor=None, call=call, title="Guidelines", uploaded_file=pdf())
    client.force_login(make_user(R.FINANCE_OFFICER))
    body = client.get(f"/admin/grants/call/{call.pk}/change/").content.decode()
    assert "Guidelines" in body
    assert 'name="documents-0-upload"' not in body and 'name="documents-0-DELETE"' not in body


# --- query counts ---------------------------------------------------------------------------------------------


def _queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# (opens in, closes in) days: open, upcoming, past its deadline
_SHAPES = [(-7, 30), (2, 30), (-30, -1)]


def _add_calls(programme, n, countries, objective):
    for i in range(n):
        opens, closes = _SHAPES[i % 3]
        make_call(
            programme, countries=countries, objectives=[objective],
            opens_in=timedelta(days=opens), closes_in=timedelta(days=closes),
        )


def test_list_queries_do_not_grow_with_calls(client, programme, nepal, morocco, cso_user):
    objective = ObjectiveFactory(programme=programme)
    client.force_login(cso_user)
    _add_calls(programme, 5, [nepal, morocco], objective)
    few = _queries(client, f"/calls/?country=NP&objective={objective.pk}")
    _add_calls(programme, 45, [nepal, morocco], objective)
    many = _queries(client, f"/calls/?country=NP&objective={objective.pk}")
    assert sum(len(g) for _, g in client.get("/calls/").context["groups"]) == 50
    assert few == many
    assert many <= 10  # the calls, their groups, their texts in the reader's language (one prefetch), the bell's count


def test_call_page_queries_do_not_grow_with_countries_objectives_and_documents(client, call):
    def add(n, start):
        for i in range(start, start + n):
            call.countries.add(CountryFactory(code=["NP", "MA", "KG", "TJ", "MM", "BY", "CO", "EG", "LA", "ML"][i % 10], name=f"C{i}"))
            call.objectives.add(ObjectiveFactory(programme=call.programme))
            services.call_document_add(actor=None, call=call, title=f"Document {i}", uploaded_file=pdf())

    add(5, 0)
    few = _queries(client, url(call))
    add(45, 5)
    many = _queries(client, url(call))
    assert call.documents.count() == 50
    assert few == many
    assert many <= 7  # with the header's count of unread notifications


def test_home_cards_link_to_the_call_pages(client, demo):
    body = client.get("/").content.decode()
    assert 'href="/calls/GLOACT/C01/"' in body
    assert 'href="/calls/GLOACT/C01/apply/">Apply' in body  # open calls can be applied to from their card
    response = client.get("/calls/GLOACT/C01/")
    assert response.status_code == 200
    assert "CSO direct assistance to victims of trafficking" in response.content.decode()


def test_a_two_stage_call_shows_both_deadlines(client, db):
    from datetime import timedelta

    from django.utils import timezone

    from grants.models import CallStatus

    from ..factories import CallFactory

    now = timezone.now()
    call = CallFactory(status=CallStatus.PUBLISHED, opens_at=now - timedelta(days=3), concept_note_deadline=now + timedelta(days=10), closes_at=now + timedelta(days=50))
    body = client.get(f"/calls/{call.programme.code}/{call.reference}/").content.decode()
    assert "Concept notes due" in body and "Full applications due (shortlisted only)" in body
