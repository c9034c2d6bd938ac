"""A figure shown in two places is hidden alike in both: the period series of an indicator and its disaggregation
table share their totals, in every output (dashboard, CSV, API, IATI). Computed by hand."""
import csv
import io
from decimal import Decimal

import pytest
from lxml import etree

from opendata.iati import activities_xml
from results.services import default_dimensions, indicator_create
from results.suppression import PRIMARY, SECONDARY
from tests.api.conftest import api_client
from tests.factories import CallFactory, CountryFactory, EnvelopeFactory
from tests.grant_helpers import signed_grant

from .conftest import period_dates, titles, values_accepted


@pytest.fixture
def programme(db):
    return EnvelopeFactory(amount=(Decimal("10000000.00"), "EUR")).programme


@pytest.fixture
def grant(programme, officer):
    """People assisted by sex: 3 women in period 1; 25 women and 15 men in period 2."""
    sex = {d.code: d for d in default_dimensions(programme)}["sex"]
    people = indicator_create(actor=officer, programme=programme, code="P1", titles=titles("People assisted"),
                              unit="people", dimensions=[sex], counts_people=True)
    grant = signed_grant(call=CallFactory(programme=programme), country=CountryFactory(code="NP"))
    values_accepted(actor=officer, grant=grant, **period_dates(1), values={people: {"cells": {"sex=female": 3, "sex=male": 0}}})
    values_accepted(actor=officer, grant=grant, **period_dates(2), values={people: {"cells": {"sex=female": 25, "sex=male": 15}}})
    return grant


def shown(cell):
    return "suppressed" if cell.suppressed else cell.value


def test_the_period_hidden_in_the_series_is_hidden_in_its_table(client, grant, donor):
    client.force_login(donor)
    # All periods: 3 (primary) and 40 (secondary, or 43 - 40 gives the 3) are hidden; the total 43 is shown, and
    # the table of all periods (28 women, 15 men) has the same 43.
    d = client.get("/results/", {"indicator": "P1"}).context["d"]
    (result,) = d.indicators
    assert [(p.achieved.reason, shown(p.achieved)) for p in result.periods] == [(PRIMARY, "suppressed"), (SECONDARY, "suppressed")]
    assert shown(result.total.achieved) == Decimal(43)
    table = d.disaggregation.table
    assert [shown(c) for c in table.cells[0]] == [Decimal(28), Decimal(15)] and shown(table.grand_total) == Decimal(43)

    # Period 2 alone: its 40 stays hidden, and so does the table's grand total (and the row's, the same 40). The 15
    # men are hidden so that 25 + 15 does not give it back; 25 women alone reveal nothing. Protected separately,
    # the table showed 25, 15 and 40, and 43 - 40 gave away the 3 of period 1.
    d = client.get("/results/", {"indicator": "P1", "period": "2"}).context["d"]
    (result,) = d.indicators
    assert [shown(p.achieved) for p in result.periods] == ["suppressed"] and result.total.achieved.suppressed
    table = d.disaggregation.table
    assert [shown(c) for c in table.cells[0]] == [Decimal(25), "suppressed"]
    assert [shown(c) for c in (*table.row_totals, *table.column_totals, table.grand_total)] == [
        "suppressed", Decimal(25), "suppressed", "suppressed"]

    # The CSV and the API say the same.
    rows = list(csv.reader(io.StringIO(client.get("/results/export.csv", {"indicator": "P1", "period": "2"}).content.decode())))
    assert ["All", "25", "suppressed", "suppressed"] in rows and ["Total", "25", "suppressed", "suppressed"] in rows
    assert "40" not in {value for row in rows for value in row}
    body = api_client(donor).get("/api/v1/results/", {"indicator": "P1", "period": "2"}).json()
    assert body["indicators"][0]["total"]["achieved"] == {"value": None, "suppressed": True}
    assert [c["value"] for c in body["disaggregation"]["rows"][0]["cells"]] == ["25", None]
    assert body["disaggregation"]["grand_total"]["suppressed"]


def test_the_iati_file_hides_a_hidden_periods_breakdown_too(grant):
    root = etree.fromstring(activities_xml(grant.call.programme))
    (activity,) = [a for a in root.iter("iati-activity") if a.findtext("iati-identifier").endswith(grant.reference)]
    (result,) = [r for r in activity.findall("result") if r.findtext("indicator/title/narrative") == "People assisted"]
    first, second = result.findall("indicator/period")
    actuals = {period: {tuple((d.get("name"), d.get("value")) for d in a.findall("dimension")): a.get("value")
                        for a in p.findall("actual")} for period, p in ((1, first), (2, second))}
    # Period 1: 3 women hidden, 0 men published; period 2: its 40 and the 15 men hidden, the 25 women alone shown.
    assert actuals == {1: {(("Sex", "Male"),): "0"}, 2: {(("Sex", "Female"),): "25"}}
