"""The partner-risk and assurance pages: who sees what (another organisation's user 404, a wrong role 403), bad
input answered on the field, and the coverage page in a fixed number of queries."""
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from grants.risk.models import AssessmentArea, AssuranceActivity, MicroAssessment, PseaAssessment, RiskRule
from inbox.selectors import inbox_for

from ...conftest import login
from ...grant_helpers import signed_grant
from .helpers import YES, assess

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _status(client, user, url, method="get", data=None):
    client.force_login(user)
    response = getattr(client, method)(url, data or {})
    client.logout()
    return response.status_code


def test_risk_profile_access(client, officer, finance, donor, reviewer, organisation, cso_user, other_cso_user):
    url = reverse("risk_profile", args=[organisation.pk])
    assert _status(client, officer, url) == 200
    assert _status(client, finance, url) == 200
    assert _status(client, cso_user, url) == 200
    assert _status(client, other_cso_user, url) == 404
    assert _status(client, donor, url) == 403
    assert _status(client, reviewer, url) == 404  # sees no organisation at all
    for name in ("risk_assessment_new", "risk_assessment_import"):
        page = reverse(name, args=[organisation.pk])
        assert _status(client, officer, page) == 200
        assert _status(client, cso_user, page) == 403
        assert _status(client, finance, page) == 403


def test_the_member_fills_psea_and_the_officer_rates_it(client, officer, organisation, cso_user, other_cso_user):
    url = reverse("psea_self_assessment", args=[organisation.pk])
    assert _status(client, officer, url) == 403
    assert _status(client, other_cso_user, url) == 404
    login(client, cso_user)
    response = client.post(url, {f"q_{key}": answer for key, answer in YES.items() if key != "focal_point"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not PseaAssessment.objects.exists()
    response = client.post(url, {f"q_{key}": answer for key, answer in YES.items()})
    assert response.status_code == 302
    assessment = PseaAssessment.objects.get()
    rate = reverse("psea_rate", args=[organisation.pk, assessment.pk])
    assert client.post(rate, {"rate-rating": "full"}).status_code == 403
    login(client, officer)
    response = client.post(rate, {"rate-rating": "low"})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    response = client.post(rate, {"rate-rating": "medium"})
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.rating == "medium"
    page = client.get(reverse("risk_profile", args=[organisation.pk])).content.decode()
    assert "Rated Medium capacity" in page


def test_officer_records_and_imports_assessments(client, officer, organisation, cso_user):
    login(client, officer)
    url = reverse("risk_assessment_new", args=[organisation.pk])
    data = {"assessed_on": "2026-02-01", "assessor_firm": "Audit Firm", "overall": "moderate",
            **{f"area_{area.value}": "moderate" for area in AssessmentArea}}
    response = client.post(url, {**data, "area_procurement": ""})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    response = client.post(url, {**data, "assessed_on": "2099-01-01"})
    assert response.status_code == 400 and "cannot be in the future" in response.content.decode()
    assert client.post(url, data).status_code == 302
    imported = reverse("risk_assessment_import", args=[organisation.pk])
    base = {"assessed_on": "2026-01-15", "source_agency": "UNICEF", "overall": "low"}
    response = client.post(imported, {**base, "report": SimpleUploadedFile("r.pdf", b"<html><body>x</body></html>")})
    assert response.status_code == 400 and "not an accepted type" in response.content.decode()
    assert client.post(imported, {**base, "report": SimpleUploadedFile("r.pdf", PDF)}).status_code == 302
    assert MicroAssessment.objects.count() == 2
    report = MicroAssessment.objects.get(source="imported")
    download = reverse("risk_assessment_report", args=[organisation.pk, report.pk])
    response = client.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert _status(client, cso_user, download) == 403
    login(client, officer)
    page = client.get(reverse("risk_profile", args=[organisation.pk])).content.decode()
    assert "Low risk" in page and "UNICEF" in page


def test_coverage_and_grant_assurance_access(client, officer, donor, finance, cso_user, programme):
    grant = signed_grant(programme=programme, signer=officer, organisation=cso_user.organisations.get())
    coverage = reverse("assurance_coverage")
    assert _status(client, donor, coverage) == 200
    assert _status(client, officer, coverage) == 200
    assert _status(client, cso_user, coverage) == 403
    page = reverse("grant_assurance", args=[grant.reference])
    assert _status(client, donor, page) == 200
    assert _status(client, cso_user, page) == 403
    record = {"kind": "visit", "done_on": timezone.localdate().isoformat(), "done_by": "Omar", "summary": "On track"}
    assert _status(client, donor, page, "post", record) == 403
    assert _status(client, finance, page, "post", record) == 403
    assert _status(client, officer, reverse("grant_assurance", args=["NO-SUCH-GRANT"])) == 404
    login(client, officer)
    response = client.post(page, {**record, "done_on": (timezone.localdate() + timedelta(days=3)).isoformat()})
    assert response.status_code == 400 and "cannot be in the future" in response.content.decode()
    # The form says closed spot checks count by themselves, with the grant's checks page.
    assert f'href="{reverse("grant_checks", args=[grant.reference])}"' in response.content.decode()
    assert client.post(page, record).status_code == 302
    assert AssuranceActivity.objects.get().done_by == "Omar"
    assert AuditEvent.objects.filter(verb="assurance.visit").count() == 1


def test_risk_rules_page(client, officer, donor, programme):
    url = reverse("risk_rules", args=[programme.code])
    assert _status(client, donor, url) == 403
    login(client, officer)
    assert client.get(url).status_code == 200
    response = client.post(url, {"rating": "high", "high-max_advance_percent": "120", "high-spot_checks_per_year": "3",
                                 "high-visits_per_year": "4"})
    assert response.status_code == 400
    assert not RiskRule.objects.exists()
    response = client.post(url, {"rating": "high", "high-max_advance_percent": "30", "high-spot_checks_per_year": "3",
                                 "high-visits_per_year": "4", "high-audit_due": "on"})
    assert response.status_code == 302
    assert RiskRule.objects.count() == 4 and str(RiskRule.objects.get(rating="high").max_advance_percent) == "30.00"


def _coverage_queries(client, officer):
    login(client, officer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("assurance_coverage"), {"year": str(timezone.localdate().year)})
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_coverage_queries_do_not_grow_with_grants(client, officer, programme):
    def add(n):
        for _ in range(n):
            grant = signed_grant(programme=programme, signer=officer, amount="10000.00",
                                 start=timezone.localdate().replace(month=1, day=1),
                                 end=timezone.localdate().replace(month=12, day=31))
            assess(officer, grant.organisation, "moderate")
            AssuranceActivity.objects.create(grant=grant, kind="visit", done_on=grant.signed_on, done_by="x", summary="y",
                                             recorded_by=officer)

    add(2)
    few, page = _coverage_queries(client, officer)
    add(20)
    many, page = _coverage_queries(client, officer)
    assert few == many, (few, many)
    assert "22 / " in page  # 22 visits done


def test_overdue_assurance_reaches_the_officers_inbox(officer, programme, monkeypatch):
    grant = signed_grant(programme=programme, signer=officer, start=date(2026, 1, 1), end=date(2026, 12, 31))
    monkeypatch.setattr("grants.risk.selectors._today", lambda: date(2026, 11, 1))
    sections = inbox_for(officer)
    items = [item for section in sections for item in section.items if "spot check" in item.text]
    assert [(item.text, item.count, item.overdue) for item in items] == [("1 grant has an overdue spot check or visit", 1, True)]
    assert items[0].url == reverse("assurance_coverage") + "#overdue"
    assert grant.reference


def test_officers_inbox_queries_do_not_grow_with_running_grants(officer, programme):
    def add(n):
        for _ in range(n):
            signed_grant(programme=programme, signer=officer, amount="10000.00", start=date(2026, 1, 1), end=date(2026, 12, 31))

    def count():
        inbox_for(officer)  # fills the process's caches (content types), as tests/inbox do
        with CaptureQueriesContext(connection) as queries:
            inbox_for(officer)
        return len(queries)

    add(2)
    few = count()
    add(15)
    many = count()
    assert few == many, (few, many)


def test_coverage_lists_the_most_overdue_a_page_at_a_time_and_totals_every_grant(client, officer, programme, monkeypatch):
    monkeypatch.setattr("grants.risk.selectors._today", lambda: date(2026, 11, 1))
    monkeypatch.setattr("grants.risk.views.OVERDUE_PER_PAGE", 2)
    url = reverse("assurance_coverage")

    def page(number):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"year": "2026", "page": number})
        assert response.status_code == 200
        overdue = response.content.decode().split('id="overdue"')[1]
        return len(queries), overdue, response.context["coverage"]

    def add():
        return signed_grant(programme=programme, signer=officer, start=date(2026, 1, 1), end=date(2026, 12, 31))

    add()
    login(client, officer)
    least = add()
    AssuranceActivity.objects.create(grant=least, kind="visit", done_on=date(2026, 2, 1), done_by="x", summary="y",
                                     recorded_by=officer)
    few, overdue, _totals = page(1)
    assert overdue.count('class="reference"') == 2 and "Grants 1 to" not in overdue  # everything fits: no pager
    for _ in range(3):
        add()
    many, overdue, totals = page(1)
    assert few == many, (few, many)
    assert overdue.count('class="reference"') == 2 and least.reference not in overdue  # the most overdue first
    assert "Grants 1 to 2 of 5 with something overdue, most overdue first." in overdue and "page=2" in overdue
    assert totals.total.grants == 5 and totals.by_rating["high"].grants == 5 and totals.total.visits_done == 1
    assert totals.total.overdue == sum(row.overdue for row in totals.overdue_rows) == 5 * totals.overdue_rows[0].overdue - 1
    _queries, last, _totals = page(3)
    assert last.count('class="reference"') == 1 and least.reference in last and "Grants 5 to 5 of 5" in last
    least.organisation.__class__.objects.filter(pk=least.organisation_id).update(acronym="=HYPERLINK(1)")
    response = client.get(url, {"year": "2026", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert len(lines) == 6 and lines[0].startswith("Grant,Partner,Rating")  # every running grant, not one page
    assert lines[-1].startswith(f"{least.reference},'=HYPERLINK(1),High")
