"""The programme's standard indicator results in the 360Giving package: an additional field per grant (the
standard has none for results, nor an approved extension), schema-valid, the figures the IATI file publishes for the
grant, small counts suppressed and marked so; accepted values only; two queries more per batch with results."""
import io
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grants.models import Programme
from opendata.iati import activities_tree
from opendata.threesixty import RESULTS_FIELD, grants_csv, grants_package, write_grants_package
from results.services import targets_set, values_record

from ..factories import CallFactory
from ..results.conftest import period_dates
from .giving_helpers import grant_schema, package_validator, validation_errors
from .iati_helpers import paid_grant
from .test_iati import iati_programme, people  # noqa: F401 - fixtures
from .test_iati_results import actuals, standard_results, with_results  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
SUPPRESSED = {"value": None, "suppressed": True}


def record(programme, grant) -> dict:
    (found,) = [g for g in grants_package(programme)["grants"] if g["id"].endswith(grant.reference)]
    return found


def by_code(grant_record) -> dict:
    return {r["indicator"]: r for r in grant_record[RESULTS_FIELD]}


def names(entry) -> tuple:
    return tuple((c["dimensionTitle"], c["categoryTitle"]) for c in entry["categories"])


def test_results_are_an_additional_field_the_standard_allows_and_the_package_stays_valid(iati_programme, with_results):  # noqa: F811
    schema = grant_schema()
    # The standard has no field for results (nor one of this name) and forbids no additional field anywhere.
    assert RESULTS_FIELD not in schema["properties"]
    assert not any(k in schema["properties"] for k in ("outcomes", "outputs", "indicators"))
    assert "additionalProperties" not in json.dumps(schema)
    package = grants_package(iati_programme)
    assert RESULTS_FIELD in record(iati_programme, with_results)
    assert "extensions" not in package  # no registered 360Giving extension carries results
    assert validation_errors(package) == []
    package_validator().validate(package)


def test_each_period_with_its_target_and_protected_disaggregation(iati_programme, with_results):  # noqa: F811
    results = by_code(record(iati_programme, with_results))
    assert set(results) == {"P1", "T1"}
    assisted = results["P1"]
    assert {k: assisted[k] for k in ("indicator", "title", "unit", "unitTitle", "donorIndicator", "countsPeople")} == {
        "indicator": "P1", "title": "People assisted", "unit": "people", "unitTitle": "people", "donorIndicator": {"vocabulary": "EU GERF", "code": "GERF 2.29"},
        "countsPeople": True,
    }
    first, second = assisted["periods"]
    assert (first["number"], first["startDate"], first["endDate"], first["target"]) == (1, "2026-01-01", "2026-12-31", 80)
    assert first["achieved"] == {"value": 74, "suppressed": False}
    cells = {names(e): e["achieved"] for e in first["disaggregation"]}
    sex, age = "Sex", "Age band"
    # Female 0-11 (2) is suppressed (primary), female 12-17 (12) beside it (secondary), and the column totals that
    # would give them away; the rest is published.
    assert cells[((sex, "Female"), (age, "0–11"))] == SUPPRESSED
    assert cells[((sex, "Female"), (age, "12–17"))] == SUPPRESSED
    assert cells[((age, "0–11"),)] == cells[((age, "12–17"),)] == SUPPRESSED
    assert cells[((sex, "Female"),)] == {"value": 44, "suppressed": False}
    assert cells[((sex, "Male"), (age, "0–11"))] == {"value": 0, "suppressed": False}
    assert len(cells) == 6 + 2 + 3  # every cell, the two rows' totals, the three columns' totals
    # Period 2: a target, nothing reported (not collected, which is not suppressed).
    assert second["target"] == 100 and second["achieved"] == {"value": None, "suppressed": False}
    assert "disaggregation" not in second
    assert results["T1"]["periods"][0]["achieved"] == {"value": 3, "suppressed": False}
    assert "donorIndicator" not in results["T1"] and results["T1"]["countsPeople"] is False


def test_the_figures_are_the_iati_files_for_the_grant(iati_programme, with_results):  # noqa: F811
    """Each figure published in one is published in the other with the same value; each hidden one is marked
    suppressed here and left out there."""
    iati = actuals(standard_results(activities_tree(iati_programme), with_results)["People assisted"].find("indicator/period"))
    first = by_code(record(iati_programme, with_results))["P1"]["periods"][0]
    giving = {names(e): e["achieved"] for e in first["disaggregation"]}
    giving[()] = first["achieved"]
    published = {name: str(f["value"]) for name, f in giving.items() if not f["suppressed"]}
    assert published == iati
    assert {name for name, f in giving.items() if f["suppressed"]}.isdisjoint(iati)


def test_values_not_yet_accepted_are_not_published(iati_programme, with_results, people):  # noqa: F811
    trained = [r for r in with_results.call.programme.standard_indicators.all() if r.code == "T1"][0]
    values_record(actor=people["officer"], grant=with_results, **period_dates(2), values={trained: {"total": 40}})
    periods = by_code(record(iati_programme, with_results))["T1"]["periods"]
    assert [p["achieved"]["value"] for p in periods] == [3]


def test_a_grant_without_results_has_no_field_and_the_csv_keeps_the_standards_columns(iati_programme, organisation, people, with_results):  # noqa: F811
    other = paid_grant(call=CallFactory(programme=iati_programme), organisation=organisation, approve_report=False, **people)
    assert RESULTS_FIELD not in record(iati_programme, other)
    header = grants_csv(iati_programme).splitlines()[0]
    assert "result" not in header.lower()


def test_the_stream_is_the_package_byte_for_byte(iati_programme, with_results):  # noqa: F811
    out = io.StringIO()
    write_grants_package(iati_programme, out)
    assert out.getvalue() == json.dumps(grants_package(iati_programme), ensure_ascii=False, indent=2)
    streamed = json.loads(out.getvalue(), parse_float=Decimal)
    assert any(RESULTS_FIELD in g for g in streamed["grants"])


def test_results_cost_the_same_queries_for_more_grants_with_results(iati_programme, organisation, people, with_results):  # noqa: F811
    def queries():
        programme = Programme.objects.get(pk=iati_programme.pk)
        with CaptureQueriesContext(connection) as ctx:
            grants_package(programme)
        return len(ctx.captured_queries)

    few = queries()
    people_assisted = iati_programme.standard_indicators.get(code="P1")
    for _ in range(3):
        grant = paid_grant(call=CallFactory(programme=iati_programme), organisation=organisation, approve_report=False, **people)
        targets_set(actor=people["officer"], grant=grant, **period_dates(1), targets={people_assisted: 50})
    assert queries() == few
    # The grants and the payments, two results queries for the batch, the indicators (with dimensions and
    # categories) and the results settings once.
    assert few == 2 + 2 + 4
