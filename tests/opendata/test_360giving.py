"""The 360Giving export: valid against the official schemas (hand-built, demo and synthetic programmes), figures
that match the ledger, identifiers the standard accepts, the CSV under the standard's titles, the command, and a
fixed query count."""
import copy
import csv
import io
import json
import random
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import AwardDecision
from core.errors import DomainError
from disbursements.agreements import agreement_set_status
from disbursements.models import Payment, Tranche
from disbursements.services import payment_record, payment_reverse
from disbursements.synthetic import synthetic_programme
from grants import ledger
from grants.models import Grant, Programme
from opendata.threesixty import CSV_COLUMNS, grants_csv, grants_package

from ..factories import CountryFactory, EnvelopeFactory, OrganisationFactory
from ..grant_helpers import awarded_grant, signed_grant
from .giving_helpers import package_validator, standard_column_title, validation_errors

TODAY = date(2026, 11, 22)


def _pay(actor, grant, amount, ref, day=date(2026, 2, 1)):
    tranche = Tranche.objects.filter(grant=grant).order_by("number").first()
    return payment_record(actor=actor, tranche=tranche, amount=amount, value_date=day, bank_reference=ref)


def _by_id(package):
    return {g["id"]: g for g in package["grants"]}


@pytest.fixture
def hand_built(programme, finance, officer):
    """Six grants, five published:
    - paid: 123,456.78 (Nepal), paid 50,000.00 + 10,000.55, a payment of 20,000.00 reversed;
    - charity: signed, to an organisation on the Charity Commission's register, nothing paid;
    - no_scheme: signed, to an organisation without an org-id list, no country;
    - draft: awarded, agreement not signed yet (published: the award is decided);
    - withdrawn: awarded then terminated before signature (not published);
    - terminated: signed, 30,000.00 paid, then terminated (published, with what was paid)."""
    nepal = CountryFactory(code="NP", name="Nepal")
    paid = signed_grant(programme=programme, amount="123456.78", country=nepal, reference="GLO-2026-C01-0001")
    _pay(finance, paid, "50000.00", "BANK-1")
    wrong = _pay(finance, paid, "20000.00", "BANK-2")
    payment_reverse(actor=finance, payment=wrong, reason="Wrong account")
    _pay(finance, paid, "10000.55", "BANK-3")
    charity = signed_grant(
        programme=programme, amount="40000.00", organisation=OrganisationFactory(country="GB", org_id_scheme="GB-CHC", registration_number="1234567"),
    )
    no_scheme = signed_grant(programme=programme, amount="60000.00", organisation=OrganisationFactory(org_id_scheme=""))
    draft = awarded_grant(programme=programme, amount="70000.00", country=nepal)
    withdrawn = awarded_grant(programme=programme, amount="20000.00")
    agreement_set_status(actor=officer, grant=withdrawn, status="terminated", reason="The grantee declined the award")
    terminated = signed_grant(programme=programme, amount="90000.00")
    _pay(finance, terminated, "30000.00", "BANK-4")
    agreement_set_status(actor=officer, grant=terminated, status="terminated", reason="Breach of contract")
    # A reference no page could carry (the grant's pages and notifications need a URL-safe one), to prove that the
    # export makes identifiers URL-safe whatever it is given.
    Grant.objects.filter(pk=terminated.pk).update(reference="GLO/2026&C02|0001?")
    terminated.refresh_from_db()
    return {"paid": paid, "charity": charity, "no_scheme": no_scheme, "draft": draft, "withdrawn": withdrawn, "terminated": terminated}


def _grant_id(programme, grant):
    return f"{programme.giving_prefix}-{grant.reference}"


def test_hand_built_package_is_valid(programme, hand_built):
    package = grants_package(programme, today=TODAY)
    assert validation_errors(package) == []
    assert package["version"] == "1.4" and package["issued"] == "2026-11-22"
    published = {g["id"] for g in package["grants"]}
    assert len(published) == len(package["grants"]) == 5
    assert _grant_id(programme, hand_built["draft"]) in published
    assert _grant_id(programme, hand_built["withdrawn"]) not in published


def test_figures_match_the_grants_and_the_ledger(programme, hand_built):
    grants = _by_id(grants_package(programme, today=TODAY))
    paid = grants[_grant_id(programme, hand_built["paid"])]
    assert (paid["amountAwarded"], paid["amountDisbursed"]) == (123456.78, 60000.55)
    for grant in Grant.objects.filter(call__programme=programme).exclude(pk=hand_built["withdrawn"].pk):
        record = next(g for g in grants.values() if g["title"] == grant.title)
        assert D(str(record["amountAwarded"])) == grant.amount
        assert D(str(record["amountDisbursed"])) == ledger.balances(grant=grant).disbursed
    terminated = next(g for g in grants.values() if g["title"] == hand_built["terminated"].title)
    assert terminated["amountDisbursed"] == 30000


def test_amounts_are_exact_json_numbers(programme, hand_built):
    text = json.dumps(grants_package(programme, today=TODAY))
    assert '"amountAwarded": 123456.78' in text and '"amountDisbursed": 60000.55' in text
    assert '"amountAwarded": 40000,' in text and '"amountDisbursed": 0,' in text


def test_the_largest_amount_a_field_holds_stays_exact(db):
    programme = EnvelopeFactory(amount=(D("999999999999.99"), "EUR")).programme
    awarded_grant(programme=programme, amount="999999999999.99")
    text = json.dumps(grants_package(programme, today=TODAY))
    assert '"amountAwarded": 999999999999.99' in text


def test_identifiers_are_unique_prefixed_and_url_safe(programme, hand_built):
    grants = grants_package(programme, today=TODAY)["grants"]
    ids = [g["id"] for g in grants]
    assert len(set(ids)) == len(ids)
    for grant_id in ids:
        assert grant_id.startswith(programme.giving_prefix + "-")
        assert not set("/&|? ") & set(grant_id)
    assert f"{programme.giving_prefix}-GLO-2026-C02-0001" in ids  # "GLO/2026&C02|0001?"


def test_organisations_funder_places_and_dates(programme, hand_built):
    grants = _by_id(grants_package(programme, today=TODAY))
    paid = grants[_grant_id(programme, hand_built["paid"])]
    org = hand_built["paid"].organisation
    assert paid["recipientOrganization"] == [
        {"id": f"NP-SWC-{org.registration_number}", "name": org.legal_name, "addressCountry": "NP"}
    ]
    assert paid["fundingOrganization"] == [{"id": "XI-IATI-EC_INTPA", "name": programme.donor}]
    assert paid["beneficiaryLocation"] == [{"name": "Nepal", "countryCode": "NP"}]
    assert paid["plannedDates"] == [{"startDate": "2026-01-01", "endDate": "2026-12-31", "duration": 12}]
    call = hand_built["paid"].call
    assert paid["grantProgramme"] == [{"code": call.reference, "title": call.title}]
    assert paid["description"] == call.title  # no application behind a hand-built grant
    assert paid["awardDate"] == hand_built["paid"].created_at.date().isoformat()
    charity = grants[_grant_id(programme, hand_built["charity"])]["recipientOrganization"][0]
    assert (charity["id"], charity["charityNumber"]) == ("GB-CHC-1234567", "1234567")
    no_scheme = grants[_grant_id(programme, hand_built["no_scheme"])]
    assert no_scheme["recipientOrganization"][0]["id"] == f"{programme.giving_prefix}-ORG-{hand_built['no_scheme'].organisation_id}"
    assert "beneficiaryLocation" not in no_scheme


def test_funder_without_iati_identifier_gets_one_from_the_prefix(programme, hand_built):
    programme.donor_iati_ref = ""
    programme.save(update_fields=["donor_iati_ref"])
    package = grants_package(programme, today=TODAY)
    assert {g["fundingOrganization"][0]["id"] for g in package["grants"]} == {f"{programme.giving_prefix}-DONOR"}
    assert validation_errors(package) == []


def test_last_modified_is_the_latest_change(programme, hand_built):
    grants = _by_id(grants_package(programme, today=TODAY))
    terminated = Grant.objects.get(pk=hand_built["terminated"].pk)
    assert grants[f"{programme.giving_prefix}-GLO-2026-C02-0001"]["dateModified"] == (
        terminated.status_changed_at.replace(microsecond=0).isoformat())
    last_payment = Payment.objects.get(bank_reference="BANK-3")  # recorded after the reversal of BANK-2
    assert grants[_grant_id(programme, hand_built["paid"])]["dateModified"] == (
        last_payment.recorded_at.replace(microsecond=0).isoformat())


def test_source_url_becomes_download_url_and_data_source(programme, hand_built):
    url = "https://grants.example.org/open-data/360giving.json"
    package = grants_package(programme, today=TODAY, source_url=url)
    assert package["downloadURL"] == url and {g["dataSource"] for g in package["grants"]} == {url}
    assert validation_errors(package) == []


@pytest.mark.parametrize("break_it", [
    lambda g: g.pop("recipientOrganization"),
    lambda g: g.update(amountAwarded="123456.78"),
    lambda g: g.update(awardDate="22/11/2026"),
    lambda g: g.update(currency="EURO"),
    lambda g: g["beneficiaryLocation"][0].update(countryCode="Nepal"),
    lambda g: g.update(dateModified="2026-11-22 10:00"),
])
def test_a_broken_record_fails_validation(programme, hand_built, break_it):
    package = grants_package(programme, today=TODAY)
    broken = copy.deepcopy(package)
    break_it(next(g for g in broken["grants"] if "beneficiaryLocation" in g))
    assert package_validator().is_valid(package)
    assert not package_validator().is_valid(broken)


def test_refused_without_a_prefix(programme, hand_built):
    programme.giving_prefix = ""
    programme.save(update_fields=["giving_prefix"])
    for export in (grants_package, grants_csv):
        with pytest.raises(DomainError) as refused:
            export(programme)
        assert refused.value.code == "no_giving_prefix" and programme.code in refused.value.message


def test_a_programme_without_grants_has_no_package_but_an_empty_sheet(programme):
    with pytest.raises(DomainError) as refused:
        grants_package(programme)
    assert refused.value.code == "no_grants"
    assert list(csv.DictReader(io.StringIO(grants_csv(programme)))) == []


def test_csv_titles_rows_and_amounts_match_the_package(programme, hand_built):
    package = grants_package(programme, today=TODAY)
    reader = csv.DictReader(io.StringIO(grants_csv(programme, today=TODAY)))
    rows = list(reader)
    assert reader.fieldnames == [standard_column_title(path) for _title, path in CSV_COLUMNS]
    assert {"Identifier", "Amount Awarded", "Recipient Org:Identifier", "Planned Dates:Duration (months)",
            "Beneficiary Location:Country Code", "Grant Programme:Code", "Last Modified"} <= set(reader.fieldnames)
    assert [r["Identifier"] for r in rows] == [g["id"] for g in package["grants"]]
    for row, grant in zip(rows, package["grants"]):
        assert D(row["Amount Awarded"]) == D(str(grant["amountAwarded"]))
        assert D(row["Amount Disbursed"]) == D(str(grant["amountDisbursed"]))
        assert row["Recipient Org:Identifier"] == grant["recipientOrganization"][0]["id"]
        assert row["Award Date"] == grant["awardDate"] and row["Currency"] == "EUR"
        assert row["Beneficiary Location:Country Code"] == grant.get("beneficiaryLocation", [{}])[0].get("countryCode", "")
    paid = next(r for r in rows if r["Identifier"] == _grant_id(programme, hand_built["paid"]))
    assert (paid["Amount Awarded"], paid["Amount Disbursed"], paid["Planned Dates:Duration (months)"]) == ("123456.78", "60000.55", "12")


def test_command_writes_both_formats(programme, hand_built, tmp_path):
    out = io.StringIO()
    call_command("export_360giving", "--out", str(tmp_path / "grants.json"), "--programme", programme.code, stdout=out)
    assert "5 grants" in out.getvalue()
    package = json.loads((tmp_path / "grants.json").read_text(encoding="utf-8"))
    assert validation_errors(package) == []
    Grant.objects.filter(pk=hand_built["draft"].pk).update(title="Shelter\nand care")  # a quoted cell over two lines
    out = io.StringIO()
    call_command("export_360giving", "--out", str(tmp_path / "grants.CSV"), stdout=out)  # the only programme
    assert "5 grants" in out.getvalue()
    with open(tmp_path / "grants.CSV", encoding="utf-8", newline="") as sheet:
        rows = list(csv.DictReader(sheet))
    assert [r["Identifier"] for r in rows] == [g["id"] for g in package["grants"]]
    assert "Shelter\nand care" in {r["Title"] for r in rows}


def test_command_refuses_clearly(programme, hand_built, tmp_path):
    with pytest.raises(CommandError, match=r"\.json or \.csv"):
        call_command("export_360giving", "--out", str(tmp_path / "grants.xlsx"))
    with pytest.raises(CommandError, match="No programme with code NOPE"):
        call_command("export_360giving", "--out", str(tmp_path / "grants.json"), "--programme", "NOPE")
    EnvelopeFactory()
    with pytest.raises(CommandError, match="--programme"):
        call_command("export_360giving", "--out", str(tmp_path / "grants.json"))
    programme.giving_prefix = ""
    programme.save(update_fields=["giving_prefix"])
    with pytest.raises(CommandError, match="360Giving identifier prefix"):
        call_command("export_360giving", "--out", str(tmp_path / "grants.csv"), "--programme", programme.code)
    assert not list(tmp_path.iterdir())


def _paid_grants(programme, finance, count):
    for _ in range(count):
        grant = signed_grant(programme=programme, amount="50000.00", country=CountryFactory(code="NP", name="Nepal"))
        payment = _pay(finance, grant, "10000.00", f"Q-{grant.reference}-1")
        _pay(finance, grant, "5000.00", f"Q-{grant.reference}-2")
        payment_reverse(actor=finance, payment=payment, reason="Duplicate")


def test_query_count_does_not_grow_with_grants(programme, finance):
    _paid_grants(programme, finance, 2)
    with CaptureQueriesContext(connection) as few:
        grants_package(programme, today=TODAY)
        grants_csv(programme)
    _paid_grants(programme, finance, 8)
    with CaptureQueriesContext(connection) as many:
        package = grants_package(programme, today=TODAY)
        grants_csv(programme)
    assert len(package["grants"]) == 10
    assert len(few.captured_queries) == len(many.captured_queries) == 4


def test_synthetic_programme_is_valid_and_matches_the_ledger(db):
    programme, _reader = synthetic_programme(150, 1500, 3, random.Random(7))
    package = grants_package(programme, today=TODAY)
    assert validation_errors(package) == []
    assert len(package["grants"]) == 150
    disbursed = {
        f"{programme.giving_prefix}-{grant.reference}": ledger.balances(grant=grant).disbursed
        for grant in Grant.objects.filter(call__programme=programme)
    }
    assert {g["id"]: D(str(g["amountDisbursed"])) for g in package["grants"]} == disbursed
    assert any(D(str(g["amountDisbursed"])) < D(str(g["amountAwarded"])) for g in package["grants"])
    rows = list(csv.DictReader(io.StringIO(grants_csv(programme))))
    assert [D(r["Amount Disbursed"]) for r in rows] == [disbursed[r["Identifier"]] for r in rows]


def test_demo_data_is_valid(demo):
    programme = Programme.objects.get(giving_prefix="360G-gloact-demo")
    package = grants_package(programme)
    assert validation_errors(package) == []
    grants = _by_id(package)
    decisions = AwardDecision.objects.filter(grant__call__programme=programme).select_related("application", "grant")
    assert decisions  # the demo's grants come from award decisions
    for decision in decisions:
        record = grants[f"360G-gloact-demo-{decision.grant.reference}"]
        assert record["description"] == decision.application.summary
        assert record["awardDate"] == decision.decided_at.date().isoformat()
        assert D(str(record["amountDisbursed"])) == ledger.balances(grant=decision.grant).disbursed
