"""The programme's standard indicators in the IATI file: one output result per indicator a grant has values or
targets for, titles in their languages, the donor's code, periods with target, actual and disaggregation after
small-cell suppression; the file stays valid and costs two queries more per batch, and none without results."""
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grants.models import Programme
from opendata.iati import activities_tree, activities_xml
from results.services import default_dimensions, indicator_create, targets_set, values_record

from ..factories import CallFactory, CountryFactory
from ..results.conftest import period_dates, titles, values_accepted
from .iati_helpers import activities, assert_valid, paid_grant
from .test_iati import AGENCY, iati_programme, people  # noqa: F401 - fixtures


@pytest.fixture
def with_results(iati_programme, organisation, people):  # noqa: F811
    officer = people["officer"]
    grant = paid_grant(call=CallFactory(programme=iati_programme), organisation=organisation,
                       country=CountryFactory(code="MA"), approve_report=False, **people)
    dimensions = {d.code: d for d in default_dimensions(iati_programme)}
    assisted = indicator_create(
        actor=officer, programme=iati_programme, code="P1", titles=titles("People assisted"), unit="people",
        dimensions=[dimensions["sex"], dimensions["age"]], counts_people=True, external_code="GERF 2.29",
    )
    trained = indicator_create(actor=officer, programme=iati_programme, code="T1", titles={"en": "Officers trained"})
    values_accepted(actor=officer, grant=grant, **period_dates(1), values={
        assisted: {"cells": {"sex=female|age=0-11": 2, "sex=female|age=12-17": 12, "sex=female|age=18+": 30,
                             "sex=male|age=0-11": 0, "sex=male|age=12-17": 9, "sex=male|age=18+": 21}},
        trained: {"total": 3},
    })
    targets_set(actor=officer, grant=grant, **period_dates(1), targets={assisted: 80})
    targets_set(actor=officer, grant=grant, **period_dates(2), targets={assisted: 100})
    return grant


def standard_results(root, grant):
    activity = activities(root)[f"{AGENCY}-{grant.reference}"]
    return {r.find("indicator/title/narrative").text: r for r in activity.findall("result")}


def actuals(period) -> dict:
    """{((dimension, value), …): value} of a period's published actuals; () for the period's total."""
    return {tuple((d.get("name"), d.get("value")) for d in a.findall("dimension")): a.get("value")
            for a in period.findall("actual")}


def test_standard_indicators_are_results_of_the_grant(iati_programme, with_results):  # noqa: F811
    root = activities_tree(iati_programme)
    assert_valid(root)
    results = standard_results(root, with_results)
    assert set(results) == {"People assisted", "Officers trained"}
    assisted = results["People assisted"]
    assert assisted.get("type") == "1"
    assert [(n.get("{http://www.w3.org/XML/1998/namespace}lang"), n.text) for n in assisted.findall("title/narrative")] == [
        (None, "People assisted"), ("fr", "People assisted (fr)")]
    indicator = assisted.find("indicator")
    assert indicator.get("measure") == "1"
    assert [(r.get("vocabulary"), r.get("code")) for r in indicator.findall("reference")] == [("99", "GERF 2.29")]
    first, second = indicator.findall("period")
    assert (first.find("period-start").get("iso-date"), first.find("period-end").get("iso-date")) == ("2026-01-01", "2026-12-31")
    assert first.find("target").get("value") == "80"
    # Female 0-11 (2) is hidden, and so are female 12-17 (12) beside it and the two column totals that would give
    # them away; the total, the rows' totals and the other cells are published, each naming its categories.
    sex, age = "Sex", "Age band"
    assert actuals(first) == {
        (): "74", ((sex, "Female"),): "44", ((sex, "Male"),): "30", ((age, "18+"),): "51",
        ((sex, "Female"), (age, "18+")): "30",
        ((sex, "Male"), (age, "0–11")): "0", ((sex, "Male"), (age, "12–17")): "9", ((sex, "Male"), (age, "18+")): "21",
    }
    # Period 2 has a target and nothing reported: no actual at all.
    assert second.find("target").get("value") == "100" and not second.findall("actual")
    trained = results["Officers trained"].find("indicator")
    assert trained.find("reference") is None and actuals(trained.find("period")) == {(): "3"}



def test_results_cost_two_queries_per_batch_and_none_without_them(iati_programme, organisation, people, with_results):  # noqa: F811
    def queries():
        programme = Programme.objects.get(pk=iati_programme.pk)
        with CaptureQueriesContext(connection) as ctx:
            activities_xml(programme)
        return len(ctx.captured_queries)

    # The envelope, the parent's rows, the grants, five records and two results queries for the batch, the
    # indicators (with dimensions and categories) and the results settings once.
    assert queries() == 3 + 7 + 4
    paid_grant(call=CallFactory(programme=iati_programme), organisation=organisation, approve_report=False, **people)
    values_record(actor=people["officer"], grant=with_results, **period_dates(3), values={})
    assert queries() == 3 + 7 + 4


def test_a_grant_without_results_has_none(iati_programme, organisation, people, with_results):  # noqa: F811
    other = paid_grant(call=CallFactory(programme=iati_programme), organisation=organisation, approve_report=False,
                       signed_on=date(2025, 5, 21), **people)
    assert standard_results(activities_tree(iati_programme), other) == {}
