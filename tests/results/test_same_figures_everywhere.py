"""One figure, one answer: on a data set with small cells, each figure of a grant's results is the same, or hidden
alike, on the results dashboard (its page context), in its CSV, its PDF report, the API, the IATI file and the
360Giving package."""
import csv
import io
from decimal import Decimal

import pytest
from lxml import etree

from opendata.iati import activities_xml
from opendata.threesixty import RESULTS_FIELD, grants_package
from results.models import IndicatorValue
from results.services import targets_set, value_review, values_record
from results.suppression import PRIMARY, SECONDARY
from results.views import plain_number
from tests.api.conftest import api_client
from tests.factories import CallFactory, CountryFactory, EnvelopeFactory
from tests.grant_helpers import signed_grant

from .conftest import period_dates, values_accepted
from .test_pdf import cells as pdf_cells
from .test_pdf import pdf_lines

HIDDEN = "suppressed"
SEX, AGE = "Sex", "Age band"


@pytest.fixture
def programme(db):
    """A programme with an envelope (the dashboard's) and an agency identifier (the IATI file's)."""
    return EnvelopeFactory(amount=(Decimal("10000000.00"), "EUR")).programme


@pytest.fixture
def data(programme, people, officer):
    """The grant in Nepal, alone in its country, with a cell of 2 girls under 12; another grant in Lao PDR."""
    call = CallFactory(programme=programme)
    nepal = signed_grant(call=call, country=CountryFactory(code="NP"))
    lao = signed_grant(call=call, country=CountryFactory(code="LA"))
    values_accepted(actor=officer, grant=nepal, **period_dates(1), values={people: {"cells": {
        "sex=female|age=0-11": 2, "sex=female|age=12-17": 12, "sex=female|age=18+": 30,
        "sex=male|age=0-11": 0, "sex=male|age=12-17": 9, "sex=male|age=18+": 21,
    }}})
    values_accepted(actor=officer, grant=lao, **period_dates(1), values={people: {"cells": {
        "sex=female|age=0-11": 40, "sex=female|age=12-17": 1, "sex=female|age=18+": 8,
        "sex=male|age=0-11": 6, "sex=male|age=12-17": 7, "sex=male|age=18+": 3,
    }}})
    targets_set(actor=officer, grant=nepal, **period_dates(1), targets={people: 80})
    # A second grant in Nepal whose values wait for the officer's review, and one sent back: counted nowhere.
    pending = signed_grant(call=call, country=CountryFactory(code="NP"))
    values_record(actor=officer, grant=pending, **period_dates(1), values={people: {"cells": {
        "sex=female|age=0-11": 50, "sex=female|age=12-17": 1, "sex=female|age=18+": 1,
        "sex=male|age=0-11": 1, "sex=male|age=12-17": 1, "sex=male|age=18+": 1,
    }}})
    values_record(actor=officer, grant=pending, **period_dates(2), values={people: {"cells": {"sex=male|age=18+": 7}}})
    value_review(actor=officer, value=IndicatorValue.objects.get(period__grant=pending, period__number=2), accept=False,
                 comment="Give the ages.")
    return {"nepal": nepal, "pending": pending, "query": {"country": str(nepal.country_id), "period": "1", "indicator": "P1"}}


def from_context(d) -> dict:
    """{figure name: text} of the dashboard's data: the indicator's period, then its disaggregation table."""
    (result,) = [r for r in d.indicators if r.indicator.code == "P1"]
    (period,) = result.periods
    table = d.disaggregation.table

    def text(cell):
        return HIDDEN if cell.suppressed else plain_number(cell.value)

    figures = {"period": text(period.achieved), "target": plain_number(period.target), "grand total": text(table.grand_total)}
    for row, cells, total in d.disaggregation.rows_with_cells:
        figures[row] = text(total)
        figures.update({(row, column): text(cell) for column, cell in zip(d.disaggregation.columns, cells, strict=True)})
    figures.update({column: text(cell) for column, cell in zip(d.disaggregation.columns, table.column_totals, strict=True)})
    return figures


def from_csv(body: str) -> dict:
    rows = list(csv.reader(io.StringIO(body)))
    (period,) = [r for r in rows if r[:1] == ["P1"] and r[4] == "1"]
    blank = rows.index([])
    columns = rows[blank + 2][1:-1]
    figures = {"period": period[6], "target": period[5]}
    for row in rows[blank + 3:]:
        label, cells, total = row[0], row[1:-1], row[-1]
        if label == "Total":
            figures["grand total"] = total
            figures.update(dict(zip(columns, cells, strict=True)))
        else:
            figures[label] = total
            figures.update({(label, column): cell for column, cell in zip(columns, cells, strict=True)})
    return figures


def from_api(body: dict) -> dict:
    def text(figure):
        return HIDDEN if figure["suppressed"] else figure["value"]

    (result,) = [r for r in body["indicators"] if r["code"] == "P1"]
    (period,) = result["periods"]
    t = body["disaggregation"]
    figures = {"period": text(period["achieved"]), "target": period["target"], "grand total": text(t["grand_total"])}
    for row in t["rows"]:
        figures[row["label"]] = text(row["total"])
        figures.update({(row["label"], column): text(cell) for column, cell in zip(t["columns"], row["cells"], strict=True)})
    figures.update({column: text(cell) for column, cell in zip(t["columns"], t["column_totals"], strict=True)})
    return figures


def _dimensions(name):
    """The (dimension, category) pairs of a figure's name in the tables: () for the period's and the grand total."""
    if name in ("period", "grand total"):
        return ()
    if isinstance(name, tuple):
        return ((SEX, name[0]), (AGE, name[1]))
    return ((SEX, name),) if name in ("Female", "Male") else ((AGE, name),)


def from_iati(xml: bytes, grant, names) -> dict:
    """The grant's period 1 of P1 in the file: an `<actual>` per published figure, named by its dimensions; a name
    without one was left out (hidden: every cell of the data set was collected)."""
    root = etree.fromstring(xml)
    (activity,) = [a for a in root.iter("iati-activity") if a.findtext("iati-identifier").endswith(grant.reference)]
    (result,) = [r for r in activity.findall("result") if r.findtext("indicator/title/narrative") == "People assisted"]
    (period,) = result.findall("indicator/period")
    actuals = {tuple((d.get("name"), d.get("value")) for d in a.findall("dimension")): a.get("value")
               for a in period.findall("actual")}

    figures = {name: actuals.get(_dimensions(name), HIDDEN) for name in names if name != "target"}
    figures["target"] = period.find("target").get("value")
    return figures


def from_pdf(content: bytes) -> dict:
    """P1's period 1 row of the report's indicator table, then its disaggregation table (read back as printed): a
    dash is a hidden figure."""
    lines = [pdf_cells(line) for line in pdf_lines(content)]

    def text(figure):
        return HIDDEN if figure == "–" else figure.replace(",", "")

    start = next(i for i, row in enumerate(lines) if row[0].startswith("P1 · "))
    (period,) = [row for row in lines[start:] if row[0] == "Period 1"][:1]
    figures = {"period": text(period[2]), "target": text(period[1])}
    header = next(i for i, row in enumerate(lines) if row[0] == f"{SEX} / {AGE}")
    columns = lines[header][1:-1]
    for row in lines[header + 1:]:
        if len(row) != len(columns) + 2:
            break
        label, values, total = row[0], row[1:-1], row[-1]
        if label == "Total":
            figures["grand total"] = text(total)
            figures.update({column: text(v) for column, v in zip(columns, values, strict=True)})
        else:
            figures[label] = text(total)
            figures.update({(label, column): text(v) for column, v in zip(columns, values, strict=True)})
    return figures


def from_360giving(package: dict, grant, names) -> dict:
    """The grant's period 1 of P1 in the package's `results`: each figure named by its categories' titles, a hidden
    one marked suppressed; the period's own figure is the table's grand total."""
    (record,) = [g for g in package["grants"] if g["id"].endswith(grant.reference)]
    (result,) = [r for r in record[RESULTS_FIELD] if r["indicator"] == "P1"]
    (period,) = [p for p in result["periods"] if p["number"] == 1]

    def text(figure):
        return HIDDEN if figure["suppressed"] else plain_number(Decimal(str(figure["value"])))

    found = {tuple((c["dimensionTitle"], c["categoryTitle"]) for c in e["categories"]): text(e["achieved"])
             for e in period["disaggregation"]}
    found[()] = text(period["achieved"])

    figures = {name: found[_dimensions(name)] for name in names if name != "target"}
    figures["target"] = plain_number(Decimal(str(period["target"])))
    return figures


def test_each_figure_is_the_same_or_hidden_alike_everywhere(client, data, donor):
    query = data["query"]
    client.force_login(donor)
    page = client.get("/results/", query)
    d = page.context["d"]
    context = from_context(d)
    exported = from_csv(client.get("/results/export.csv", query).content.decode())
    api = from_api(api_client(donor).get("/api/v1/results/", query).json())
    iati = from_iati(activities_xml(d.programme), data["nepal"], context)
    pdf = from_pdf(client.get("/results/report.pdf", query).content)
    giving = from_360giving(grants_package(d.programme), data["nepal"], context)

    assert len(context) == 3 + 2 * 3 + 2 + 3  # period, target, grand total; the cells, row and column totals
    assert exported == context
    assert api == context
    assert iati == context
    assert pdf == context
    assert giving == context
    # The data set holds both kinds of hidden figure: the 2 girls under 12 (primary), and the 12 girls of 12-17
    # beside them, hidden so that the 2 cannot be worked out from the row's total (secondary).
    table = d.disaggregation.table
    assert (table.cells[0][0].suppressed, table.cells[0][0].reason) == (True, PRIMARY)
    assert (table.cells[0][1].suppressed, table.cells[0][1].reason) == (True, SECONDARY)
    assert context[("Female", "0–11")] == context[("Female", "12–17")] == HIDDEN
    for output in (exported, api, iati, pdf, giving):  # and so in every output
        assert output[("Female", "0–11")] == output[("Female", "12–17")] == HIDDEN
    assert context["period"] == "74" and context[("Female", "18+")] == "30"
    # The values not accepted are in no output: the pending grant (no target either) has no People assisted result.
    root = etree.fromstring(activities_xml(d.programme))
    (pending,) = [a for a in root.iter("iati-activity") if a.findtext("iati-identifier").endswith(data["pending"].reference)]
    assert "People assisted" not in [r.findtext("indicator/title/narrative") for r in pending.findall("result")]
