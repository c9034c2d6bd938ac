"""The expenditure-by-budget-line table as CSV: its content to the cent, who may download it, and a line description
that a spreadsheet would run as a formula."""
import csv
import io
from decimal import Decimal

from django.urls import reverse

from grants.models import AgreementBudgetLine
from reports import services

from ..conftest import login
from .test_budget_lines import _first_period_approved, _save, lined_grant  # noqa: F401 (lined_grant: a fixture)

NOTE = "Over the budget within the threshold: explanation of the transfer needed"
WITHIN = "Within the budget"


def _download(client, user, report, number=1):
    login(client, user)
    return client.get(reverse("report_budget_csv", args=[report.pk, number]))


def _rows(response):
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def _second_period_submitted(cso_user, officer, grant, lines):
    _first_period_approved(cso_user, officer, grant, lines)
    report = services.report_open(actor=cso_user, grant=grant, period_number=2)
    _save(cso_user, report, [(lines["Staff"], "3000.00"), (lines["Coordinator"], "1500.00")], transfer_note="Staff costs rose.")
    services.report_submit(actor=cso_user, report=report)
    return report


def test_csv_holds_the_table_to_the_cent(client, lined_grant, cso_user, officer):  # noqa: F811
    grant, lines = lined_grant
    report = _second_period_submitted(cso_user, officer, grant, lines)
    response = _download(client, officer, report)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="{grant.reference}-report-2-v1-budget-lines.csv"' in response["Content-Disposition"]
    assert _rows(response) == [
        ["Heading", "Budget line", "Budget (EUR)", "This period (EUR)", "Cumulative (EUR)", "Remaining (EUR)",
         "Variance (EUR)", "Variance (%)", "Transfers"],
        ["1. Human resources", "Staff", "6000.00", "3000.00", "8000.00", "-2000.00", "2000.00", "33.33", ""],
        ["1. Human resources", "Coordinator", "4000.00", "1500.00", "4500.00", "-500.00", "500.00", "12.50", ""],
        ["1. Human resources", "Total of the heading", "10000.00", "4500.00", "12500.00", "-2500.00", "2500.00", "25.00", NOTE],
        ["2. Travel", "Travel", "20000.00", "", "1000.00", "19000.00", "-19000.00", "-95.00", ""],
        ["2. Travel", "Total of the heading", "20000.00", "", "1000.00", "19000.00", "-19000.00", "-95.00", WITHIN],
        ["3. Equipment and supplies", "Equipment", "270000.00", "", "0.00", "270000.00", "-270000.00", "-100.00", ""],
        ["3. Equipment and supplies", "Total of the heading", "270000.00", "", "0.00", "270000.00", "-270000.00", "-100.00", WITHIN],
        ["Total", "", "300000.00", "4500.00", "13500.00", "286500.00", "-286500.00", "-95.50", ""],
    ]
    page = client.get(reverse("report_review", args=[report.pk])).content.decode()
    assert reverse("report_budget_csv", args=[report.pk, 1]) in page


def test_same_access_as_the_version_page(client, lined_grant, cso_user, officer, other_cso_user, reviewer, donor):  # noqa: F811
    grant, lines = lined_grant
    approved = _first_period_approved(cso_user, officer, grant, lines)
    draft = services.report_open(actor=cso_user, grant=grant, period_number=2)
    _save(cso_user, draft, [(lines["Staff"], "10.00")])
    # The grantee's own reports, the draft too (its edit page links the download); staff and donors once submitted.
    assert _download(client, cso_user, approved).status_code == 200
    response = _download(client, cso_user, draft)
    assert response.status_code == 200 and _rows(response)[1][3] == "10.00"
    assert reverse("report_budget_csv", args=[draft.pk, 1]) in client.get(reverse("report_edit", args=[draft.pk])).content.decode()
    assert _download(client, donor, approved).status_code == 200
    assert _download(client, officer, draft).status_code == 404
    assert _download(client, other_cso_user, approved).status_code == 404
    assert _download(client, reviewer, approved).status_code == 403
    assert _download(client, cso_user, approved, number=2).status_code == 404
    assert client.post(reverse("report_budget_csv", args=[approved.pk, 1])).status_code == 405


def test_a_description_like_a_formula_is_neutralised(client, lined_grant, cso_user, officer):  # noqa: F811
    grant, lines = lined_grant
    AgreementBudgetLine.objects.filter(pk=lines["Travel"].pk).update(description='=HYPERLINK("http://x.example","Travel")')
    report = _first_period_approved(cso_user, officer, grant, lines)
    rows = _rows(_download(client, officer, report))
    travel = next(row for row in rows if row[0] == "2. Travel" and row[1] != "Total of the heading")
    assert travel[1] == '\'=HYPERLINK("http://x.example","Travel")'
    assert travel[2:5] == ["20000.00", "1000.00", "1000.00"] and travel[6] == "-19000.00"


def test_local_currency_draft_shows_the_amount_as_entered(client, lined_grant, cso_user):  # noqa: F811
    grant, lines = lined_grant
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    _save(cso_user, report, [(lines["Staff"], "150000.00")], currency="KGS")
    rows = _rows(_download(client, cso_user, report))
    assert rows[0][3:5] == ["This period (EUR)", "This period (KGS, as entered)"]
    assert rows[1][:6] == ["1. Human resources", "Staff", "6000.00", "", "150000.00", "0.00"]
    assert Decimal(rows[-1][2]) == Decimal("300000.00")
