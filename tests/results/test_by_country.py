"""Differencing across countries: a country's figure hidden by its size cannot be worked out as the programme's
figure minus the other countries' (the PDF's country table puts them side by side; the dashboard gives each by
switching its country filter). The breakdown by country is a linked table (`selectors.country_table`), the same in
the dashboard filtered on a country, its CSV, the API and the PDF's table by country."""
import csv
import io
from types import SimpleNamespace

import pytest
from django.core.cache import cache

from results.models import Combine
from results.selectors import country_table, protected_figures
from results.suppression import PRIMARY, SECONDARY
from tests.api.conftest import api_client
from tests.factories import CountryFactory, EnvelopeFactory

from .conftest import make_grant, period_dates, values_accepted
from .test_pdf import by_country, pdf_lines
from .test_views import get, page_figures

HIDDEN = "suppressed"
PEOPLE = SimpleNamespace(counts_people=True, combine=Combine.SUM)


def shown(cell):
    return HIDDEN if cell.suppressed else cell.value


def test_hand_computed_three_countries():
    """Countries of 3, 10 and 12 people, 25 in all (one period): the 3 is hidden (primary), and so is the smallest
    other country, 10 (secondary), or 25 - 12 would give the 3 away; the programme's 25 stays shown."""
    table = country_table(PEOPLE, {"NP": ({1: 3}, 3), "LA": ({1: 10}, 10), "KH": ({1: 12}, 12)}, [(1, 25)], 25,
                          threshold=5)
    assert {c: (shown(cells[1]), shown(total)) for c, (cells, total) in table.items()} == {
        "NP": (HIDDEN, HIDDEN), "LA": (HIDDEN, HIDDEN), "KH": (12, 12),
    }
    assert table["NP"][0][1].reason == PRIMARY and table["LA"][0][1].reason == SECONDARY


def test_over_periods_a_country_hidden_in_one_period_hides_another_there_and_its_totals_close():
    """Two periods: NP has 3 in period 1 (then 20). In period 1 the 3 and the smallest other (LA's 10) are hidden;
    each of them hidden in its country's series hides another of its figures or its total, and the total column
    (the countries' totals under the programme's 55 + 25) never has a single hidden figure."""
    rows = {"NP": ({1: 3, 2: 20}, 23), "LA": ({1: 10, 2: 6}, 16), "KH": ({1: 12, 2: 29}, 41)}
    table = country_table(PEOPLE, rows, [(1, 25), (2, 55)], 80, threshold=5)
    grid = {c: [shown(cells[1]), shown(cells[2]), shown(total)] for c, (cells, total) in table.items()}
    assert grid["NP"][0] == grid["LA"][0] == HIDDEN and grid["KH"][0] == 12
    assert closed(list(grid.values()), [(1, 25), (2, 55)], 80) == [25, 55, 80]


def closed(grid, periods, total):
    """The programme's row (its periods and total as `protected_figures` gives them) under the countries' rows;
    asserts that no country's line and no column (the countries' figures and the programme's) has exactly one
    hidden figure, and returns the programme's row."""
    cells, total_cell = protected_figures(PEOPLE, [a for _n, a in periods], total, threshold=5, exact=False)
    programme = [shown(c) for c in (*cells, total_cell)]
    for line in (*grid, *zip(*grid, programme, strict=True)):
        assert sum(v == HIDDEN for v in line) != 1, (grid, programme)
    return programme


def test_a_programme_figure_hidden_in_its_own_series_stays_hidden_and_countries_close_beside_it():
    """The programme's figures are protected first (its periods and total, as the unfiltered dashboard shows them)
    and taken as given: a period of 4 in all is hidden there, so a country's 4 beside a 0 is hidden in the table and
    nothing hidden can be worked out."""
    rows = {"NP": ({1: 4, 2: 30}, 34), "LA": ({1: 0, 2: 20}, 20)}
    table = country_table(PEOPLE, rows, [(1, 4), (2, 50)], 54, threshold=5)
    assert shown(table["NP"][0][1]) == HIDDEN
    grid = [[shown(cells[1]), shown(cells[2]), shown(total)] for cells, total in table.values()]
    assert closed(grid, [(1, 4), (2, 50)], 54) == [HIDDEN, HIDDEN, 54]  # as the unfiltered dashboard shows them


@pytest.fixture
def three(programme, make_indicator, officer):
    """Victims assisted (people, no dimensions) in three countries: 3 in Nepal, 10 in Lao PDR, 12 in Cambodia."""
    EnvelopeFactory(programme=programme)
    victims = make_indicator("VICTIMS", unit="people", counts_people=True)
    grants = {}
    CountryFactory(code="KH", name="Cambodia")
    for code, count in (("NP", 3), ("LA", 10), ("KH", 12)):
        grants[code] = make_grant(programme, country=code)
        values_accepted(actor=officer, grant=grants[code], **period_dates(1), values={victims: {"total": count}})
    cache.clear()
    return grants


def _page(client, donor, **params) -> dict:
    """{period ("" for all periods in view): achieved} of VICTIMS on the dashboard."""
    return {r[1]: r[3] for r in page_figures(get(client, donor, "/results/", **params)) if r[0] == "VICTIMS"}


def test_the_dashboard_by_country_pdf_csv_and_api_hide_the_same_two_countries(client, three, donor):
    assert _page(client, donor) == {"1": "25", "": "25"}  # the programme's total stays
    dashboard = {code: _page(client, donor, country=str(g.country_id)) for code, g in three.items()}
    assert dashboard == {"NP": {"1": HIDDEN, "": HIDDEN}, "LA": {"1": HIDDEN, "": HIDDEN}, "KH": {"1": "12", "": "12"}}

    pdf = by_country(pdf_lines(get(client, donor, "/results/report.pdf").content))
    assert {code: pdf[(str(g.country), "VICTIMS")][1] for code, g in three.items()} == {
        code: figures[""] for code, figures in dashboard.items()
    }

    for code, g in three.items():
        body = get(client, donor, "/results/export.csv", country=str(g.country_id)).content.decode()
        rows = [r for r in csv.reader(io.StringIO(body)) if r[:1] == ["VICTIMS"]]
        assert [r[6] for r in rows] == [dashboard[code]["1"], dashboard[code][""]], rows  # period 1, then all
        api = api_client(donor).get("/api/v1/results/", {"country": str(g.country_id)}).json()
        (result,) = [r for r in api["indicators"] if r["code"] == "VICTIMS"]
        assert result["total"]["achieved"]["suppressed"] == (dashboard[code][""] == HIDDEN)
        assert [p["achieved"]["suppressed"] for p in result["periods"]] == [dashboard[code]["1"] == HIDDEN]
