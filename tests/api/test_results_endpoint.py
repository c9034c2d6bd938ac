"""/api/v1/results/: the results dashboard's figures, always protected, filtered as the dashboard is; bad filter
values are a 400, an id that matches nothing leaves no figure; the cost does not grow with grants."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from results.services import default_dimensions, indicator_create, targets_set

from ..factories import CallFactory, CountryFactory, EnvelopeFactory, GrantFactory
from ..results.conftest import period_dates, titles, values_accepted
from .conftest import api_client

URL = "/api/v1/results/"


@pytest.fixture
def programme(db):
    return EnvelopeFactory(amount=(Decimal("10000000.00"), "EUR"), programme__code="GLOACT").programme


@pytest.fixture
def assisted(programme, officer):
    dimensions = {d.code: d for d in default_dimensions(programme)}
    return indicator_create(actor=officer, programme=programme, code="P1", titles=titles("People assisted"), unit="people",
                            dimensions=[dimensions["sex"]], counts_people=True, external_code="GERF 2.29")


def add_grant(programme, officer, indicator, *, country, female, male, number=1):
    grant = GrantFactory(call=CallFactory(programme=programme), country=CountryFactory(code=country))
    values_accepted(actor=officer, grant=grant, **period_dates(number),
                    values={indicator: {"cells": {"sex=female": female, "sex=male": male}}})
    targets_set(actor=officer, grant=grant, **period_dates(number), targets={indicator: 50})
    return grant


def test_figures_are_protected_even_for_officers_and_filters_narrow_them(programme, assisted, officer):
    nepal = add_grant(programme, officer, assisted, country="NP", female=3, male=20)
    add_grant(programme, officer, assisted, country="LA", female=10, male=11)
    client = api_client(officer)
    body = client.get(URL, {"indicator": "P1", "exact": "1"}).json()
    (result,) = body["indicators"]
    assert (body["programme_code"], body["threshold"], result["external_code"]) == ("GLOACT", 5, "GERF 2.29")
    assert result["total"] == {"period": None, "target": "100", "achieved": {"value": "44", "suppressed": False}}
    assert [c["value"] for c in body["disaggregation"]["column_totals"]] == ["13", "31"]

    body = client.get(URL, {"indicator": "P1", "country": nepal.country_id}).json()
    (row,) = body["disaggregation"]["rows"]
    assert row["cells"] == [{"value": None, "suppressed": True}, {"value": None, "suppressed": True}]
    assert body["indicators"][0]["total"]["achieved"] == {"value": "23", "suppressed": False}

    nothing = client.get(URL, {"country": 999999, "call": 999999}).json()
    assert nothing["indicators"][0]["periods"] == [] and nothing["disaggregation"] is None


@pytest.mark.parametrize("params", [{"country": "NP"}, {"period": "0"}, {"indicator": "P 1"}, {"call": "2147483648"}])
def test_bad_filter_values_are_refused(programme, assisted, donor, params):
    response = api_client(donor).get(URL, params)
    assert response.status_code == 400 and set(response.json()) == set(params)


def test_an_unknown_programme_is_404(programme, donor):
    assert api_client(donor).get(URL, {"programme": "NOPE"}).status_code == 404


def test_queries_do_not_grow_with_grants(programme, assisted, officer, donor):
    client = api_client(donor)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, {"indicator": "P1"}).status_code == 200
        return len(queries)

    for i in range(2):
        add_grant(programme, officer, assisted, country="NP", female=i, male=8, number=1 + i % 2)
    few = count()
    for i in range(10):
        add_grant(programme, officer, assisted, country="KH", female=i, male=8, number=1 + i % 2)
    assert count() == few
