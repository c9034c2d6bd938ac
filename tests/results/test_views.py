"""The results dashboard and its CSV: who may see them, small-cell protection on the page and always in the CSV,
the figures of both cell by cell, filters checked against their choices, queries; the grantee's own results."""
import csv
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from lxml import html

from results.models import Combine, IndicatorValue
from results.services import indicator_create, targets_set, value_review, values_record
from tests.conftest import make_user
from tests.factories import EnvelopeFactory
from tests.grant_helpers import signed_grant

from .conftest import PEOPLE_CELLS, make_grant, period_dates, titles, values_accepted

PAGE, CSV = "/results/", "/results/export.csv"


@pytest.fixture
def scenario(programme, people, make_indicator, officer):
    """Grant A in Nepal and B in Lao PDR; people assisted by sex and age band with small cells, trainings (not
    people), and a ratio."""
    EnvelopeFactory(programme=programme)
    trained = make_indicator("TRAINED", unit="officers")
    agreements = make_indicator("AGREEMENTS")
    share = make_indicator("SHARE", Combine.RATIO, numerator=agreements, denominator=trained)
    grants = {"A": make_grant(programme, country="NP"), "B": make_grant(programme, country="LA")}
    for name, grant in grants.items():
        values_accepted(actor=officer, grant=grant, **period_dates(1), values={
            people: {"cells": PEOPLE_CELLS[name]}, trained: {"total": 25 if name == "A" else 3}, agreements: {"total": 2},
        })
        targets_set(actor=officer, grant=grant, **period_dates(1), targets={people: 80, trained: 20})
    values_accepted(actor=officer, grant=grants["A"], **period_dates(2), values={people: {"total": 3}})
    return {"people": people, "trained": trained, "share": share, "grants": grants}


def get(client, user, url=PAGE, **params):
    client.force_login(user)
    return client.get(url, params)


def text(node) -> str:
    return " ".join(node.text_content().split())


def page_figures(response) -> list[list[str]]:
    """The page's tables as the CSV writes them: indicator rows (code, period, target, achieved), then the
    disaggregation's rows."""
    tree = html.fromstring(response.content.decode())

    def value(cell):
        t = text(cell)
        if "suppressed" in t:
            return "suppressed"
        if t in ("– none", "–none", "not reported") or not t:
            return ""
        return t.replace(",", "")

    rows = []
    for section in tree.xpath("//section[contains(@class, 'indicator-result')]"):
        code = section.get("id").removeprefix("indicator-")
        for tr in section.xpath(".//table[contains(@class, 'indicator-figures')]//tr[not(parent::thead)]"):
            cells = tr.xpath("td")
            if len(cells) < 2 or not tr.xpath("th"):  # "No value or target recorded.": one cell across the row
                continue
            period = text(tr.xpath("th")[0]).removeprefix("Period ")
            rows.append([code, "" if period == "All periods in view" else period, value(cells[0]), value(cells[1])])
    for tr in tree.xpath("//table[contains(@class, 'disaggregation')]//tr[not(parent::thead)]"):
        rows.append([text(tr.xpath("th")[0]), *(value(td) for td in tr.xpath("td"))])
    return rows


def csv_figures(response) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    blank = rows.index([]) if [] in rows else len(rows)
    summary = [[r[0], "" if r[4] == "All periods in view" else r[4], r[5], r[6]] for r in rows[1:blank]]
    return summary + rows[blank + 3:]


# ---- access ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PAGE, CSV])
def test_cso_members_and_reviewers_may_not_see_results(client, scenario, cso_user, reviewer, url):
    assert get(client, cso_user, url).status_code == 403
    assert get(client, reviewer, url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


@pytest.mark.parametrize("url", [PAGE, CSV])
def test_staff_and_donors_read_them(client, scenario, officer, finance, donor, administrator, url):
    for user in (officer, finance, donor, administrator):
        assert get(client, user, url).status_code == 200


# ---- suppression -------------------------------------------------------------------------------------------------


def test_the_donor_sees_small_counts_suppressed_and_cannot_ask_for_exact_figures(client, scenario, donor):
    response = get(client, donor, exact="1", indicator="P1")
    body = response.content.decode()
    assert "Confidential" not in body and 'name="exact"' not in body
    assert 'id="suppression-note"' in body
    rows = {r[0]: r[1:] for r in page_figures(response) if r[0] in ("Female", "Male", "Total")}
    # Female 0-11 is 3 (2 + 1): hidden, and the male 18+ beside it... every line keeps two hidden or none.
    assert rows["Female"][0] == "suppressed"
    assert "3" not in rows["Female"]
    for line in rows.values():
        assert sum(cell == "suppressed" for cell in line) != 1
    # Period 2's 3 people, and the total that would give it away, are hidden in the indicator's table.
    people = [r for r in page_figures(response) if r[0] == "P1"]
    assert people[1] == ["P1", "2", "", "suppressed"] and people[0][3] == "suppressed"
    # Trainings count no people: 3 officers trained in Lao PDR is published.
    assert ["TRAINED", "1", "40", "28"] in page_figures(response)


def test_officers_may_see_exact_figures_marked_confidential(client, scenario, officer, finance):
    response = get(client, officer, exact="1", indicator="P1")
    body = response.content.decode()
    assert "Confidential" in body and "suppressed" not in body
    assert ["Female", "3", "18", "38", "59"] in page_figures(response)
    # Without asking, and for finance officers, the page is protected.
    assert "suppressed" in get(client, officer, indicator="P1").content.decode()
    finance_body = get(client, finance, exact="1", indicator="P1").content.decode()
    assert "Confidential" not in finance_body and "suppressed" in finance_body


def test_the_csv_is_the_dashboards_view_cell_by_cell_and_always_protected(client, scenario, officer, donor):
    for params in ({}, {"indicator": "P1"}, {"indicator": "P1", "country": str(scenario["grants"]["A"].country_id)},
                   {"period": "1", "indicator": "P1"}):
        page = page_figures(get(client, donor, **params))
        exported = csv_figures(get(client, donor, CSV, **params))
        assert page == exported, params
    protected = csv_figures(get(client, donor, CSV, indicator="P1"))
    assert csv_figures(get(client, officer, CSV, indicator="P1", exact="1")) == protected
    assert any("suppressed" in row for row in protected)


def test_the_csv_neutralises_formulas(client, scenario, programme, officer, donor):
    indicator_create(actor=officer, programme=programme, code="F1", titles=titles("=HYPERLINK(\"http://x\")"))
    body = get(client, donor, CSV).content.decode()
    assert "'=HYPERLINK" in body


# ---- filters -----------------------------------------------------------------------------------------------------


def test_filters_narrow_the_grants_and_unknown_choices_are_refused(client, scenario, donor):
    nepal = scenario["grants"]["A"].country_id
    trained = [r for r in page_figures(get(client, donor, country=str(nepal))) if r[0] == "TRAINED"]
    assert trained == [["TRAINED", "1", "20", "25"], ["TRAINED", "", "20", "25"]]
    response = get(client, donor, country="999999", period="7", indicator="NOPE")
    assert response.status_code == 200
    assert response.content.decode().count('class="field-error"') == 3
    assert ["TRAINED", "", "40", "28"] in page_figures(response)  # unfiltered
    share = [r for r in page_figures(get(client, donor, period="1")) if r[0] == "SHARE"]
    assert share[-1] == ["SHARE", "", "", "0.1429"]


# ---- queries -----------------------------------------------------------------------------------------------------


def test_the_dashboard_costs_the_same_queries_for_3_and_30_grants(client, programme, people, officer, donor):
    EnvelopeFactory(programme=programme)

    def add_grants(n):
        for i in range(n):
            grant = make_grant(programme, country=("NP", "LA", "KH")[i % 3])
            values_accepted(actor=officer, grant=grant, **period_dates(1 + i % 2),
                          values={people: {"cells": {"sex=female|age=18+": 4, "sex=male|age=0-11": 7}}})
            targets_set(actor=officer, grant=grant, **period_dates(1 + i % 2), targets={people: 20})

    def count():
        """The queries of the page with its figures cached (the second request), and after a change (cold)."""
        client.force_login(donor)
        client.get(PAGE, {"indicator": "P1"})  # warm the session
        cache.clear()
        with CaptureQueriesContext(connection) as cold:
            assert client.get(PAGE, {"indicator": "P1", "period": "1"}).status_code == 200
        with CaptureQueriesContext(connection) as warm:
            assert client.get(PAGE, {"indicator": "P1", "period": "1"}).status_code == 200
        return len(cold), len(warm)

    add_grants(3)
    few = count()
    add_grants(27)
    assert count() == few
    assert few[0] <= 15 and few[1] <= few[0] - 7, few  # cached: the filters' four queries and the figures' three


# ---- the grantee's own results -----------------------------------------------------------------------------------


def test_the_grantee_sees_its_own_figures_unprotected(client, cso_user, other_cso_user, organisation, officer):
    grant = signed_grant(organisation=organisation)
    indicator = indicator_create(actor=officer, programme=grant.call.programme, code="P9", titles=titles("Girls sheltered"),
                                 counts_people=True, unit="people")
    values_record(actor=officer, grant=grant, **period_dates(1), values={indicator: {"total": 2}})  # not reviewed yet
    targets_set(actor=officer, grant=grant, **period_dates(1), targets={indicator: 15})
    client.force_login(cso_user)
    tree = html.fromstring(client.get(f"/my/grants/{grant.reference}/").content.decode())
    section = tree.get_element_by_id("results")
    assert "Girls sheltered" in text(section)
    assert [text(td) for td in section.xpath(".//tbody//td")] == ["15", "2"]
    client.force_login(other_cso_user)
    assert client.get(f"/my/grants/{grant.reference}/").status_code == 404


def test_a_grant_without_results_has_no_section(client, cso_user, organisation):
    grant = signed_grant(organisation=organisation)
    client.force_login(cso_user)
    assert 'id="results"' not in client.get(f"/my/grants/{grant.reference}/").content.decode()


def test_navigation_links_the_results_for_dashboard_readers(client, scenario, donor):
    client.force_login(donor)
    assert 'href="/results/"' in client.get("/").content.decode()
    client.force_login(make_user())
    assert 'href="/results/"' not in client.get("/").content.decode()


def test_the_cached_figures_follow_a_change_at_once(client, scenario, officer, donor):
    """The dashboard's figures are cached until anything changes: a value accepted shows on the next request."""
    grant = scenario["grants"]["B"]
    before = [r for r in page_figures(get(client, donor)) if r[0] == "TRAINED"]
    assert before[-1] == ["TRAINED", "", "40", "28"]
    values_record(actor=officer, grant=grant, **period_dates(1), values={scenario["trained"]: {"total": 10}})
    # Recorded again, B's value waits for review: it no longer counts.
    assert [r for r in page_figures(get(client, donor)) if r[0] == "TRAINED"][-1] == ["TRAINED", "", "40", "25"]
    value_review(actor=officer, value=IndicatorValue.objects.get(period__grant=grant, indicator=scenario["trained"]),
                 accept=True)
    assert [r for r in page_figures(get(client, donor)) if r[0] == "TRAINED"][-1] == ["TRAINED", "", "40", "35"]
