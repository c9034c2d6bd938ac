import csv
import io
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles as R
from accounts.models import Organisation
from applications import awards
from applications.models import Application, ApplicationStatus
from audit.models import AuditEvent
from grants.models import Grant

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


def everything(call):
    return url(call, "?tab=all")


def test_officer_sees_the_ranking_and_confirms_an_award(client, officer, open_call, scored):
    apps, _ = scored
    client.force_login(officer)
    body = client.get(everything(open_call)).content.decode()
    assert body.index(apps[0].reference) < body.index(apps[1].reference) < body.index(apps[2].reference)
    assert "Below the threshold of A" in body
    response = client.post(url(open_call, f"{apps[0].pk}/decide/"), {f"d{apps[0].pk}-outcome": "award", f"d{apps[0].pk}-justification": "Ranked first"})
    assert response.status_code == 302
    apps[0].refresh_from_db()
    assert apps[0].status == ApplicationStatus.AWARDED
    page = client.get(everything(open_call)).content.decode()
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


@pytest.mark.parametrize("cached", [True, False])
def test_ranking_page_queries_do_not_grow(client, officer, open_call, scored, cached):
    """Read from the cache, and computed afresh: a fixed number of queries whatever the size of the call."""
    _, crit = scored
    client.force_login(officer)

    def count():
        client.get(url(open_call))
        if not cached:
            cache.clear()
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url(open_call)).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(20):
        app = eligible_application(open_call, requested="100000")
        submitted_review(app, reviewer(), crit, {"a1": 3, "a2": 3, "b1": 3})
    assert count() == few, "constant in the number of applications"
    assert few <= (15 if cached else 20)


def test_each_application_is_one_group_with_its_forms_below_its_figures(client, officer, open_call, scored):
    """One <tbody> per application (a card on a phone): the figures row, then the decision form in a row of its own,
    so the table fits a desktop; the moderation forms of different rows never share an id."""
    apps, _ = scored
    client.force_login(officer)
    body = client.get(everything(open_call)).content.decode()
    groups = re.findall(r'<tbody id="a(\d+)" class="ranking-item[^"]*">(.*?)</tbody>', body, re.S)
    assert [int(pk) for pk, _ in groups] == [a.pk for a in apps]
    for pk, group in groups:
        main, actions = group.split('<tr class="ranking-actions">')
        assert 'class="ranking-main"' in main and "<form" not in main
        assert f'action="/screening/calls/{open_call.pk}/ranking/{pk}/decide/"' in actions
        assert 'colspan="8"' in actions  # every column
    ids = re.findall(r'id="(id_m\d+_total)"', body)
    assert len(ids) == len(set(ids))


def test_tabs_split_the_proposal_with_their_counts(client, officer, open_call, scored):
    """Above the funding line (default), the reserve list and the eliminated ones, each counted in its label."""
    apps, _ = scored
    Application.objects.filter(pk=apps[1].pk).update(requested_amount="800000")  # beyond what the first one leaves
    client.force_login(officer)
    body = client.get(url(open_call)).content.decode()
    assert "Above the funding line <span class=\"count\">(1)</span>" in body
    assert "Reserve list <span class=\"count\">(1)</span>" in body and "Eliminated <span class=\"count\">(1)</span>" in body
    assert apps[0].reference in body and apps[1].reference not in body and apps[2].reference not in body
    reserve = client.get(url(open_call, "?tab=reserve")).content.decode()
    assert apps[1].reference in reserve and apps[0].reference not in reserve
    eliminated = client.get(url(open_call, "?tab=eliminated")).content.decode()
    assert apps[2].reference in eliminated and "Below the threshold of A" in eliminated
    assert 'aria-current="page">Above the funding line' in client.get(url(open_call, "?tab=nonsense")).content.decode()


def test_award_proposal_summary_on_top(client, officer, open_call, scored):
    apps, _ = scored
    client.force_login(officer)
    body = client.get(url(open_call)).content.decode()
    summary = body[body.index('id="proposal-title"'):body.index('class="tabs"')]
    assert "Call allocation" in summary and "Proposed, to confirm" in summary
    assert "€900,000.00" in summary  # the allocation of the call
    assert "€600,000.00 <span class=\"muted\">(2)</span>" in summary  # the two ranked ones' requests, to confirm


def test_search_by_reference_or_applicant(client, officer, open_call, scored):
    apps, _ = scored
    client.force_login(officer)
    body = client.get(url(open_call, f"?tab=all&q={apps[1].reference}")).content.decode()
    assert apps[1].reference in body and apps[0].reference not in body
    assert "All <span class=\"count\">(1)</span>" in body


def test_section_scores_only_for_the_row_asked(client, officer, open_call, scored):
    apps, _ = scored
    client.force_login(officer)
    body = client.get(everything(open_call)).content.decode()
    assert 'class="ranking-sections"' not in body and body.count(">Sections</a>") == 3
    body = client.get(url(open_call, f"?tab=all&sections={apps[0].pk}")).content.decode()
    assert body.count('class="ranking-sections"') == 1 and body.count(">Sections</a>") == 2
    shown = body[body.index(f"Sections · {apps[0].reference}"):]
    shown = shown[:shown.index("</dl>")]
    assert "<dd>9.00</dd>" in shown and "<dd>8.00</dd>" in shown  # A: 5 + 4; B: 4 x 2


def test_paged_with_the_list_framework(client, officer, open_call, scored):
    _, crit = scored
    for _ in range(30):
        app = eligible_application(open_call, requested="100000")
        Organisation.objects.filter(pk=app.organisation_id).update(verified_at=timezone.now())
        submitted_review(app, reviewer(), crit, {"a1": 3, "a2": 3, "b1": 3})
    client.force_login(officer)
    first = client.get(everything(open_call)).content.decode()
    assert len(re.findall(r'<tbody id="a\d+"', first)) == 25 and "Page 1 of 2" in first
    second = client.get(url(open_call, "?tab=all&page=2")).content.decode()
    assert len(re.findall(r'<tbody id="a\d+"', second)) == 8
    assert len(re.findall(r'<tbody id="a\d+"', client.get(url(open_call, "?tab=all&per_page=50")).content.decode())) == 33


def _confirm(client, call, justification="Within the allocation"):
    return client.post(url(call, "confirm/") + "?stage=full", {"justification": justification}, follow=True)


def test_bulk_confirm_decides_every_proposed_award_through_the_single_decision(client, officer, open_call, scored):
    apps, crit = scored
    client.force_login(officer)
    response = _confirm(client, open_call)
    body = response.content.decode()
    assert f"2 decisions recorded: {apps[0].reference}, {apps[1].reference}." in body
    apps[0].refresh_from_db()
    assert apps[0].status == ApplicationStatus.AWARDED and apps[0].award_decision.justification == "Within the allocation"
    assert Grant.objects.filter(reference=apps[0].reference).exists()
    assert "Confirm the proposal" not in body  # nothing left to confirm
    assert AuditEvent.objects.filter(verb="call.confirm_proposal").count() == 1


def test_bulk_confirm_reports_the_one_refused_and_goes_on(client, officer, open_call, scored):
    """Four proposed awards; the second one is refused by the decision service (its organisation's verification
    was withdrawn after the proposal was shown): it is reported with the reason, the other two are confirmed."""
    apps, crit = scored
    more = []
    for _ in range(2):
        app = eligible_application(open_call, requested="100000")
        Organisation.objects.filter(pk=app.organisation_id).update(verified_at=timezone.now())
        submitted_review(app, reviewer(), crit, {"a1": 3, "a2": 4, "b1": 4})
        more.append(app)
    client.force_login(officer)
    assert "Proposed, to confirm" in client.get(url(open_call)).content.decode()  # the proposal is computed and cached
    proposed = [p.row.application_id for p in awards.proposal_board(open_call).to_confirm]
    assert len(proposed) == 4
    refused = proposed[1]
    Organisation.objects.filter(applications__pk=refused).update(verified_at=None)  # a diligence change since
    body = _confirm(client, open_call).content.decode()
    refused_ref = Application.objects.get(pk=refused).reference
    assert "3 decisions recorded" in body
    assert f"{refused_ref} was not confirmed:" in body and "has not been verified" in body
    statuses = dict(Application.objects.filter(pk__in=proposed).values_list("pk", "status"))
    awarded, eligible = ApplicationStatus.AWARDED, ApplicationStatus.ELIGIBLE
    assert [statuses[pk] for pk in proposed] == [awarded, eligible, awarded, awarded]


def test_bulk_confirm_needs_a_justification_and_a_decider(client, officer, finance, open_call, scored):
    apps, _ = scored
    client.force_login(officer)
    assert "Give the justification of the decisions." in _confirm(client, open_call, "").content.decode()
    apps[0].refresh_from_db()
    assert apps[0].status == ApplicationStatus.ELIGIBLE
    client.force_login(finance)
    assert client.post(url(open_call, "confirm/"), {"justification": "x"}).status_code == 403
    assert "Confirm the proposal" not in client.get(url(open_call)).content.decode()


@pytest.mark.parametrize("role", [R.APPLICANT, R.REVIEWER])
def test_bulk_confirm_refused_to_reviewers_and_cso(client, open_call, scored, role):
    client.force_login(make_user(role, email_verified_at=timezone.now()))
    assert client.post(url(open_call, "confirm/"), {"justification": "x"}).status_code == 403
    assert client.get(url(open_call, f"?sections={scored[0][0].pk}")).status_code == 403


def test_a_decision_and_a_moderation_change_the_cached_page_at_once(client, officer, open_call, scored):
    apps, _ = scored
    client.force_login(officer)
    assert "Ranked first" not in client.get(everything(open_call)).content.decode()
    client.post(url(open_call, f"{apps[1].pk}/decide/"), {f"d{apps[1].pk}-outcome": "reserve", f"d{apps[1].pk}-justification": "Ranked first"})
    assert "Ranked first" in client.get(everything(open_call)).content.decode()
    client.post(url(open_call, f"{apps[0].pk}/moderate/"), {"total": "3", "justification": "Too generous"})
    body = client.get(everything(open_call)).content.decode()
    assert "moderated: 3.00" in body and "Below the pass mark" not in body

