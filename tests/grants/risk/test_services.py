"""Recording assessments, imports, PSEA self-assessments and ratings, spot checks and visits: refusals write nothing,
every change is audited; and the assurance plan computed from the rating."""
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import roles as R
from accounts.models import MemberRole
from accounts.services import membership_set
from audit.models import AuditEvent
from core.errors import DomainError
from grants.risk.models import AssessmentArea, AssuranceActivity, AssuranceKind, MicroAssessment, PseaAssessment, RiskRating
from grants.risk.selectors import _plan, assurance_rows, coverage, overdue_grants_count
from grants.risk.services import activity_record, assessment_import, assessment_record, psea_rate, psea_submit, rules_adopt
from grants.models import Grant

from ...conftest import make_user
from ...grant_helpers import awarded_grant, signed_grant
from .helpers import YES, assess

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
AREAS = {area.value: RiskRating.MODERATE for area in AssessmentArea}


def test_an_assessment_is_recorded_and_audited(officer, organisation):
    assessment = assessment_record(actor=officer, organisation=organisation, assessed_on=date(2026, 3, 1),
                                   overall=RiskRating.SIGNIFICANT, area_ratings=AREAS, assessor_user=officer)
    assert assessment.expires_on == date(2031, 3, 1)  # five years by default
    event = AuditEvent.objects.get(verb="risk.assessment_record")
    assert event.data["overall"] == "significant" and event.data["areas"]["procurement"] == "moderate"


@pytest.mark.parametrize("change, field", [
    ({"area_ratings": {**AREAS, "procurement": ""}}, "area_procurement"),
    ({"assessor_firm": ""}, "assessor_firm"),
    ({"assessed_on": date(2099, 1, 1)}, "assessed_on"),
    ({"overall": "unknown"}, "overall"),
    ({"expires_on": date(2025, 1, 1)}, "expires_on"),
])
def test_an_incomplete_assessment_is_refused_on_its_field(officer, organisation, change, field):
    values = {"assessed_on": date(2026, 3, 1), "overall": RiskRating.LOW, "area_ratings": AREAS, "assessor_firm": "Firm", **change}
    with pytest.raises(DomainError) as refused:
        assessment_record(actor=officer, organisation=organisation, **values)
    assert refused.value.field == field
    assert not MicroAssessment.objects.exists() and not AuditEvent.objects.filter(verb__startswith="risk.").exists()


def test_only_officers_record_assessments(finance, organisation):
    with pytest.raises(DomainError):
        assessment_record(actor=finance, organisation=organisation, assessed_on=date(2026, 3, 1), overall="low",
                          area_ratings=AREAS, assessor_firm="Firm")


def test_an_earlier_assessment_is_imported_with_its_report(officer, organisation):
    imported = assessment_import(actor=officer, organisation=organisation, assessed_on=timezone.localdate() - timedelta(days=5),
                                 source_agency="UNICEF Nepal", overall=RiskRating.LOW,
                                 report=SimpleUploadedFile("report.pdf", PDF))
    assert imported.report_kind == "pdf" and imported.report_name == "report.pdf"
    assert imported.report.read() == PDF
    assert AuditEvent.objects.get(verb="risk.assessment_import").data["report"] == "report.pdf"


@pytest.mark.parametrize("name, content, code", [
    ("report.pdf", b"<html><script>alert(1)</script></html>", "bad_type"),
    ("report.pdf", b"", "empty"),
    ("report.pdf", b"%PDF-1.4\n1 0 obj<</OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\ntrailer<<>>\n%%EOF\n", None),
])
def test_an_import_with_a_bad_report_is_refused(officer, organisation, name, content, code):
    with pytest.raises(DomainError) as refused:
        assessment_import(actor=officer, organisation=organisation, assessed_on=date(2026, 1, 5), source_agency="UNICEF",
                          overall="low", report=SimpleUploadedFile(name, content))
    assert refused.value.field == "report"
    if code:
        assert refused.value.code == code
    assert not MicroAssessment.objects.exists()


def test_psea_is_filled_by_the_organisations_editors_only(officer, organisation, cso_user, other_cso_user):
    viewer = make_user(R.APPLICANT)
    membership_set(actor=None, organisation=organisation, user=viewer, role=MemberRole.VIEWER)
    for outsider in (viewer, other_cso_user, officer):
        with pytest.raises(DomainError):
            psea_submit(actor=outsider, organisation=organisation, answers=YES)
    with pytest.raises(DomainError) as refused:
        psea_submit(actor=cso_user, organisation=organisation, answers={**YES, "training": "maybe"})
    assert refused.value.field == "q_training"
    assessment = psea_submit(actor=cso_user, organisation=organisation, answers=YES, comment="All in place")
    assert AuditEvent.objects.get(verb="risk.psea_submit").data == {"organisation": organisation.pk, "yes": 8, "questions": 8}
    with pytest.raises(DomainError) as refused:
        psea_rate(actor=officer, assessment=assessment, rating="low")
    assert refused.value.field == "rating_note"  # a low rating says what to put right
    assert PseaAssessment.objects.get().rated_at is None
    with pytest.raises(DomainError):
        psea_rate(actor=cso_user, assessment=assessment, rating="full")
    psea_rate(actor=officer, assessment=assessment, rating="medium")
    assert AuditEvent.objects.get(verb="risk.psea_rate").data["to"] == "medium"


def test_a_spot_check_or_visit_is_recorded_on_a_running_grant(officer, programme):
    grant = signed_grant(programme=programme, signer=officer)
    today = timezone.localdate()
    for change, field in (({"done_on": today + timedelta(days=1)}, "done_on"), ({"done_by": " "}, "done_by"),
                          ({"kind": "audit"}, "kind"), ({"summary": ""}, "summary"),
                          ({"done_on": grant.signed_on - timedelta(days=1)}, "done_on")):
        values = {"kind": AssuranceKind.VISIT, "done_on": today, "done_by": "Omar", "summary": "On track", **change}
        with pytest.raises(DomainError) as refused:
            activity_record(actor=officer, grant=grant, **values)
        assert refused.value.field == field
    activity_record(actor=officer, grant=grant, kind=AssuranceKind.SPOT_CHECK, done_on=today, done_by="Firm", summary="Fine")
    assert AuditEvent.objects.get(verb="assurance.spot_check").target_id == str(grant.pk)
    draft = awarded_grant(programme=programme)
    with pytest.raises(DomainError) as refused:
        activity_record(actor=officer, grant=draft, kind="visit", done_on=today, done_by="Omar", summary="Too early")
    assert refused.value.code == "not_running"
    assert AssuranceActivity.objects.count() == 1


def test_the_plan_spreads_over_the_days_the_grant_runs():
    whole = Grant(start_date=date(2025, 6, 1), end_date=date(2027, 5, 31))
    plan = _plan(4, 1, whole, 2026)
    assert plan.planned == 4
    assert plan.due_days == [date(2026, 4, 2), date(2026, 7, 2), date(2026, 10, 1), date(2026, 12, 31)]  # k/4 of 365 days
    assert plan.next_due == date(2026, 7, 2)
    half = Grant(start_date=date(2026, 7, 1), end_date=date(2028, 6, 30))
    assert _plan(3, 0, half, 2026).planned == 2  # 3 x 184/365, rounded up
    assert _plan(3, 0, Grant(start_date=date(2027, 1, 1), end_date=date(2028, 1, 1)), 2026).planned == 0


def test_coverage_counts_planned_done_and_overdue(officer, programme, monkeypatch):
    monkeypatch.setattr("grants.risk.selectors._today", lambda: date(2026, 10, 1))
    low = signed_grant(programme=programme, signer=officer, start=date(2026, 1, 1), end=date(2026, 12, 31))
    high = signed_grant(programme=programme, signer=officer, start=date(2026, 1, 1), end=date(2026, 12, 31))
    rules_adopt(actor=officer, programme=programme)  # after the signatures: 80% in advance is above a high risk's share
    assess(officer, low.organisation, RiskRating.LOW, days_ago=1)
    from grants.risk.models import AssuranceActivity as Activity

    Activity.objects.create(grant=high, kind="visit", done_on=date(2026, 2, 1), done_by="Omar", summary="x", recorded_by=officer)
    rows = {row.grant.pk: row for row in assurance_rows(Grant.objects.all(), 2026)}
    assert (rows[low.pk].rating, rows[high.pk].rating) == ("low", "high")
    # High risk: 3 spot checks (due 2 May, 1 Sep, 31 Dec) and 4 visits (due 2 Apr, 2 Jul, 1 Oct, 31 Dec); on 1 October
    # two spot checks and one visit (two due, one done) are overdue.
    assert (rows[high.pk].spot_checks.planned, rows[high.pk].visits.planned, rows[high.pk].visits.done) == (3, 4, 1)
    assert (rows[high.pk].spot_checks.overdue, rows[high.pk].visits.overdue) == (2, 1)
    assert rows[low.pk].overdue == 0  # one of each, due 31 December
    result = coverage(Grant.objects.all(), 2026)
    assert result.total.grants == 2 and result.total.overdue == 3 and result.total.visits_done == 1
    assert result.by_rating["high"].spot_checks_planned == 3 and result.by_rating["low"].grants == 1
    assert [row.grant.pk for row in result.overdue_rows] == [high.pk]
    assert overdue_grants_count() == 1
