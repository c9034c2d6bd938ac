"""The officer's call list as a staff list: search ignoring accents and case, filters that combine, sorting, page
size, saved views, exports, bulk actions (a refusal in the middle of a batch), permissions and query counts."""
import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from accounts.models import MemberRole
from accounts.services import membership_set
from applications import services
from applications.models import Application, ApplicationStatus
from audit.models import AuditEvent
from lists.models import BulkJob, SavedView

from ..applications.helpers import complete_draft, rules_call
from ..conftest import make_user
from ..factories import CallFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def _submit(call, name, title, *, requested=None, morocco=False):
    organisation = OrganisationFactory(legal_name=name)
    user = make_user()
    membership_set(actor=None, organisation=organisation, user=user, role=MemberRole.EDITOR)
    application = complete_draft(actor=user, call=call, organisation=organisation, title=title)
    if morocco:
        application.countries.set(call.countries.filter(code="MA"))
    services.application_submit(actor=user, application=application)
    return Application.objects.get(pk=application.pk)


@pytest.fixture
def call(programme):
    return rules_call(programme)


@pytest.fixture
def apps(call):
    return [
        _submit(call, "Association Santé Femmes", "Refuges sûrs à Niamey", morocco=True),
        _submit(call, "ECPAT Nepal", "Safe shelters for child victims"),
        _submit(call, "Fundación Éxodo", "Asistencia legal a migrantes", morocco=True),
    ]


def _url(call, query=""):
    return f"/screening/calls/{call.pk}/" + (f"?{query}" if query else "")


def _refs(response):
    return [a.reference for a in response.context["listing"].rows]


def test_search_ignores_accents_and_case(client, officer, call, apps):
    client.force_login(officer)
    assert _refs(client.get(_url(call, "q=sante"))) == [apps[0].reference]
    assert _refs(client.get(_url(call, "q=EXODO"))) == [apps[2].reference]
    assert _refs(client.get(_url(call, "q=surs niamey"))) == [apps[0].reference]  # every word, any field
    assert _refs(client.get(_url(call, f"q={apps[1].reference.lower()}"))) == [apps[1].reference]


def test_filters_combine_and_a_foreign_value_is_ignored(client, officer, call, apps):
    client.force_login(officer)
    response = client.get(_url(call, "country=MA&q=asistencia"))
    assert _refs(response) == [apps[2].reference]
    assert response.context["listing"].count == 1
    assert "1 match" in response.content.decode()
    assert len(_refs(client.get(_url(call, "country=ZZ")))) == 3  # not offered: ignored, not an empty list or a 500


def test_sorting_and_page_size(client, officer, call, apps):
    client.force_login(officer)
    by_name = _refs(client.get(_url(call, "sort=applicant")))
    assert by_name == [apps[0].reference, apps[1].reference, apps[2].reference]
    assert _refs(client.get(_url(call, "sort=-applicant"))) == by_name[::-1]
    response = client.get(_url(call, "sort=-applicant&per_page=25&page=2"))
    assert response.status_code == 200 and response.context["listing"].page.number == 1  # page out of range: last page
    assert response.context["listing"].state.per_page == 25
    assert client.get(_url(call, "per_page=100000")).context["listing"].state.per_page == 50  # not offered: default
    assert client.get(_url(call, "sort=password")).context["listing"].state.sort == "reference"
    header = next(h for h in client.get(_url(call, "sort=-applicant")).context["listing"].headers if h.column.key == "applicant")
    assert header.direction == "descending" and "sort=applicant" in header.query


def test_saved_view_round_trip_and_owner_only(client, officer, call, apps):
    client.force_login(officer)
    response = client.post("/lists/views/", {"list_name": "screening", "name": "  Morocco  ", "query": "country=MA", "next": _url(call)})
    assert response.status_code == 302 and response.url == _url(call, "country=MA")
    view = SavedView.objects.get(owner=officer)
    assert view.name == "Morocco" and AuditEvent.objects.filter(verb="saved_view.save").exists()
    assert [v.name for v in client.get(_url(call)).context["listing"].saved_views] == ["Morocco"]
    # a foreign address in `next` never leaves the site
    assert client.post("/lists/views/", {"list_name": "screening", "name": "x", "query": "", "next": "https://evil.example/"}).url == "/"
    other = make_user("programme_officer")
    client.force_login(other)
    assert client.get(_url(call)).context["listing"].saved_views == []
    assert client.post(f"/lists/views/{view.pk}/delete/", {"next": _url(call)}).status_code == 404
    client.force_login(officer)
    assert client.post("/lists/views/", {"list_name": "screening", "name": " ", "query": "", "next": _url(call)}).status_code == 302
    assert SavedView.objects.count() == 2  # "Morocco" and "x"; no nameless view
    client.post(f"/lists/views/{view.pk}/delete/", {"next": _url(call)})
    assert list(SavedView.objects.values_list("name", flat=True)) == ["x"]


def test_exports_carry_the_filters_and_types(client, officer, call, apps):
    client.force_login(officer)
    response = client.get(f"/screening/calls/{call.pk}/export/?country=MA&sort=applicant&format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Reference" and sheet.freeze_panes == "A2"
    assert [r[0] for r in rows[1:]] == [apps[0].reference, apps[2].reference]
    amount, received = rows[1][4], rows[1][5]
    assert isinstance(amount, (int, float)) and Decimal(str(amount)) == apps[0].requested_amount
    assert isinstance(received, datetime)
    csv_text = b"".join(client.get(f"/screening/calls/{call.pk}/export/?country=MA").streaming_content).decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Reference,Applicant") and len(csv_text.splitlines()) == 3


def test_export_neutralises_formulas(client, officer, call):
    _submit(call, "=HYPERLINK(\"http://x\")", "Title")
    client.force_login(officer)
    response = client.get(f"/screening/calls/{call.pk}/export/?format=xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.cell(row=2, column=2).value.startswith("'=")


@pytest.mark.parametrize("role", ["reviewer", "donor_observer", None])
def test_wrong_roles_cannot_list_export_or_act(client, call, apps, role, cso_user):
    client.force_login(make_user(role) if role else cso_user)
    assert client.get(_url(call)).status_code == 403
    assert client.get(f"/screening/calls/{call.pk}/export/").status_code == 403
    response = client.post(f"/screening/calls/{call.pk}/bulk/", {"action": "screening.eligible", "everything": "on"})
    assert response.status_code == 403
    assert not BulkJob.objects.exists()


def test_bulk_eligible_on_all_matches_reports_the_late_one(client, officer, call, apps):
    """The middle application came in after the deadline: the others are screened, it is refused with the reason."""
    Application.objects.filter(pk=apps[1].pk).update(submitted_at=call.closes_at + timedelta(minutes=5))
    client.force_login(officer)
    response = client.post(f"/screening/calls/{call.pk}/bulk/", {"action": "screening.eligible", "everything": "on", "query": "sort=applicant"})
    job = BulkJob.objects.get()
    assert response.status_code == 302 and response.url == f"/lists/jobs/{job.pk}/"
    assert job.status == "finished" and job.done == 2 and job.total == 3
    assert job.refused == [{
        "label": apps[1].reference, "message": f"{apps[1].reference} came in after the deadline: screen it on its own page.",
        "url": f"/screening/applications/{apps[1].pk}/",
    }]
    statuses = dict(Application.objects.values_list("pk", "status"))
    assert statuses[apps[0].pk] == statuses[apps[2].pk] == ApplicationStatus.ELIGIBLE
    assert statuses[apps[1].pk] == ApplicationStatus.SUBMITTED
    assert AuditEvent.objects.filter(verb="application.screen").count() == 2  # audited per object
    page = client.get(response.url).content.decode()
    assert "2 done." in page and "1 refused." in page and apps[1].reference in page
    assert client.get(f"/lists/jobs/{job.pk}/").status_code == 200
    client.force_login(make_user("programme_officer"))
    assert client.get(f"/lists/jobs/{job.pk}/").status_code == 404  # someone else's job


def test_bulk_ineligible_on_ticked_rows_needs_the_check_and_the_reason(client, officer, call, apps):
    client.force_login(officer)
    url = f"/screening/calls/{call.pk}/bulk/"
    response = client.post(url, {"action": "screening.ineligible", "ids": [apps[0].pk]})
    assert response.status_code == 400
    assert "Choose the check that failed." in response.content.decode() and not BulkJob.objects.exists()
    response = client.post(url, {"action": "screening.ineligible", "ids": [apps[0].pk], "failed_check": "complete", "reason": "Budget annex missing"})
    assert response.status_code == 302
    screening = Application.objects.get(pk=apps[0].pk).screening
    assert screening.decision == "ineligible" and screening.complete is False and screening.on_time is True
    assert screening.reason == "Budget annex missing"
    assert Application.objects.exclude(pk=apps[0].pk).filter(status=ApplicationStatus.SUBMITTED).count() == 2


def test_bulk_ids_outside_the_call_are_ignored(client, officer, call, apps, programme):
    other_call = CallFactory(programme=programme, opens_at=call.opens_at, closes_at=call.closes_at)
    other_call.objectives.set(call.objectives.all())
    other_call.countries.set(call.countries.all())
    stranger = _submit(other_call, "Other", "Other")
    client.force_login(officer)
    response = client.post(f"/screening/calls/{call.pk}/bulk/", {"action": "screening.eligible", "ids": [stranger.pk]})
    assert response.status_code == 400 and not BulkJob.objects.exists()
    assert Application.objects.get(pk=stranger.pk).status == ApplicationStatus.SUBMITTED


def test_bulk_message_reaches_each_applicant(client, officer, call, apps):
    from conversations.models import Message

    client.force_login(officer)
    response = client.post(f"/screening/calls/{call.pk}/bulk/", {"action": "screening.message", "everything": "on", "query": "country=MA", "body": "Please send your registration."})
    assert response.status_code == 302
    assert sorted(Message.objects.values_list("thread__application_id", flat=True)) == sorted([apps[0].pk, apps[2].pk])


def test_large_bulk_runs_as_a_job_in_batches(client, officer, call, apps, monkeypatch):
    """Above the in-request limit the job runner takes it (eagerly here, without a broker) and progress is saved per batch."""
    from lists import bulk, services as list_services

    monkeypatch.setattr(list_services, "RUN_AT_ONCE", 1)
    monkeypatch.setattr(bulk, "BATCH", 2)
    client.force_login(officer)
    response = client.post(f"/screening/calls/{call.pk}/bulk/", {"action": "screening.eligible", "everything": "on"})
    job = BulkJob.objects.get()
    assert response.status_code == 302 and job.status == "finished" and job.done == 3 and job.refused == []


def _count(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_rows_or_filters(client, officer, call, apps):
    client.force_login(officer)
    query = "country=MA&q=a&sort=-requested&per_page=25"
    few = (_count(client, _url(call)), _count(client, _url(call, query)))
    for i in range(30):
        _submit(call, f"Org {i}", f"Title {i}", morocco=bool(i % 2))
    many = (_count(client, _url(call)), _count(client, _url(call, query)))
    assert few == many and max(many) <= 15, (few, many)
