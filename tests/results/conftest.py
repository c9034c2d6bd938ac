from datetime import date

import pytest

from results.models import Combine, ReviewStatus
from results.services import default_dimensions, indicator_create, value_review, values_record
from tests.factories import CallFactory, CountryFactory, GrantFactory, ObjectiveFactory, ProgrammeFactory


def period_dates(number):
    """Period n of the test grants: calendar year 2025 + n."""
    return {"period_number": number, "period_start": date(2025 + number, 1, 1), "period_end": date(2025 + number, 12, 31)}


# People assisted by sex and age band in grant A (Nepal) and grant B (Lao PDR) of the pages' scenarios: small cells
# (2 + 1 girls under 12).
PEOPLE_CELLS = {
    "A": {"sex=female|age=0-11": 2, "sex=female|age=12-17": 12, "sex=female|age=18+": 30,
          "sex=male|age=0-11": 0, "sex=male|age=12-17": 9, "sex=male|age=18+": 21},
    "B": {"sex=female|age=0-11": 1, "sex=female|age=12-17": 6, "sex=female|age=18+": 8,
          "sex=male|age=0-11": 0, "sex=male|age=12-17": 0, "sex=male|age=18+": 3},
}


def titles(english):
    return {"en": english, "fr": f"{english} (fr)"}


@pytest.fixture
def programme(db):
    programme = ProgrammeFactory()
    call = CallFactory(programme=programme)
    call.countries.set([CountryFactory(code="NP", name="Nepal"), CountryFactory(code="LA", name="Lao PDR")])
    return programme


@pytest.fixture
def dimensions(programme):
    return {d.code: d for d in default_dimensions(programme)}


@pytest.fixture
def people(programme, dimensions, officer):
    """People assisted, by sex and age band."""
    return indicator_create(
        actor=officer, programme=programme, code="P1", titles=titles("People assisted"), unit="people",
        dimensions=[dimensions["sex"], dimensions["age"]], counts_people=True, external_code="GERF 2.29",
    )


def make_grant(programme, *, country, objective=None, call=None):
    return GrantFactory(
        call=call or programme.calls.first(), country=CountryFactory(code=country),
        objective=objective or ObjectiveFactory(programme=programme),
    )


@pytest.fixture
def make_indicator(programme, officer):
    def make(code, combine=Combine.SUM, **kwargs):
        return indicator_create(actor=officer, programme=programme, code=code, titles=titles(code), combine=combine, **kwargs)
    return make


def values_accepted(*, actor, **kwargs):
    """`values_record`, then the officer's acceptance of each value recorded: the aggregates count only those."""
    period = values_record(actor=actor, **kwargs)
    for value in period.values.filter(review_status=ReviewStatus.SUBMITTED, indicator__in=list(kwargs["values"])):
        value_review(actor=actor, value=value, accept=True)
    return period
