"""The officer's grid pages (/calls/<pk>/grid/ ...) and the grid on the public call page."""
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles as R
from grants import grids
from grants.models import CallStatus, Criterion, EvaluationGrid, GridSection, GridStage

from ..conftest import make_user
from ..factories import CallFactory
from .test_grids import install_templates, score

@pytest.fixture
def templates(db):
    return install_templates()


@pytest.fixture
def grid(officer, call, templates):
    return grids.grid_copy(actor=officer, template=templates[GridStage.FULL_APPLICATION], call=call)


def page(call):
    return f"/calls/{call.pk}/grid/"


def urls_of(call, grid):
    section = grid.sections.first()
    criterion = section.criteria.first()
    base = page(call)
    gets = [base, f"{base}{grid.pk}/sections/new/", f"{base}sections/{section.pk}/", f"{base}sections/{section.pk}/criteria/new/",
            f"{base}criteria/{criterion.pk}/"]
    posts = [f"{base}copy/", f"{base}{grid.pk}/pass-mark/", f"{base}sections/{section.pk}/delete/", f"{base}criteria/{criterion.pk}/delete/"]
    return gets, posts


# --- access ---------------------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client, call, grid):
    gets, posts = urls_of(call, grid)
    for url in gets:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    for url in posts:
        response = client.post(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


@pytest.mark.parametrize("role", [R.REVIEWER, R.APPLICANT, R.DONOR_OBSERVER, R.FINANCE_OFFICER, None])
def test_other_roles_get_403(client, call, grid, role):
    client.force_login(make_user(role) if role else make_user())
    gets, posts = urls_of(call, grid)
    for url in gets:
        assert client.get(url).status_code == 403, url
    for url in posts:
        assert client.post(url).status_code == 403, url
    assert EvaluationGrid.objects.filter(call=call).count() == 1 and grid.sections.count() == 5


def test_cso_members_get_403(client, call, grid, cso_user):
    client.force_login(cso_user)
    assert client.get(page(call)).status_code == 403


@pytest.mark.parametrize("role", [R.PROGRAMME_OFFICER, R.ADMINISTRATOR])
@pytest.mark.parametrize("status", [CallStatus.DRAFT, CallStatus.PUBLISHED, CallStatus.CLOSED])
def test_officers_and_administrators_see_every_page_whatever_the_call_status(client, call, grid, role, status):
    call.status = status
    call.save(update_fields=["status"])
    client.force_login(make_user(role))
    for url in urls_of(call, grid)[0]:
        assert client.get(url).status_code == 200, url


def test_another_calls_grid_sections_and_criteria_are_404(client, officer, call, grid, templates):
    other_call = CallFactory(programme=call.programme)
    other = grids.grid_copy(actor=officer, template=templates[GridStage.FULL_APPLICATION], call=other_call)
    section, criterion = other.sections.first(), other.sections.first().criteria.first()
    client.force_login(officer)
    base = page(call)
    for url in (f"{base}{other.pk}/sections/new/", f"{base}sections/{section.pk}/", f"{base}sections/{section.pk}/criteria/new/",
                f"{base}criteria/{criterion.pk}/", "/calls/999999/grid/"):
        assert client.get(url).status_code == 404, url
    for url in (f"{base}{other.pk}/pass-mark/", f"{base}sections/{section.pk}/delete/", f"{base}criteria/{criterion.pk}/delete/"):
        assert client.post(url).status_code == 404, url
    assert other.sections.count() == 5 and section.criteria.count() == 4


# --- the grid page --------------------------------------------------------------------------------------------


def test_page_shows_sections_with_their_maxima_threshold_and_total(client, officer, call, grid):
    client.force_login(officer)
    body = client.get(page(call)).content.decode()
    assert "Full application: PRAG full application (out of 100)" in body
    for number, title, maximum in [(1, "Financial and operational capacity", 20), (2, "Relevance of the action", 30),
                                   (5, "Budget and cost-effectiveness of the action", 15)]:
        assert re.search(rf"{number}\. {re.escape(title)}</th>\s*<td class=\"num\" data-label=\"Maximum score\"><strong>{maximum}</strong>", body)
    assert re.search(r'data-label="Threshold">12</td>', body)
    assert re.search(r'<td class="num" data-label="Maximum score">100</td>', body)
    assert "2.1 How relevant is the proposal to the objectives" in body and "×2" in body
    assert "may be not applicable" in body
    assert f'href="/calls/{call.pk}/grid/{grid.pk}/sections/new/"' in body
    assert 'name="grid%d-pass_mark"' % grid.pk in body


def test_page_without_a_grid_offers_the_templates(client, officer, call, templates):
    client.force_login(officer)
    body = client.get(page(call)).content.decode()
    assert "This call has no evaluation grid yet" in body
    assert "Template: PRAG full application (out of 100)" in body and "Template: PRAG concept note (out of 50)" in body


def test_copy_a_template(client, officer, call, templates):
    client.force_login(officer)
    response = client.post(f"{page(call)}copy/", {"source": templates[GridStage.CONCEPT_NOTE].pk, "stage": ""})
    grid = call.grids.get()
    assert response.status_code == 302 and response["Location"] == f"{page(call)}#grid-{grid.pk}"
    assert grid.stage == GridStage.CONCEPT_NOTE
    body = client.get(response["Location"]).content.decode()
    assert "The grid was copied to this call" in body and "Concept note: PRAG concept note (out of 50)" in body


def test_replacing_a_grid_needs_the_box_ticked(client, officer, call, grid, templates):
    client.force_login(officer)
    data = {"source": templates[GridStage.CONCEPT_NOTE].pk, "stage": "full"}
    response = client.post(f"{page(call)}copy/", data)
    assert response.status_code == 400
    assert "This call already has a grid for that stage" in response.content.decode()
    assert list(call.grids.all()) == [grid]

    response = client.post(f"{page(call)}copy/", {**data, "replace": "on"})
    assert response.status_code == 302
    assert grids.grid_max(grids.grid_of(call)) == 50


def test_copy_over_a_scored_grid_is_refused_on_the_page(client, officer, reviewer, organisation, call, grid, templates):
    score(grid, reviewer, organisation)
    client.force_login(officer)
    response = client.post(f"{page(call)}copy/", {"source": templates[GridStage.CONCEPT_NOTE].pk, "stage": "full", "replace": "on"})
    assert response.status_code == 400
    assert "it can no longer be replaced" in response.content.decode()
    assert list(call.grids.all()) == [grid]


def test_unknown_copy_source_is_a_400_not_a_500(client, officer, call, templates):
    client.force_login(officer)
    response = client.post(f"{page(call)}copy/", {"source": "999999", "stage": "nonsense"})
    assert response.status_code == 400
    assert not call.grids.exists()


@pytest.mark.parametrize(("typed", "message"), [
    ("abc", "Enter a number written like"),
    ("150", "The pass mark (150) cannot be above the grid&#x27;s total of 100 points."),
    ("-5", "Ensure this value is greater than or equal to 0."),
])
def test_pass_mark_errors_keep_what_was_typed(client, officer, call, grid, typed, message):
    client.force_login(officer)
    response = client.post(f"{page(call)}{grid.pk}/pass-mark/", {f"grid{grid.pk}-pass_mark": typed})
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and f'value="{typed}"' in body
    grid.refresh_from_db()
    assert grid.pass_mark is None


def test_pass_mark_saved(client, officer, call, grid):
    client.force_login(officer)
    response = client.post(f"{page(call)}{grid.pk}/pass-mark/", {f"grid{grid.pk}-pass_mark": "65.5"})
    assert response.status_code == 302
    grid.refresh_from_db()
    assert grid.pass_mark == Decimal("65.50")


def test_add_change_and_remove_a_section(client, officer, call, grid):
    client.force_login(officer)
    response = client.post(f"{page(call)}{grid.pk}/sections/new/", {"title": "Gender equality", "threshold": "", "position": ""})
    assert response.status_code == 302
    section = grid.sections.get(title="Gender equality")
    assert section.position == 6

    url = f"{page(call)}sections/{section.pk}/"
    assert 'value="Gender equality"' in client.get(url).content.decode()
    response = client.post(url, {"title": "Gender", "threshold": "3", "position": "6"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "cannot be above the section&#x27;s maximum of 0 points" in body and 'value="3"' in body and 'value="Gender"' in body
    response = client.post(url, {"title": "Gender", "threshold": "", "position": "0"})
    assert response.status_code == 302
    section.refresh_from_db()
    assert (section.title, section.position) == ("Gender", 0)

    assert client.post(f"{url}delete/").status_code == 302
    assert not GridSection.objects.filter(pk=section.pk).exists()


def test_add_and_change_a_criterion(client, officer, call, grid):
    section = grid.sections.get(position=2)
    client.force_login(officer)
    new = f"{page(call)}sections/{section.pk}/criteria/new/"
    data = {"title": "Is it innovative?", "guidance": "", "scale_min": "1", "scale_max": "1", "multiplier": "2", "position": ""}
    response = client.post(new, data)
    assert response.status_code == 400
    assert "The highest score must be above the lowest score." in response.content.decode()
    assert "Is it innovative?" in response.content.decode()

    assert client.post(new, {**data, "scale_max": "5", "allows_not_applicable": "on"}).status_code == 302
    criterion = section.criteria.get(title="Is it innovative?")
    assert (criterion.max_points, criterion.allows_not_applicable, criterion.position) == (10, True, 5)

    edit = f"{page(call)}criteria/{criterion.pk}/"
    assert 'value="2"' in client.get(edit).content.decode()
    assert client.post(edit, {**data, "scale_max": "4", "multiplier": "1", "position": "5"}).status_code == 302
    criterion.refresh_from_db()
    assert (criterion.max_points, criterion.allows_not_applicable) == (4, False)


def test_refused_removal_is_explained(client, officer, call, grid):
    capacity = grid.sections.get(position=1)
    grids.grid_section_save(actor=officer, grid=grid, section=capacity, title=capacity.title, threshold=Decimal("20"))
    criterion = capacity.criteria.first()
    client.force_login(officer)
    response = client.post(f"{page(call)}criteria/{criterion.pk}/delete/", follow=True)
    assert "cannot be above the section&#x27;s maximum of 15 points" in response.content.decode()
    assert Criterion.objects.filter(pk=criterion.pk).exists()


def test_a_scored_grid_is_shown_locked(client, officer, reviewer, organisation, call, grid):
    score(grid, reviewer, organisation)
    client.force_login(officer)
    body = client.get(page(call)).content.decode()
    assert "Reviewers have already scored against this grid" in body
    assert "/sections/new/" not in body and "/criteria/new/" not in body and "pass-mark" not in body

    section = grid.sections.first()
    response = client.get(f"{page(call)}sections/{section.pk}/", follow=True)
    assert response.redirect_chain[-1][0] == f"{page(call)}#grid-{grid.pk}"
    assert "so it can no longer be changed" in response.content.decode()

    response = client.post(f"{page(call)}{grid.pk}/pass-mark/", {f"grid{grid.pk}-pass_mark": "50"})
    assert response.status_code == 400 and "so it can no longer be changed" in response.content.decode()
    response = client.post(f"{page(call)}sections/{section.pk}/delete/", follow=True)
    assert "so it can no longer be changed" in response.content.decode()
    assert grid.sections.count() == 5


def test_page_queries_do_not_grow_with_criteria(client, officer, call, templates):
    grid = grids.grid_copy(actor=officer, template=templates[GridStage.CONCEPT_NOTE], call=call)
    grids.grid_copy(actor=officer, template=templates[GridStage.FULL_APPLICATION], call=call)
    client.force_login(officer)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page(call)).status_code == 200
        return len(captured)

    section = grid.sections.first()
    assert Criterion.objects.filter(section__grid=grid).count() < 10
    few = queries()
    for n in range(45):
        grids.grid_criterion_save(actor=officer, section=section, title=f"Criterion {n}")
    assert Criterion.objects.filter(section__grid=grid).count() > 50
    assert queries() == few
    assert few <= 10  # with the header's count of unread notifications


# --- the public call page -------------------------------------------------------------------------------------


def test_public_page_shows_the_calls_own_grid(client, officer, call, grid):
    relevance = grid.sections.get(position=2)
    grids.grid_section_save(actor=officer, grid=grid, section=relevance, title="Fit with the call", threshold=Decimal("17.5"))
    grids.grid_section_delete(actor=officer, section=grid.sections.get(position=5))
    grids.grid_set_pass_mark(actor=officer, grid=grid, pass_mark=Decimal("50"))
    body = client.get(f"/calls/{call.programme.code}/{call.reference}/").content.decode()
    assert "2. Fit with the call" in body and "Below 17.50 eliminates the proposal" in body
    assert "Budget and cost-effectiveness" not in body
    assert re.search(r'<td class="num" data-label="Maximum score">85</td>\s*<td data-label="Threshold">Below 50 eliminates', body)
    assert "Each criterion is scored from 1 (very poor) to 5 (very good)" in body


def test_public_page_falls_back_to_the_prag_grid(client, call):
    body = client.get(f"/calls/{call.programme.code}/{call.reference}/").content.decode()
    assert "1. Financial and operational capacity" in body and "Below 12 eliminates the proposal" in body
    assert re.search(r'<td class="num" data-label="Maximum score">100</td>', body)
    assert "Does the lead applicant have stable and sufficient sources of finance?" in body
