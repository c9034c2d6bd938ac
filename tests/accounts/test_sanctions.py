"""Sanctions lists: name normalisation, fuzzy matching, reading CSV files and the import_sanctions command."""
import io
import random
import string
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Flag, FlagLevel, FlagStatus, Organisation, SanctionsEntry
from accounts.sanctions import (
    DEFAULT_THRESHOLD,
    Screener,
    SanctionsFileError,
    normalise_name,
    read_sanctions_csv,
    similarity,
)
from audit.models import AuditEvent

from ..factories import OrganisationFactory

FIXTURES = Path(__file__).parent / "fixtures"


def score(a, b):
    return similarity(normalise_name(a), normalise_name(b))


# --- Normalisation ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Fundación Caminos Seguros", "caminos seguros"),
        ("  SAFE   Journeys\tNepal ", "safe journeys nepal"),
        ("Société de l'Espoir, Association", "espoir"),
        ("The Foundation for Women and Children", "women children"),
        ("N.G.O. Dar Al-Amal", "dar amal"),
        ("Northern Shipping Holdings Ltd.", "northern shipping holdings"),
        ("Straße der Hoffnung e.V.", "strasse der hoffnung ev"),
        ("Çocuk Eşitlik Derneği", "cocuk esitlik dernegi"),
        ("Фонд «Надежда»", "фонд надежда"),
        ("جمعية الأمل", "جمعية الامل"),
        ("The Foundation", "the foundation"),  # nothing but legal-form words: kept, to have something to compare
        ("!!!", ""),
    ],
)
def test_normalise_name(name, expected):
    assert normalise_name(name) == expected


def test_the_legal_form_words_are_configurable():
    assert normalise_name("Hope Trust", stop_words=frozenset({"hope"})) == "trust"


# --- Similarity --------------------------------------------------------------------------------------------------

def test_accents_case_punctuation_and_legal_forms_do_not_matter():
    assert score("Fundación Caminos Seguros", "FUNDACION CAMINOS-SEGUROS") == 1.0
    assert score("Northern Shipping Holdings Ltd", "Northern Shipping Holdings Limited") == 1.0
    assert score("Société de l'Espoir", "Espoir (Association)") == 1.0


def test_word_order_does_not_matter():
    assert score("Safe Journeys Nepal", "Nepal Safe Journeys") == 1.0
    assert score("Red Sand Traders", "Traders, Red Sand") == 1.0


def test_small_spelling_differences_still_match():
    assert score("Jamaat Relief Committee", "Jamat Relief Comittee") >= DEFAULT_THRESHOLD
    assert score("Women's Rights Network", "Womens Rights Network") >= DEFAULT_THRESHOLD


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Safe Journeys Nepal", "Safe Harbours Kenya"),
        ("Red Sand Traders", "Red Sea Transport"),
        ("Blue Harbour Logistics", "Blue Horizon Legal Aid"),
        ("Atlas Migrant Aid", "Atlas"),
        ("Dar Al Amal Relief", "Amal Relief International Network"),
    ],
)
def test_near_misses_stay_below_the_threshold(a, b):
    assert 0 < score(a, b) < DEFAULT_THRESHOLD


def test_short_names_match_only_when_identical():
    assert score("AMA", "AMA") == 1.0
    assert score("AMA", "AMAL") == 0.0
    assert score("", "Anything") == 0.0


# --- Screener ----------------------------------------------------------------------------------------------------

def entries(*names):
    return [(i, normalise_name(name)) for i, name in enumerate(names, start=1)]


def test_screener_finds_matches_by_either_name_with_the_best_score():
    screener = Screener(entries("Safe Journeys of Nepal Foundation", "Red Sand Traders", "SJN", "Nepal Journeys Safe"))
    found = screener.matches(normalise_name("Safe Journeys Nepal"), normalise_name("SJN"))
    assert found == {1: 1.0, 3: 1.0, 4: 1.0}
    assert screener.matches(normalise_name("Kathmandu Shelter")) == {}


def test_screener_finds_a_one_letter_typo_in_the_only_word():
    screener = Screener(entries("Hezbollahh", "Alqaeda Network"))
    assert set(screener.matches(normalise_name("Hezbollah"))) == {1}
    assert set(screener.matches(normalise_name("Alqaida Network"))) == {2}


def test_screener_threshold_is_a_parameter():
    listed = entries("Safe Journeys India")
    assert Screener(listed).matches("safe journeys nepal") == {}
    assert set(Screener(listed, threshold=0.8).matches("safe journeys nepal")) == {1}


def _random_name(rng):
    return " ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 10))) for _ in range(rng.randint(2, 4)))


def test_screener_compares_only_a_few_candidates_out_of_ten_thousand_entries():
    rng = random.Random(7)
    screener = Screener((i, _random_name(rng)) for i in range(10_000))
    candidate_counts = [len(screener.candidates(_random_name(rng))) for _ in range(200)]
    assert max(candidate_counts) < 50  # instead of 10,000 comparisons per name


# --- Reading CSV files ---------------------------------------------------------------------------------------------

def test_reads_commas_with_the_list_given_on_the_command_line():
    rows = read_sanctions_csv(FIXTURES / "consolidated_list.csv", default_list="UN")
    assert [(r.list_name, r.reference, r.country) for r in rows][:2] == [("UN", "QDe.101", "Nepal"), ("UN", "QDe.102", "France")]
    assert rows[1].name == "Société de l'Espoir, Association"
    assert len(rows) == 4


def test_reads_semicolons_a_byte_order_mark_any_column_order_and_skips_blank_rows():
    rows = read_sanctions_csv(FIXTURES / "eu_list_bom_semicolons.csv", default_list="ignored")
    assert [(r.list_name, r.name, r.reference) for r in rows] == [
        ("EU", "Red Sand Traders", "EU.7.12"),
        ("EU", "Fundación Caminos Seguros", "EU.7.13"),
        ("EU", "Dar Al Amal Relief", "EU.7.14"),
    ]


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("no_name_column.csv", "has no 'name' column"),
        ("empty.csv", "is empty"),
        ("header_only.csv", "no entries"),
        ("latin1.csv", "is not UTF-8"),
        ("missing_list_name.csv", "Line 2: no list name"),
        ("does_not_exist.csv", "Cannot read"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(fixture, message):
    with pytest.raises(SanctionsFileError, match=message):
        read_sanctions_csv(FIXTURES / fixture)


# --- The command ---------------------------------------------------------------------------------------------------

def run(*args):
    out = io.StringIO()
    call_command("import_sanctions", *[str(a) for a in args], stdout=out)
    return out.getvalue()


@pytest.fixture
def organisations(db):
    return {
        "sjn": OrganisationFactory(legal_name="Safe Journeys Nepal", acronym="SJN"),
        "espoir": OrganisationFactory(legal_name="Fondation de l'Espoir", acronym="", country="FR"),
        "clean": OrganisationFactory(legal_name="Kathmandu Shelter Home", acronym="KSH"),
    }


def test_import_stores_entries_screens_every_organisation_and_is_idempotent(organisations):
    out = run(FIXTURES / "consolidated_list.csv", "--list", "UN 1267")
    assert "Read 4 rows" in out and "4 new, 0 already stored" in out
    assert "Screened 3 organisations against 4 entries" in out and "2 new potential matches" in out
    entry = SanctionsEntry.objects.get(reference="QDe.102")
    assert (entry.list_name, entry.name, entry.normalised_name, entry.country) == (
        "UN 1267", "Société de l'Espoir, Association", "espoir", "France",
    )
    flags = {f.organisation.legal_name: f for f in Flag.objects.select_related("organisation", "sanctions_entry")}
    assert set(flags) == {"Safe Journeys Nepal", "Fondation de l'Espoir"}
    flag = flags["Safe Journeys Nepal"]
    assert (flag.level, flag.status, flag.sanctions_entry.reference, str(flag.match_score)) == (
        FlagLevel.RED, FlagStatus.OPEN, "QDe.101", "1.000",
    )
    assert "Safe Journeys of Nepal Foundation" in flag.reason and "UN 1267" in flag.reason and "1.00" in flag.reason
    assert all(o.sanctions_screened_at for o in Organisation.objects.all())
    assert AuditEvent.objects.filter(verb="sanctions.import").count() == 1
    assert AuditEvent.objects.filter(verb="due_diligence.sanctions_match").count() == 2

    again = run(FIXTURES / "consolidated_list.csv", "--list", "UN 1267")
    assert "0 new, 4 already stored" in again and "0 new potential matches" in again
    assert SanctionsEntry.objects.count() == 4 and Flag.objects.count() == 2


def test_a_dismissed_match_is_not_raised_again(organisations, officer):
    from accounts.diligence.services import flag_resolve

    run(FIXTURES / "consolidated_list.csv", "--list", "UN")
    flag = Flag.objects.get(organisation=organisations["sjn"])
    flag_resolve(actor=officer, flag=flag, decision=FlagStatus.DISMISSED, note="Different registration, different country.")
    run(FIXTURES / "consolidated_list.csv", "--list", "UN")
    assert list(Flag.objects.filter(organisation=organisations["sjn"]).values_list("status", flat=True)) == ["dismissed"]


def test_lists_in_the_file_and_lists_given_on_the_command_line_coexist(organisations):
    run(FIXTURES / "consolidated_list.csv", "--list", "UN")
    out = run(FIXTURES / "eu_list_bom_semicolons.csv")
    assert "lists: EU" in out and "3 new" in out
    assert SanctionsEntry.objects.filter(list_name="EU").count() == 3
    assert SanctionsEntry.objects.get(reference="EU.7.13").normalised_name == "caminos seguros"


def test_replace_removes_entries_gone_from_the_file_but_keeps_those_flags_refer_to(organisations):
    run(FIXTURES / "consolidated_list.csv", "--list", "UN")
    out = run(FIXTURES / "consolidated_list_v2.csv", "--list", "UN", "--replace")
    assert "1 new, 2 already stored, 1 removed, 1 kept because flags refer to them" in out
    assert set(SanctionsEntry.objects.values_list("reference", flat=True)) == {"QDe.101", "QDe.102", "QDe.103", "QDe.105"}


def test_threshold_option(organisations):
    OrganisationFactory(legal_name="Red Sand Trading")
    assert "0 new potential matches" in run(FIXTURES / "eu_list_bom_semicolons.csv")
    Flag.objects.all().delete()
    assert "1 new potential match" in run(FIXTURES / "eu_list_bom_semicolons.csv", "--threshold", "0.8")
    with pytest.raises(CommandError, match="threshold"):
        run(FIXTURES / "eu_list_bom_semicolons.csv", "--threshold", "7")


@pytest.mark.parametrize(
    ("fixture", "message"),
    [("no_name_column.csv", "no 'name' column"), ("empty.csv", "empty"), ("latin1.csv", "UTF-8"), ("nothing.csv", "Cannot read")],
)
def test_bad_files_stop_the_command_and_change_nothing(organisations, fixture, message):
    with pytest.raises(CommandError, match=message):
        run(FIXTURES / fixture, "--list", "UN")
    assert not SanctionsEntry.objects.exists()
    assert not Organisation.objects.filter(sanctions_screened_at__isnull=False).exists()


def test_a_file_without_list_names_needs_the_list_option(organisations):
    with pytest.raises(CommandError, match="--list"):
        run(FIXTURES / "consolidated_list.csv")
