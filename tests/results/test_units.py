"""Units with titles in the six languages: created through the services (audited), refused when unknown or of
another programme, shown in the reader's language on the entry page, the review page and the dashboard, given by
the API as a stable code beside the reader's title, and the free-text units of before mapped by the migration."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from lxml import html

from audit.models import AuditEvent
from core.errors import DomainError
from results.models import Unit
from grants.periods import grant_periods
from results.services import STANDARD_UNITS, indicator_create, targets_set, unit_create, values_record
from tests.factories import EnvelopeFactory, ProgrammeFactory
from tests.grant_helpers import signed_grant

from .conftest import make_grant, period_dates, titles, values_accepted

LANGUAGES = ("en", "fr", "es", "ru", "pt", "ar")


def test_every_standard_unit_has_a_title_in_each_of_the_six_languages():
    for code, unit_titles in STANDARD_UNITS.items():
        assert set(unit_titles) == set(LANGUAGES), code
        assert all(t.strip() for t in unit_titles.values()), code


def test_an_indicator_named_with_a_standard_code_gets_the_unit_with_six_titles_once(programme, officer):
    first = indicator_create(actor=officer, programme=programme, code="A", titles=titles("A"), unit="people")
    second = indicator_create(actor=officer, programme=programme, code="B", titles=titles("B"), unit="people")
    assert first.unit_id == second.unit_id
    unit = Unit.objects.get(programme=programme, code="people")
    assert unit.title("fr") == "personnes" and unit.title("ar") == "أشخاص" and unit.title("ru") == "человек"
    assert AuditEvent.objects.filter(verb="programme.result_unit").count() == 1
    event = AuditEvent.objects.filter(verb="programme.result_indicator").latest("pk")
    assert event.data["unit"] == "people"


def test_a_programme_defines_its_own_unit_and_missing_titles_fall_back_to_english(programme, officer):
    unit = unit_create(actor=officer, programme=programme, code="hotline-calls",
                       titles={"en": "hotline calls", "fr": "appels à la ligne d'urgence"})
    indicator = indicator_create(actor=officer, programme=programme, code="H", titles=titles("Calls"), unit=unit)
    assert indicator.unit.title("fr") == "appels à la ligne d'urgence"
    assert indicator.unit.title("pt") == "hotline calls"
    assert AuditEvent.objects.get(verb="programme.result_unit").data["code"] == "hotline-calls"


@pytest.mark.parametrize("code, unit_titles", [
    ("has space", {"en": "x"}), ("a|b", {"en": "x"}), ("ok", {"fr": "sans anglais"}), ("ok", {"en": "x", "xx": "y"}),
])
def test_a_unit_with_a_bad_code_or_titles_is_refused(programme, officer, code, unit_titles):
    with pytest.raises(DomainError):
        unit_create(actor=officer, programme=programme, code=code, titles=unit_titles)
    assert not Unit.objects.exists()


def test_an_unknown_unit_or_another_programmes_unit_is_refused_on_the_unit(programme, officer):
    with pytest.raises(DomainError) as refused:
        indicator_create(actor=officer, programme=programme, code="X", titles=titles("X"), unit="furlongs")
    assert refused.value.field == "unit"
    other = unit_create(actor=officer, programme=ProgrammeFactory(), code="people", titles={"en": "people"})
    with pytest.raises(DomainError) as refused:
        indicator_create(actor=officer, programme=programme, code="X", titles=titles("X"), unit=other)
    assert refused.value.field == "unit"
    assert not programme.standard_indicators.exists()
    with pytest.raises(DomainError):
        unit_create(actor=officer, programme=other.programme, code="people", titles={"en": "again"})


def _text(response):
    return " ".join(html.fromstring(response.content.decode()).text_content().split())


def test_the_entry_and_review_pages_show_the_unit_in_the_readers_language(client, organisation, cso_user, officer):
    grant = signed_grant(organisation=organisation)
    people = indicator_create(actor=officer, programme=grant.call.programme, code="P1", titles=titles("People assisted"),
                              unit="people")
    cso_user.language = "es"
    cso_user.save(update_fields=["language"])
    client.force_login(cso_user)
    assert "(personas)" in _text(client.get(f"/grants/{grant.reference}/results/1/"))
    first = grant_periods(grant)[0]
    values_record(actor=officer, grant=grant, period_number=1, period_start=first.start, period_end=first.end,
                  values={people: {"total": 12}})
    officer.language = "ar"
    officer.save(update_fields=["language"])
    client.force_login(officer)
    assert "(أشخاص)" in _text(client.get(f"/results/review/{grant.reference}/1/"))


def test_the_dashboard_and_the_api_give_the_title_in_the_readers_language_and_the_code(client, programme, officer, people):
    EnvelopeFactory(programme=programme)
    grant = make_grant(programme, country="NP")
    values_accepted(actor=officer, grant=grant, **period_dates(1), values={people: {"total": 40}})
    targets_set(actor=officer, grant=grant, **period_dates(1), targets={people: 50})
    officer.language = "fr"
    officer.save(update_fields=["language"])
    client.force_login(officer)
    assert "personnes" in _text(client.get("/results/", {"programme": programme.pk}))
    body = client.get("/api/v1/results/", {"programme": programme.code}).json()
    row = next(i for i in body["indicators"] if i["code"] == "P1")
    assert (row["unit"], row["unit_title"]) == ("people", "personnes")


@pytest.mark.django_db(transaction=True)
def test_the_migration_maps_free_text_units_to_units_with_six_titles():
    executor = MigrationExecutor(connection)
    before, after = [("results", "0002_indicator_value_review")], [("results", "0005_unit_replaces_text")]
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    programme = ProgrammeFactory()
    Indicator = apps.get_model("results", "StandardIndicator")
    for n, unit in enumerate(["people", " People ", "cases", "share of cases", "Hotline calls", "", "hotline  calls"]):
        Indicator.objects.create(programme_id=programme.pk, code=f"I{n}", titles={"en": f"I{n}"}, unit=unit)
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    apps = executor.loader.project_state(after).apps
    Indicator, UnitThen = apps.get_model("results", "StandardIndicator"), apps.get_model("results", "Unit")
    units = {i.code: i.unit for i in Indicator.objects.select_related("unit")}
    assert units["I0"].pk == units["I1"].pk and units["I0"].code == "people"
    assert units["I0"].titles == STANDARD_UNITS["people"]
    assert units["I2"].titles["ru"] == "случаев"
    assert units["I3"].code == "share-of-cases" and units["I3"].titles["fr"] == "part des cas"
    assert units["I4"].code == "hotline-calls" and units["I4"].titles == {"en": "Hotline calls"}
    assert units["I6"].pk == units["I4"].pk
    assert units["I5"] is None
    assert UnitThen.objects.count() == 4
    # And back: the English title returns as the free text.
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    back = dict(apps.get_model("results", "StandardIndicator").objects.values_list("code", "unit"))
    assert back["I3"] == "share of cases" and back["I4"] == "Hotline calls" and back["I5"] == ""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_demo_indicators_have_units_titled_in_the_six_languages(demo):
    from results.models import StandardIndicator

    units = {i.code: i.unit for i in StandardIndicator.objects.select_related("unit")}
    assert units["VOT"].code == "people" and units["SHR72"].code == "share-of-cases" and units["BEDS"].code == "beds"
    for code, unit in units.items():
        assert set(unit.titles) == set(LANGUAGES), code
    assert units["CID"].title("pt") == "casos" and units["TRN"].title("ar") == "موظفون"
