import io
import random
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import DomainError
from demo.glo_act import PROGRAMME_CODE
from disbursements.agreements import agreement_amend_amount, agreement_set_status
from disbursements.models import Payment
from disbursements.services import payment_record, payment_reverse
from disbursements.synthetic import synthetic_programme
from grants.models import AgreementStatus, Grant, Programme
from opendata.iati import activities_tree, activities_xml, budget_split, shares

from ..factories import CallFactory, CountryFactory, EnvelopeFactory, OrganisationFactory
from ..grant_helpers import awarded_grant
from .iati_helpers import (
    activities, assert_iati_rules, assert_valid, committed, net_payments, paid_grant, parse, transaction_sums,
)

AGENCY = "XM-DAC-41128"


@pytest.fixture
def iati_programme(db):
    return EnvelopeFactory(
        amount=(Decimal("10000000.00"), "EUR"), programme__code="GLOACT", programme__start_date=date(2025, 1, 1),
        programme__end_date=date(2029, 12, 31), programme__description="",
    ).programme


@pytest.fixture
def people(officer, finance, cso_user):
    return {"officer": officer, "finance": finance, "writer": cso_user}


@pytest.fixture
def built(iati_programme, organisation, people):
    """Four grants of two calls: one with a reversed and a repeated payment and an approved report (Morocco), one
    whose amount was cut after signature (a grantee without org-id, no country: its own), one terminated, one draft."""
    call = CallFactory(programme=iati_programme, dac_sector="15190")
    other_call = CallFactory(programme=iati_programme, dac_sector="15160")
    main = paid_grant(call=call, organisation=organisation, country=CountryFactory(code="MA", name="Morocco"), **people)
    payment = Payment.objects.get(grant=main)
    payment_reverse(actor=people["finance"], payment=payment, reason="Wrong account")
    payment_record(actor=people["finance"], tranche=payment.tranche, amount=payment.amount, value_date=date(2025, 6, 2),
                   bank_reference="BANK-2")

    no_org_id = OrganisationFactory(country="NE", org_id_scheme="")
    cut = paid_grant(call=other_call, organisation=no_org_id, amount="50000.00", start=date(2026, 1, 1),
                     end=date(2026, 12, 31), signed_on=date(2025, 12, 15), approve_report=False, **people)
    agreement_amend_amount(actor=people["officer"], grant=cut, amount="45000.00", reason="Smaller shelter")
    terminated = paid_grant(call=call, organisation=organisation, amount="60000.00", start=date(2026, 1, 1),
                            end=date(2026, 12, 31), signed_on=date(2025, 12, 20), approve_report=False, **people)
    agreement_set_status(actor=people["officer"], grant=terminated, status=AgreementStatus.TERMINATED, reason="Misconduct")
    draft = awarded_grant(call=call, organisation=organisation)
    return {"main": main, "cut": cut, "terminated": terminated, "draft": draft,
            "grants": [Grant.objects.get(pk=g.pk) for g in (main, cut, terminated)]}


def child(root, grant):
    return activities(root)[f"{AGENCY}-{grant.reference}"]


# ---- the hand-built programme -------------------------------------------------------------------------------------


def test_export_is_valid_and_keeps_the_iati_rules(iati_programme, built):
    today = timezone.localdate()
    xml = activities_xml(iati_programme)
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = parse(xml)
    assert (root.tag, root.get("version")) == ("iati-activities", "2.03")
    assert_valid(root)
    assert_iati_rules(root, today)
    assert set(activities(root)) == {f"{AGENCY}-GLOACT"} | {f"{AGENCY}-{g.reference}" for g in built["grants"]}


def test_money_matches_the_ledger_and_payments(iati_programme, built):
    root = activities_tree(iati_programme)
    for grant in built["grants"]:
        activity = child(root, grant)
        sums = transaction_sums(activity)
        assert sums["3"] == net_payments(grant)
        assert sums["2"] == committed(grant)
        budgets = [Decimal(b.findtext("value")) for b in activity.findall("budget")]
        assert sum(budgets) == grant.amount
    parent = activities(root)[f"{AGENCY}-GLOACT"]
    assert not parent.findall("transaction")
    assert sum(Decimal(b.findtext("value")) for b in parent.findall("budget")) == Decimal("10000000.00")


def test_transactions_of_a_grant(iati_programme, built):
    main, cut = built["main"], built["cut"]
    activity = child(activities_tree(iati_programme), main)
    rows = [(t.find("transaction-type").get("code"), t.find("transaction-date").get("iso-date"), t.findtext("value"))
            for t in activity.findall("transaction")]
    reversal = Payment.objects.get(grant=main, reversal_entry__isnull=False).reversal_entry
    reversal_day = timezone.localdate(reversal.created_at).isoformat()
    payment = Payment.objects.get(grant=main, reversal_entry__isnull=True)
    assert ("2", "2025-05-20", "200000.00") in rows
    assert ("3", "2025-05-20", f"{payment.amount:.2f}") in rows and ("3", "2025-06-02", f"{payment.amount:.2f}") in rows
    assert ("3", reversal_day, f"{-payment.amount:.2f}") in rows
    expenditure = activity.find("transaction/transaction-type[@code='4']/..")
    assert expenditure.find("value").get("value-date") == "2026-05-31"
    assert expenditure.findtext("value") == "35000.00"
    disbursement = activity.find("transaction/transaction-type[@code='3']/..")
    assert disbursement.find("provider-org").get("ref") == AGENCY
    receiver = disbursement.find("receiver-org")
    assert (receiver.get("ref"), receiver.get("type"), receiver.get("receiver-activity-id")) == (
        main.organisation.org_identifier, "22", f"{AGENCY}-{main.reference}")

    cut_commitments = [t.findtext("value") for t in child(activities_tree(iati_programme), cut).findall("transaction")
                       if t.find("transaction-type").get("code") == "2"]
    assert cut_commitments == ["50000.00", "-5000.00"]  # as signed, then the amendment on its day


def test_countries_status_and_organisations(iati_programme, built):
    root = activities_tree(iati_programme)
    main, cut, terminated = (child(root, built[k]) for k in ("main", "cut", "terminated"))
    assert [(c.get("code"), c.get("percentage")) for c in main.findall("recipient-country")] == [("MA", "100.00")]
    assert [c.get("code") for c in cut.findall("recipient-country")] == ["NE"]  # no country: the grantee's
    assert [(s.get("vocabulary"), s.get("code")) for s in cut.findall("sector")] == [("1", "15160")]
    implementing = cut.find("participating-org[@role='4']")
    assert implementing.get("ref") is None and implementing.findtext("narrative") == built["cut"].organisation.legal_name
    assert main.find("activity-status").get("code") == "2"
    assert terminated.find("activity-status").get("code") == "5"
    parent = activities(root)[f"{AGENCY}-GLOACT"]
    # Weighed by what stays committed: the terminated grant (Nepal) only what it paid before the release.
    countries = {c.get("code"): Decimal(c.get("percentage")) for c in parent.findall("recipient-country")}
    weights = {"MA": committed(built["main"]), "NE": committed(built["cut"]), "NP": committed(built["terminated"])}
    assert set(countries) == set(weights)
    assert countries["NE"] == (weights["NE"] * 100 / sum(weights.values())).quantize(Decimal("0.01"))
    assert parent.findtext("description/narrative") == iati_programme.name  # no description: its name


def test_results_from_approved_reports(iati_programme, built):
    activity = child(activities_tree(iati_programme), built["main"])
    results = activity.findall("result")
    assert [(r.get("type"), r.findtext("title/narrative")) for r in results] == [
        ("2", "Child victims recover"), ("1", "Shelter places"),
    ]
    indicator = results[1].find("indicator")
    assert indicator.get("measure") == "1" and indicator.findtext("title/narrative") == "Places"
    assert (indicator.find("baseline").get("year"), indicator.find("baseline").get("value")) == ("2025", "10")
    period = indicator.find("period")
    assert (period.find("period-start").get("iso-date"), period.find("period-end").get("iso-date")) == ("2025-06-01", "2026-05-31")
    assert (period.find("target").get("value"), period.find("actual").get("value")) == ("40", "12")
    assert not child(activities_tree(iati_programme), built["cut"]).findall("result")  # no approved report


def test_dates_never_after_today(iati_programme, built):
    """As of a day before the reversal and the amendment were recorded: their dates are clipped to it, and only
    started or finished activities get actual dates."""
    today = date(2025, 12, 31)
    root = activities_tree(iati_programme, today=today)
    assert_iati_rules(root, today)
    cut = child(root, built["cut"])
    assert {d.get("type") for d in cut.findall("activity-date")} == {"1", "3"}  # starts 2026-01-01
    main = child(root, built["main"])
    assert {d.get("type") for d in main.findall("activity-date")} == {"1", "2", "3"}  # ends 2027
    assert activities(root)[f"{AGENCY}-GLOACT"].find("activity-status").get("code") == "2"
    assert activities_tree(iati_programme, today=date(2024, 6, 1)).find("iati-activity/activity-status").get("code") == "1"
    assert activities_tree(iati_programme, today=date(2030, 1, 1)).find("iati-activity/activity-status").get("code") == "3"


def test_broken_documents_fail_validation(iati_programme, built):
    """The schema check can fail: a required element removed, elements out of order, a required attribute removed."""
    missing = activities_tree(iati_programme)
    first = missing.find("iati-activity")
    first.remove(first.find("reporting-org"))
    out_of_order = activities_tree(iati_programme)
    activity = out_of_order.find("iati-activity")
    activity.insert(1, activity.find("activity-status"))  # before reporting-org and title
    no_version = activities_tree(iati_programme)
    del no_version.attrib["version"]
    for broken in (missing, out_of_order, no_version):
        with pytest.raises(AssertionError):
            assert_valid(broken)
    assert_valid(activities_tree(iati_programme))


def test_refused_without_agency_reference(iati_programme):
    Programme.objects.filter(pk=iati_programme.pk).update(agency_iati_ref="")
    iati_programme.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        activities_xml(iati_programme)
    assert exc.value.code == "no_iati_ref"


# ---- arithmetic -----------------------------------------------------------------------------------------------------


def test_shares_sum_to_exactly_one_hundred():
    assert shares({"A": Decimal(1), "B": Decimal(1), "C": Decimal(1)}) == {"A": Decimal("33.34"), "B": Decimal("33.33"), "C": Decimal("33.33")}
    assert shares({"A": Decimal("0"), "B": Decimal("3")}) == {"B": Decimal("100.00")}
    assert shares({"A": Decimal("0"), "B": Decimal("0")}) == {"A": Decimal("50.00"), "B": Decimal("50.00")}
    weights = {str(i): Decimal(random.Random(i).randrange(1, 10**6)) / 100 for i in range(37)}
    assert sum(shares(weights).values()) == 100


def test_budget_split_by_days_sums_to_the_amount():
    parts = budget_split(date(2025, 6, 1), date(2027, 12, 31), Decimal("100000.01"))
    assert [(s.isoformat(), e.isoformat()) for s, e, _ in parts] == [
        ("2025-06-01", "2026-05-31"), ("2026-06-01", "2027-05-31"), ("2027-06-01", "2027-12-31"),
    ]
    assert parts[0][2] == Decimal("38665.26")  # 365 of 944 days: 38,665.258...
    assert sum(p for _, _, p in parts) == Decimal("100000.01")


# ---- volume and query count ---------------------------------------------------------------------------------------


def test_query_count_does_not_grow_with_grants(iati_programme, organisation, people):
    def add_grants(n):
        for _ in range(n):
            paid_grant(call=CallFactory(programme=iati_programme), organisation=organisation, **people)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            activities_xml(iati_programme)
        return len(ctx.captured_queries)

    add_grants(1)
    few = queries()
    add_grants(4)
    assert queries() == few <= 8


def test_synthetic_programme(db):
    programme, _ = synthetic_programme(150, 1500, 3, random.Random(7))
    root = parse(activities_xml(programme))
    assert_valid(root)
    assert_iati_rules(root, timezone.localdate())
    assert len(root) == 151 and len(root.findall("iati-activity/transaction")) > 1500
    for grant in Grant.objects.filter(call__programme=programme):
        sums = transaction_sums(child(root, grant))
        assert (sums["3"], sums["2"]) == (net_payments(grant), committed(grant))


def test_demo_export_is_valid(demo):
    programme = Programme.objects.get(code=PROGRAMME_CODE)
    root = parse(activities_xml(programme))
    assert_valid(root)
    assert_iati_rules(root, timezone.localdate())
    signed = Grant.objects.filter(call__programme=programme, signed_on__isnull=False).exclude(status=AgreementStatus.DRAFT)
    assert len(root) == 1 + signed.count() and signed.exists()
    drafts = Grant.objects.filter(call__programme=programme, status=AgreementStatus.DRAFT)
    assert not {f"{AGENCY}-{g.reference}" for g in drafts} & set(activities(root))


# ---- the command --------------------------------------------------------------------------------------------------


def test_command_writes_a_valid_file(iati_programme, built, tmp_path):
    out = tmp_path / "iati.xml"
    stdout = io.StringIO()
    call_command("export_iati", "--out", str(out), stdout=stdout)
    root = parse(out.read_bytes())
    assert_valid(root)
    transactions = len(root.findall("iati-activity/transaction"))
    assert f"Wrote 4 activities and {transactions} transactions" in stdout.getvalue()


def test_command_refuses_without_agency_reference(iati_programme, tmp_path):
    Programme.objects.filter(pk=iati_programme.pk).update(agency_iati_ref="")
    out = tmp_path / "iati.xml"
    with pytest.raises(CommandError, match="no IATI identifier for its managing agency"):
        call_command("export_iati", "--out", str(out), "--programme", "gloact")
    assert not out.exists()


def test_command_needs_a_programme_code_when_there_are_several(iati_programme, tmp_path):
    EnvelopeFactory()
    with pytest.raises(CommandError, match="--programme"):
        call_command("export_iati", "--out", str(tmp_path / "iati.xml"))
