"""The results report (PDF): who may have it, and that it holds the dashboard's published figures for the same
filters, read back from the PDF: suppressed cells as the dashboard's dash even for staff who may see exact figures,
the country breakdown equal to the dashboard filtered on each country, and Arabic laid out right to left."""
import re
import subprocess
import unicodedata

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from results.services import targets_set
from results.suppression import SUPPRESSED

from .conftest import PEOPLE_CELLS, make_grant, period_dates, values_accepted
from .test_views import get, page_figures

PAGE, PDF = "/results/", "/results/report.pdf"
DASH = "–"


@pytest.fixture
def data(programme, people, make_indicator, officer):
    """Grant A in Nepal and B in Lao PDR; people assisted by sex and age band with small cells (2 + 1 girls under
    12), officers trained (not people)."""
    from tests.factories import EnvelopeFactory

    EnvelopeFactory(programme=programme)
    trained = make_indicator("TRAINED")
    grants = {"A": make_grant(programme, country="NP"), "B": make_grant(programme, country="LA")}
    for name, grant in grants.items():
        values_accepted(actor=officer, grant=grant, **period_dates(1), values={
            people: {"cells": PEOPLE_CELLS[name]}, trained: {"total": 25 if name == "A" else 3},
        })
        targets_set(actor=officer, grant=grant, **period_dates(1), targets={people: 80, trained: 20})
    values_accepted(actor=officer, grant=grants["A"], **period_dates(2), values={people: {"total": 3}})
    return {"grants": grants, "people": people}


def pdf_lines(content: bytes) -> list[str]:
    """The PDF's text laid out as printed (pdftotext -layout): a table row is one line, its cells apart."""
    assert content.startswith(b"%PDF")
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"], input=content, capture_output=True, check=True)
    text = unicodedata.normalize("NFKC", out.stdout.decode())
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")  # the bidi marks pdftotext adds
    return [line.strip() for line in text.splitlines()]


def cells(line) -> list[str]:
    return re.split(r"\s{2,}", line)


def value(text) -> str:
    """A PDF figure as `test_views.page_figures` reads the page's."""
    if text == DASH:
        return "suppressed"
    return "" if text in ("none", "not reported") else text.replace(",", "")


def pdf_figures(lines) -> list[list[str]]:
    """The report's indicator tables and disaggregation table(s) in `page_figures`' shape: [code, period, target,
    achieved] per row (period "" for all periods in view), then [label, cells…, total] per disaggregation row."""
    rows, code, in_table = [], None, False
    for line in lines:
        if " · " in line and not line.startswith(("P", "Sex")) or re.match(r"^[A-Z0-9]+ · ", line):
            code = line.split(" · ")[0]
        if line.startswith(("By country", "Disaggregation:")):
            code = None
            in_table = line.startswith("Disaggregation:")
        parts = cells(line)
        if code and re.match(r"^Period \d+$", parts[0]) and len(parts) == 3:
            rows.append([code, parts[0].removeprefix("Period "), value(parts[1]), value(parts[2])])
        elif code and parts[0] == "All periods in view":
            rows.append([code, "", value(parts[1]), value(parts[2])])
        elif in_table and len(parts) > 2 and not parts[0].startswith("Sex /"):
            rows.append([parts[0], *(value(p) for p in parts[1:])])
    return rows


def by_country(lines) -> dict:
    """{(country, indicator code): [target, achieved]} of the report's country table."""
    start = lines.index("By country")
    end = next((i for i, line in enumerate(lines) if line.startswith("Disaggregation:")), len(lines))
    found = {}
    for line in lines[start:end]:
        parts = cells(line)
        if len(parts) == 4 and parts[0] != "Country":
            found[(parts[0], parts[1].split()[0])] = [value(parts[2]), value(parts[3])]
    return found


# ---- access ------------------------------------------------------------------------------------------------------


def test_cso_members_and_reviewers_may_not_have_the_report(client, data, cso_user, reviewer):
    assert get(client, cso_user, PDF).status_code == 403
    assert get(client, reviewer, PDF).status_code == 403
    client.logout()
    assert client.get(PDF).status_code == 302  # to the sign-in page


def test_staff_and_donors_have_it_and_the_dashboard_links_it_with_its_filters(client, data, officer, finance, donor, administrator):
    for user in (officer, finance, donor, administrator):
        response = get(client, user, PDF)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response["Cache-Control"] == "private, no-store"
    body = get(client, officer, PAGE, period="1", indicator="P1", exact="1").content.decode()
    link = re.search(r'href="(/results/report\.pdf\?[^"]*)"', body).group(1).replace("&amp;", "&")
    assert "period=1" in link and "indicator=P1" in link and "exact" not in link


def test_no_programme_with_an_envelope_is_not_found(client, donor, db):
    assert get(client, donor, PDF).status_code == 404


# ---- figures -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [
    {}, {"indicator": "P1"}, {"period": "1", "indicator": "P1"}, {"country": "NP", "indicator": "P1"},
])
def test_the_figures_are_the_dashboards(client, data, donor, params):
    if "country" in params:
        params = {**params, "country": str(data["grants"]["A"].country_id)}
    lines = pdf_lines(get(client, donor, PDF, **params).content)
    # Without a chosen indicator the report has every disaggregation: here P1's, the page's when P1 is chosen.
    page = page_figures(get(client, donor, PAGE, **{"indicator": "P1", **params}))
    assert pdf_figures(lines) == page
    assert any("suppressed" in row for row in page)


def test_the_title_line_names_the_programme_the_filters_and_the_date(client, data, donor, programme):
    from django.utils import timezone

    from core.formats import date_text

    nepal = data["grants"]["A"].country
    text = " ".join(pdf_lines(get(client, donor, PDF, country=str(nepal.pk), period="1").content))
    assert f"{programme.short_name}: results report" in text
    assert f"Filters: Country: {nepal}; Reporting period: 1." in text
    assert f"Report date: {date_text(timezone.localdate())}" in text
    assert "Filters: all grants" in " ".join(pdf_lines(get(client, donor, PDF).content))


def test_a_suppressed_cell_is_the_dashboards_dash_even_for_those_who_may_see_exact_figures(client, data, officer, donor):
    """The 3 girls under 12 (2 + 1) are hidden, and so is a figure beside them; an officer's ?exact=1 changes
    nothing in a report, which is shared."""
    d = get(client, officer, PAGE, indicator="P1").context["d"]
    assert d.disaggregation.table.cells[0][0].value is SUPPRESSED
    for user, params in ((donor, {"indicator": "P1"}), (officer, {"indicator": "P1", "exact": "1"})):
        lines = pdf_lines(get(client, user, PDF, **params).content)
        (female,) = [r for r in pdf_figures(lines) if r[0] == "Female"]
        assert female[1] == "suppressed" and "3" not in female
        assert sum(cell == "suppressed" for cell in female) >= 2  # never one alone: it could be worked out
        assert "Confidential" not in " ".join(lines)
    exact = get(client, officer, PAGE, indicator="P1", exact="1").context["d"]
    assert exact.disaggregation.table.cells[0][0].value == 3  # the page does show the officer the exact figure


def test_every_disaggregation_when_none_is_chosen(client, data, donor):
    lines = pdf_lines(get(client, donor, PDF).content)
    assert [line for line in lines if line.startswith("Disaggregation:")] == ["Disaggregation: People assisted"]
    assert any(line.startswith("Female") for line in lines)


def test_by_country_each_figure_is_the_dashboards_for_that_country(client, data, donor):
    found = by_country(pdf_lines(get(client, donor, PDF).content))
    for grant in data["grants"].values():
        country = grant.country
        page = {r[0]: r[2:] for r in page_figures(get(client, donor, PAGE, country=str(country.pk))) if r[1] == ""}
        for code in ("P1", "TRAINED"):
            assert found[(str(country), code)] == page[code], (country, code)
    assert found[("Nepal", "TRAINED")] == ["20", "25"]
    # Chosen a country, the report has no country table (the whole report is that country).
    nepal = data["grants"]["A"].country_id
    assert "By country" not in pdf_lines(get(client, donor, PDF, country=str(nepal)).content)


def test_the_report_is_in_the_readers_language(client, data, donor):
    text = " ".join(pdf_lines(get(client, donor, PDF, lang="fr").content))
    assert "People assisted (fr)" in text  # the indicator's French title


def test_arabic_renders_right_to_left(client, data, donor, people):
    people.titles = {**people.titles, "ar": "الأشخاص الذين تمت مساعدتهم"}
    people.save(update_fields=["titles"])
    response = get(client, donor, PDF, lang="ar", indicator="P1")
    assert response.status_code == 200
    lines = pdf_lines(response.content)
    text = " ".join(lines)
    assert "الأشخاص الذين تمت مساعدتهم" in text
    # Tables run from the right: the row label is the last cell of its line, the figures before it.
    with translation.override("ar"):
        from results.selectors import programme_indicators

        female = [c.title() for d in programme_indicators(people.programme) if d.code == "P1" for d in d.dimensions.all()
                  for c in d.categories.all() if c.code == "female"][0]
    (row,) = [cells(line) for line in lines if line.endswith(female)]
    assert row[-1] == female and DASH in row[:-1]


def test_queries_do_not_grow_with_grants(client, data, programme, people, officer, donor):
    def count():
        client.force_login(donor)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PDF).status_code == 200
        return len(queries)

    few = count()
    for i in range(6):
        grant = make_grant(programme, country=("NP", "LA")[i % 2])
        values_accepted(actor=officer, grant=grant, **period_dates(1), values={people: {"cells": {"sex=female|age=18+": 6}}})
    assert count() == few


def test_choices_that_are_not_the_programmes_are_ignored_as_on_the_dashboard(client, data, donor):
    response = get(client, donor, PDF, country="999999", period="7", indicator="NOPE", programme="NOPE")
    assert response.status_code == 200
    lines = pdf_lines(response.content)
    assert "Filters: all grants" in " ".join(lines)
    assert pdf_figures(lines) == page_figures(get(client, donor, PAGE, indicator="P1"))
