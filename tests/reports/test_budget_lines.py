"""Expenditure against agreement budget lines: the pure table, submission's transfer rule at the threshold edge,
cumulative figures over two periods, heading totals, bad input, access and the selector's query count."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from disbursements.models import ApprovedExpenditure
from grants.models import AgreementBudgetLine, BudgetHeading
from reports import budget_lines as bl
from reports import selectors, services
from reports.models import ExpenditureLine, ReportStatus

from ..conftest import login
from .test_services import NARRATIVE
from .test_views import form_data

D = Decimal

# ---- the pure computation ---------------------------------------------------------------------------------------


def _table(spent, budget="10000.00", threshold="25"):
    line = bl.BudgetLineInput(key=1, heading="1", heading_label="1. Human resources", description="Staff", budget=D(budget))
    return bl.compute(lines=[line], earlier={("1", 1): D("4000.00")}, this_period={("1", 1): D(spent) - D("4000.00")},
                      threshold=D(threshold))


def test_exactly_the_threshold_needs_a_note_and_a_cent_more_an_amendment():
    heading = _table("12500.00").headings[0]
    assert (heading.cumulative, heading.remaining, heading.variance, heading.variance_percent) == (
        D("12500.00"), D("-2500.00"), D("2500.00"), D("25.00"))
    assert heading.status == bl.NOTE
    heading = _table("12501.00").headings[0]
    assert heading.variance_percent == D("25.01") and heading.status == bl.AMENDMENT
    assert _table("10000.00").headings[0].status == bl.WITHIN
    # 25.001 % rounds to 25.00 for display but is above the threshold: the rule compares exactly.
    heading = _table("12500.10", budget="10000.00").headings[0]
    assert heading.variance_percent == D("25.00") and heading.status == bl.AMENDMENT


def test_heading_without_budget_needs_an_amendment_and_loose_expenditure_counts_in_the_heading():
    line = bl.BudgetLineInput(key=1, heading="1", heading_label="HR", description="Staff", budget=D("1000.00"))
    table = bl.compute(lines=[line], earlier={("1", None): D("200.00")}, this_period={("1", 1): D("300.00"), ("2", None): D("5.00")},
                       threshold=D("25"))
    hr, travel = table.headings
    assert [row.key for row in hr.lines] == [1, None]
    assert hr.cumulative == D("500.00") == sum(row.cumulative for row in hr.lines)
    assert travel.budget == 0 and travel.status == bl.AMENDMENT and travel.variance_percent is None
    assert table.total.cumulative == D("505.00") and table.total.this_period == D("305.00")


# ---- through the services ---------------------------------------------------------------------------------------


@pytest.fixture
def lined_grant(grant):
    """The EUR 300,000 grant with four lines: heading 1 = 6,000 + 4,000; heading 2 = 20,000; heading 3 = 270,000."""
    grant.budget_lines.all().delete()
    specs = [("1", "Staff", "6000"), ("1", "Coordinator", "4000"), ("2", "Travel", "20000"), ("3", "Equipment", "270000")]
    lines = [AgreementBudgetLine.objects.create(grant=grant, position=i, heading=h, description=d, unit="lump sum",
                                                quantity=D("1"), unit_cost=D(c)) for i, (h, d, c) in enumerate(specs)]
    return grant, {line.description: line for line in lines}


def _save(actor, report, amounts, **data):
    version = report.versions.order_by("-number").first()
    indicators = [{"id": i.pk, "actual": "12", "comment": ""} for i in version.indicators.all()]
    services.report_save(actor=actor, version=version, data={**NARRATIVE, **data}, indicators=indicators, expenditure=None,
                         line_amounts={line.pk: amount for line, amount in amounts})
    return version


def _first_period_approved(cso_user, officer, grant, lines):
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    _save(cso_user, report, [(lines["Staff"], "5000.00"), (lines["Coordinator"], "3000.00"), (lines["Travel"], "1000.00")])
    services.report_submit(actor=cso_user, report=report)
    services.report_approve(actor=officer, report=report)
    return report


def test_cumulative_over_two_periods_and_the_note_at_exactly_25_percent(lined_grant, cso_user, officer):
    grant, lines = lined_grant
    _first_period_approved(cso_user, officer, grant, lines)
    report = services.report_open(actor=cso_user, grant=grant, period_number=2)
    version = _save(cso_user, report, [(lines["Staff"], "3000.00"), (lines["Coordinator"], "1500.00")])
    report = selectors.report_for(cso_user, report.pk)
    table = selectors.budget_table(report, version)
    hr = table.headings[0]
    staff, coordinator = hr.lines
    assert (staff.budget, staff.earlier, staff.this_period, staff.cumulative, staff.remaining, staff.variance,
            staff.variance_percent) == (D("6000.00"), D("5000.00"), D("3000.00"), D("8000.00"), D("-2000.00"), D("2000.00"), D("33.33"))
    assert (coordinator.cumulative, coordinator.variance_percent) == (D("4500.00"), D("12.50"))
    assert (hr.budget, hr.cumulative, hr.variance, hr.variance_percent, hr.status) == (
        D("10000.00"), D("12500.00"), D("2500.00"), D("25.00"), bl.NOTE)
    travel = table.headings[1]
    assert (travel.this_period, travel.cumulative, travel.remaining, travel.variance_percent) == (None, D("1000.00"), D("19000.00"), D("-95.00"))
    # Exactly 25 %: accepted, but only with the grantee's explanation.
    with pytest.raises(services.ReportIncomplete) as refused:
        services.report_submit(actor=cso_user, report=report)
    assert list(refused.value.problems) == ["transfer_note"]
    assert "1. Human resources" in refused.value.problems["transfer_note"]
    _save(cso_user, report, [(lines["Staff"], "3000.00"), (lines["Coordinator"], "1500.00")],
          transfer_note="Staff costs rose; travel was cheaper.")
    version = services.report_submit(actor=cso_user, report=report)
    assert version.status == ReportStatus.SUBMITTED and version.total_eur == D("4500.00")


def test_above_the_threshold_is_refused_and_the_draft_kept(lined_grant, cso_user, officer):
    grant, lines = lined_grant
    _first_period_approved(cso_user, officer, grant, lines)
    report = services.report_open(actor=cso_user, grant=grant, period_number=2)
    _save(cso_user, report, [(lines["Staff"], "3000.00"), (lines["Coordinator"], "1501.00")], transfer_note="Explained.")
    with pytest.raises(services.ReportIncomplete) as refused:
        services.report_submit(actor=cso_user, report=report)
    assert list(refused.value.problems) == [f"transfer-{BudgetHeading.HUMAN_RESOURCES}"]
    message = refused.value.problems["transfer-1"]
    assert "25.01 %" in message and "Request a budget amendment" in message
    report.refresh_from_db()
    version = report.versions.get()
    assert report.status == ReportStatus.DRAFT and version.status == ReportStatus.DRAFT
    assert sorted(line.amount for line in version.expenditure_lines.all()) == [D("1501.00"), D("3000.00")]
    assert all(line.amount_eur is None for line in version.expenditure_lines.all())


def test_heading_totals_are_the_sums_of_their_lines(lined_grant, cso_user, officer):
    grant, lines = lined_grant
    report = _first_period_approved(cso_user, officer, grant, lines)
    version = report.versions.get()
    saved = list(version.expenditure_lines.all())
    assert {(line.heading, line.description) for line in saved} == {("1", "Staff"), ("1", "Coordinator"), ("2", "Travel")}
    assert version.total_eur == D("9000.00") == sum(line.amount_eur for line in saved)
    assert ApprovedExpenditure.objects.get(grant=grant).amount == D("9000.00")
    table = selectors.budget_table(selectors.report_for(officer, report.pk), version)
    for heading in table.headings:
        assert heading.budget == sum(row.budget for row in heading.lines)
        assert heading.cumulative == sum(row.cumulative for row in heading.lines)
    assert table.total.budget == D("300000.00") and table.total.this_period == D("9000.00")


def test_earlier_heading_level_report_counts_in_the_cumulative(lined_grant, cso_user, officer):
    """A report written by heading (before reporting by line) stays as it was and counts under its heading."""
    grant, lines = lined_grant
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    version = report.versions.get()
    services.report_save(actor=cso_user, version=version, data=NARRATIVE,
                         indicators=[{"id": i.pk, "actual": "1"} for i in version.indicators.all()], expenditure={"1": "7000.00"})
    services.report_submit(actor=cso_user, report=report)
    services.report_approve(actor=officer, report=report)
    assert ExpenditureLine.objects.get(version=version).budget_line is None
    second = services.report_open(actor=cso_user, grant=grant, period_number=2)
    draft = _save(cso_user, second, [(lines["Staff"], "4000.00")])
    hr = selectors.budget_table(selectors.report_for(cso_user, second.pk), draft).headings[0]
    assert [(row.key, row.cumulative) for row in hr.lines] == [(lines["Staff"].pk, D("4000.00")), (lines["Coordinator"].pk, D("0.00")), (None, D("7000.00"))]
    assert hr.cumulative == D("11000.00") and hr.status == bl.NOTE


def test_a_line_of_another_grant_is_refused(lined_grant, cso_user):
    grant, lines = lined_grant
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    version = report.versions.get()
    with pytest.raises(services.DomainError) as refused:
        services.report_save(actor=cso_user, version=version, data={}, indicators=[], expenditure=None, line_amounts={999999: "1.00"})
    assert refused.value.field == "line_999999"
    with pytest.raises(services.DomainError) as refused:
        services.report_save(actor=cso_user, version=version, data={}, indicators=[], expenditure=None,
                             line_amounts={lines["Staff"].pk: "-1.00"})
    assert refused.value.field == f"line_{lines['Staff'].pk}"


# ---- pages ------------------------------------------------------------------------------------------------------


def test_bad_amounts_are_shown_on_the_line_and_the_draft_kept(client, lined_grant, cso_user):
    grant, lines = lined_grant
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    _save(cso_user, report, [(lines["Staff"], "100.00")])
    login(client, cso_user)
    field = f"line_{lines['Staff'].pk}"
    for typed, message in (("-5", "The amount cannot be negative."), ("1.234", "Enter euros and cents, with at most two decimals.")):
        data = {k: v for k, v in form_data(report).items() if not k.startswith("line_")}
        response = client.post(reverse("report_edit", args=[report.pk]), {**data, field: typed, "summary": "Typed text"})
        assert response.status_code == 400
        content = response.content.decode()
        assert message in content and "Typed text" in content and f'value="{typed}"' in content
        assert report.versions.get().expenditure_lines.get().amount == D("100.00")
        assert report.versions.get().summary == NARRATIVE["summary"]


def test_refusal_above_threshold_shown_on_the_page(client, lined_grant, cso_user, officer):
    grant, lines = lined_grant
    _first_period_approved(cso_user, officer, grant, lines)
    report = services.report_open(actor=cso_user, grant=grant, period_number=2)
    login(client, cso_user)
    data = {k: v for k, v in form_data(report, action="submit").items() if not k.startswith("line_")}
    data.update({f"line_{lines['Staff'].pk}": "3000.00", f"line_{lines['Coordinator'].pk}": "1501.00", "transfer_note": "Why."})
    response = client.post(reverse("report_edit", args=[report.pk]), data)
    assert response.status_code == 400
    content = response.content.decode()
    assert "Request a budget amendment" in content, content[content.find("error-summary"):][:1500]
    assert "needs a budget amendment" in content
    assert report.versions.get().status == ReportStatus.DRAFT


def test_pages_show_the_table_and_keep_access(client, lined_grant, cso_user, officer, other_cso_user, reviewer):
    grant, lines = lined_grant
    first = _first_period_approved(cso_user, officer, grant, lines)
    report = services.report_open(actor=cso_user, grant=grant, period_number=2)
    _save(cso_user, report, [(lines["Staff"], "3000.00"), (lines["Coordinator"], "1500.00")], transfer_note="Staff costs rose.")
    login(client, cso_user)
    page = client.get(reverse("report_edit", args=[report.pk])).content.decode()
    assert "12,500.00" in page and "25.00 %" in page and "33.33 %" in page and "explanation of the transfer" in page
    services.report_submit(actor=cso_user, report=report)
    login(client, officer)
    page = client.get(reverse("report_review", args=[report.pk])).content.decode()
    assert "12,500.00" in page and "25.00 %" in page and "Staff costs rose." in page and "Coordinator" in page
    login(client, other_cso_user)
    for url in (reverse("report_edit", args=[report.pk]), reverse("report_version", args=[first.pk, 1])):
        assert client.get(url).status_code == 404
    login(client, reviewer)
    assert client.get(reverse("report_review", args=[report.pk])).status_code == 403


def test_french_page_uses_the_locale(client, lined_grant, cso_user, officer):
    grant, lines = lined_grant
    report = _first_period_approved(cso_user, officer, grant, lines)
    cso_user.language = "fr"
    cso_user.save(update_fields=["language"])
    login(client, cso_user)
    page = client.get(reverse("report_version", args=[report.pk, 1]), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    page = page.replace("\u2212", "-")
    assert "-16,67" in page and "-95,00" in page  # Staff: 5,000 of 6,000 → −16.67 %; Travel: 1,000 of 20,000 → −95 %
    assert "270\u202f000,00" in page or "270 000,00" in page or "270\xa0000,00" in page


def test_table_costs_three_queries_whatever_the_lines_and_reports(lined_grant, cso_user, officer):
    grant, lines = lined_grant
    first = _first_period_approved(cso_user, officer, grant, lines)

    def count(report):
        report = selectors.report_for(officer, report.pk)
        version = report.versions.order_by("-number").first()
        with CaptureQueriesContext(connection) as ctx:
            table = selectors.budget_table(report, version)
        return len(ctx.captured_queries), table

    few, _table_few = count(first)
    for i in range(20):
        AgreementBudgetLine.objects.create(grant=grant, position=10 + i, heading="4", description=f"Item {i}",
                                           quantity=D("1"), unit_cost=D("10"))
    second = services.report_open(actor=cso_user, grant=grant, period_number=2)
    extra = AgreementBudgetLine.objects.filter(grant=grant, heading="4")
    _save(cso_user, second, [(line, "1.00") for line in extra] + [(lines["Staff"], "1.00")], transfer_note="")
    services.report_submit(actor=cso_user, report=second)
    many, table = count(second)
    assert few == many == 3
    assert len(table.headings) == 4 and table.total.earlier == D("9000.00") and table.total.this_period == D("21.00")
