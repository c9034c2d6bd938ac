import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles as R
from accounts.models import Organisation
from applications.models import ApplicationStatus

from ..conftest import make_user
from .review_helpers import eligible_application, reviewer, small_grid, submitted_review


@pytest.fixture
def scored(open_call):
    open_call.reviewers_per_application = 1
    open_call.save(update_fields=["reviewers_per_application"])
    _, crit = small_grid(open_call)
    apps = []
    for values in ({"a1": 5, "a2": 4, "b1": 4}, {"a1": 4, "a2": 4, "b1": 4}, {"a1": 2, "a2": 2, "b1": 5}):
        app = eligible_application(open_call, requested="300000")
        Organisation.objects.filter(pk=app.organisation_id).update(verified_at=timezone.now())
        submitted_review(app, reviewer(), crit, values)
        apps.append(app)
    return apps, crit


def url(call, suffix=""):
    return f"/screening/calls/{call.pk}/ranking/{suffix}"


def test_officer_sees_the_ranking_and_confirms_an_award(client, officer, open_call, scored):
    apps, _ = scored
    client.force_login(officer)
    body = client.get(url(open_call)).content.decode()
    assert body.index(apps[0].reference) < body.index(apps[1].reference) < body.index(apps[2].reference)
    assert "Below the threshold of A" in body
    response = client.post(url(open_call, f"{apps[0].pk}/decide/"), {f"d{apps[0].pk}-outcome": "award", f"d{apps[0].pk}-justification": "Ranked first"})
    assert response.status_code == 302
    apps[0].refresh_from_db()
    assert apps[0].status == ApplicationStatus.AWARDED
    page = client.get(url(open_call)).content.decode()
    assert "decision recorded" in page and "€300,000.00" in page
    assert f'href="/grants/{apps[0].reference}/">Agreement</a>' in page  # the draft agreement the award made
    assert len(re.findall(r'href="/grants/[^"]+/">Agreement</a>', page)) == 1  # the others have no agreement
    envelope = client.get("/envelope/").content.decode()
    assert "€300,000.00" in envelope  # the commitment shows on the envelope page


def test_refusals_are_shown_not_raised(client, officer, open_call, scored):
    apps, _ = scored
    client.force_login(officer)
    response = client.post(url(open_call, f"{apps[0].pk}/decide/"), {f"d{apps[0].pk}-outcome": "award", f"d{apps[0].pk}-justification": ""}, follow=True)
    assert response.status_code == 200 and "required" in response.content.decode()
    response = client.post(url(open_call, f"{apps[0].pk}/moderate/"), {"total": "99", "justification": "x"}, follow=True)
    assert "between 0 and 20" in response.content.decode()


def test_csv_has_every_application(client, officer, open_call, scored):
    apps, _ = scored
    client.force_login(officer)
    response = client.get(f"/screening/calls/{open_call.pk}/ranking.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["reference"] for r in rows] == [a.reference for a in apps]
    assert rows[0]["rank"] == "1" and rows[0]["raw_total"] == "17.00" and rows[2]["eliminated"]


@pytest.mark.parametrize("role", [R.APPLICANT, R.REVIEWER, R.DONOR_OBSERVER])
def test_other_roles_are_refused(client, open_call, scored, role):
    apps, _ = scored
    client.force_login(make_user(role, email_verified_at=timezone.now()))
    assert client.get(url(open_call)).status_code == 403
    assert client.get(f"/screening/calls/{open_call.pk}/ranking.csv").status_code == 403
    assert client.post(url(open_call, f"{apps[0].pk}/decide/"), {}).status_code == 403


def test_finance_reads_but_does_not_decide(client, finance, open_call, scored):
    apps, _ = scored
    client.force_login(finance)
    assert client.get(url(open_call)).status_code == 200
    assert client.post(url(open_call, f"{apps[0].pk}/decide/"), {}).status_code == 403


def test_ranking_page_queries_do_not_grow(client, officer, open_call, scored):
    _, crit = scored
    client.force_login(officer)

    def count():
        client.get(url(open_call))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(open_call)).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(20):
        app = eligible_application(open_call, requested="100000")
        submitted_review(app, reviewer(), crit, {"a1": 3, "a2": 3, "b1": 3})
    assert count() == few, "constant in the number of applications"
    assert few <= 15


def test_each_application_is_one_group_with_its_forms_below_its_figures(client, officer, open_call, scored):
    """One <tbody> per application (a card on a phone): the figures row, then the decision form in a row of its own,
    so the table fits a desktop; the moderation forms of different rows never share an id."""
    apps, _ = scored
    client.force_login(officer)
    body = client.get(url(open_call)).content.decode()
    groups = re.findall(r'<tbody id="a(\d+)" class="ranking-item[^"]*">(.*?)</tbody>', body, re.S)
    assert [int(pk) for pk, _ in groups] == [a.pk for a in apps]
    for pk, group in groups:
        main, actions = group.split('<tr class="ranking-actions">')
        assert 'class="ranking-main"' in main and "<form" not in main
        assert f'action="/screening/calls/{open_call.pk}/ranking/{pk}/decide/"' in actions
        assert f'colspan="{8 + 2}"' in actions  # every column: the small grid has two sections
    ids = re.findall(r'id="(id_m\d+_total)"', body)
    assert len(ids) == len(set(ids))
