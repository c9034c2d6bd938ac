from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import DomainError
from disbursements.fx import fx_rate_set
from disbursements.models import ApprovedExpenditure
from disbursements.schedule import schedule_status
from disbursements.services import payment_record
from grants.models import AgreementStatus, FxBasis
from notifications.models import Notification
from reports import services
from reports.models import ExpenditureLine, Report, ReportAttachment, ReportStatus

from ..grant_helpers import signed_grant

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NARRATIVE = {"summary": "Shelters opened.", "activities": "Training, outreach.", "safeguarding_incidents": False}


def fill(actor, report, expenditure=None, **data):
    """Save a complete draft of the report's latest version."""
    version = report.versions.order_by("-number").first()
    indicators = [{"id": i.pk, "actual": "12", "comment": "On track"} for i in version.indicators.all()]
    services.report_save(
        actor=actor, version=version, data={**NARRATIVE, **data}, indicators=indicators,
        expenditure=expenditure if expenditure is not None else {"1": "60000.00", "5": "20000.00"},
    )
    return version


def submitted(actor, grant, period=1, **kwargs):
    report = services.report_open(actor=actor, grant=grant, period_number=period)
    fill(actor, report, **kwargs)
    services.report_submit(actor=actor, report=report)
    report.refresh_from_db()
    return report


# ---- open -----------------------------------------------------------------------------------------------------


def test_open_creates_version_one_with_indicators_and_currency(grant, cso_user):
    grant.reporting_currency = "NPR"
    grant.save(update_fields=["reporting_currency"])
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    assert (report.period_start, report.period_end, report.due_date, report.is_final) == (date(2026, 1, 1), date(2026, 12, 31), date(2027, 3, 1), False)
    version = report.versions.get()
    assert (version.number, version.status, version.currency) == (1, ReportStatus.DRAFT, "NPR")
    assert [(i.statement, i.target, i.actual) for i in version.indicators.all()] == [
        ("Child victims recover", Decimal("150.00"), None), ("Shelter places", Decimal("40.00"), None),
    ]
    assert AuditEvent.objects.filter(verb="report.open").count() == 1


def test_open_is_idempotent(grant, cso_user, editor):
    first = services.report_open(actor=cso_user, grant=grant, period_number=1)
    again = services.report_open(actor=editor, grant=grant, period_number=1)
    assert first.pk == again.pk
    assert Report.objects.count() == 1 and first.versions.count() == 1


def test_open_without_application_has_no_indicators(call, organisation, cso_user):
    grant = signed_grant(call=call, organisation=organisation)  # one period: the final report, 2026
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    assert report.is_final and not report.versions.get().indicators.exists()


@pytest.mark.parametrize("status", [AgreementStatus.DRAFT, AgreementStatus.CLOSED, AgreementStatus.TERMINATED])
def test_open_refused_unless_agreement_reports(grant, cso_user, status):
    type(grant).objects.filter(pk=grant.pk).update(status=status)
    with pytest.raises(DomainError) as exc:
        services.report_open(actor=cso_user, grant=grant, period_number=1)
    assert exc.value.code == "not_reporting" and not Report.objects.exists()


def test_open_refused_for_viewer_other_org_and_staff(grant, viewer, other_cso_user, officer):
    for user in (viewer, other_cso_user, officer):
        with pytest.raises(DomainError) as exc:
            services.report_open(actor=user, grant=grant, period_number=1)
        assert exc.value.code == "forbidden"


def test_open_unknown_period_and_early_final(grant, cso_user, call, organisation):
    with pytest.raises(DomainError) as exc:
        services.report_open(actor=cso_user, grant=grant, period_number=4)
    assert exc.value.field == "period_number"
    start = timezone.localdate() + timedelta(days=30)
    future = signed_grant(call=call, organisation=organisation, start=start, end=start + timedelta(days=700), signed_on=timezone.localdate())
    with pytest.raises(DomainError) as exc:
        services.report_open(actor=cso_user, grant=future, period_number=2)
    assert exc.value.code == "too_early"
    assert services.report_open(actor=cso_user, grant=future, period_number=1).period_number == 1


# ---- save -----------------------------------------------------------------------------------------------------


def test_save_accepts_blanks_and_writes_fields(grant, cso_user):
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    version = report.versions.get()
    services.report_save(actor=cso_user, version=version, data={"summary": "", "women": "", "safeguarding_incidents": None}, indicators=[], expenditure={"1": ""})
    version.refresh_from_db()
    assert version.summary == "" and version.women is None and not version.expenditure_lines.exists()
    item = version.indicators.first()
    services.report_save(
        actor=cso_user, version=version, data={"summary": " Progress ", "women": "12", "currency": "npr"},
        indicators=[{"id": item.pk, "actual": "7.5", "comment": "Half way"}], expenditure={"2": "100.10", "3": "0"},
    )
    version.refresh_from_db()
    item.refresh_from_db()
    assert (version.summary, version.women, version.currency) == ("Progress", 12, "NPR")
    assert (item.actual, item.comment) == (Decimal("7.50"), "Half way")
    assert dict(version.expenditure_lines.values_list("heading", "amount")) == {"2": Decimal("100.10"), "3": Decimal("0.00")}
    services.report_save(actor=cso_user, version=version, data={}, indicators=[], expenditure={"2": "5"})
    assert dict(version.expenditure_lines.values_list("heading", "amount")) == {"2": Decimal("5.00")}


@pytest.mark.parametrize("data, expenditure, indicator, field", [
    ({"women": "many"}, {}, None, "women"),
    ({"men": "-1"}, {}, None, "men"),
    ({"girls": "1.5"}, {}, None, "girls"),
    ({"currency": "XYZ"}, {}, None, "currency"),
    ({"safeguarding_incidents": "maybe"}, {}, None, "safeguarding_incidents"),
    ({}, {"1": "10.001"}, None, "expenditure_1"),
    ({}, {"1": "-5"}, None, "expenditure_1"),
    ({}, {"9": "5"}, None, "expenditure"),
    ({}, {}, "abc", "indicators-0-actual"),
])
def test_save_refuses_malformed_values_per_field(grant, cso_user, data, expenditure, indicator, field):
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    version = report.versions.get()
    indicators = [{"id": version.indicators.first().pk, "actual": indicator}] if indicator else []
    with pytest.raises(DomainError) as exc:
        services.report_save(actor=cso_user, version=version, data={"summary": "kept?", **data}, indicators=indicators, expenditure=expenditure)
    assert exc.value.field == field
    version.refresh_from_db()
    assert version.summary == ""


def test_save_refused_for_viewer(grant, cso_user, viewer):
    version = services.report_open(actor=cso_user, grant=grant, period_number=1).versions.get()
    with pytest.raises(DomainError) as exc:
        services.report_save(actor=viewer, version=version, data={"summary": "x"}, indicators=[], expenditure={})
    assert exc.value.code == "forbidden"


# ---- submit ---------------------------------------------------------------------------------------------------


def test_submit_lists_every_missing_field(grant, cso_user):
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    with pytest.raises(services.ReportIncomplete) as exc:
        services.report_submit(actor=cso_user, report=report)
    assert exc.value.field == ["summary", "activities", "safeguarding_incidents", "indicators-0-actual", "indicators-1-actual", "expenditure"]
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT


def test_submit_requires_follow_up_of_incidents(grant, cso_user):
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    fill(cso_user, report, safeguarding_incidents=True)
    with pytest.raises(services.ReportIncomplete) as exc:
        services.report_submit(actor=cso_user, report=report)
    assert exc.value.field == ["safeguarding_follow_up"]
    fill(cso_user, report, safeguarding_incidents=True, safeguarding_follow_up="Referred to the police.")
    assert services.report_submit(actor=cso_user, report=report).status == ReportStatus.SUBMITTED


def test_submit_in_eur_locks_and_tells_officers(grant, cso_user, officer, finance, django_capture_on_commit_callbacks):
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    fill(cso_user, report, expenditure={"1": "0"})  # zero expenditure is a valid report
    with django_capture_on_commit_callbacks(execute=True):
        version = services.report_submit(actor=cso_user, report=report)
    report.refresh_from_db()
    assert report.status == version.status == ReportStatus.SUBMITTED and report.submitted_at and version.submitted_by == cso_user
    assert (version.total_eur, version.fx_rate, version.fx_months) == (Decimal("0.00"), None, "")
    # Officers hear of it in the app and in their daily digest (the default for submitted reports), not at once.
    assert [(n.recipient, n.channel) for n in Notification.objects.filter(kind="report_submitted")] == [(officer, "digest")]
    assert mail.outbox == []
    with pytest.raises(DomainError):
        services.report_save(actor=cso_user, version=version, data={"summary": "late edit"}, indicators=[], expenditure={})
    with pytest.raises(DomainError) as exc:
        services.report_submit(actor=cso_user, report=report)
    assert exc.value.code == "invalid_status"


def test_submit_converts_monthly_with_stored_rate(grant, cso_user, administrator):
    fx_rate_set(actor=administrator, currency="NPR", month="2026-12", rate="150.123456", source="InforEuro")
    fx_rate_set(actor=administrator, currency="NPR", month="2026-11", rate="999", source="Other")
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    fill(cso_user, report, currency="NPR", expenditure={"1": "1000000.00", "2": "100.00", "3": "0.01"})
    version = services.report_submit(actor=cso_user, report=report)
    lines = dict(version.expenditure_lines.values_list("heading", "amount_eur"))
    # Each line rounded once: 1,000,000 / 150.123456 = 6661.1841..., 100 / 150.123456 = 0.6661..., 0.01 -> 0.00
    assert lines == {"1": Decimal("6661.18"), "2": Decimal("0.67"), "3": Decimal("0.00")}
    assert version.total_eur == Decimal("6661.85")
    assert (version.fx_rate, version.fx_months, version.fx_source) == (Decimal("150.123456"), "2026-12", "InforEuro")


def test_submit_converts_with_period_average(grant, cso_user, administrator):
    programme = grant.call.programme
    programme.fx_basis = FxBasis.AVERAGE
    programme.save(update_fields=["fx_basis"])
    for month in range(1, 13):
        fx_rate_set(actor=administrator, currency="NPR", month=f"2026-{month:02d}", rate=str(100 + month * 10), source="InforEuro")
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    fill(cso_user, report, currency="NPR", expenditure={"1": "16500.00"})
    version = services.report_submit(actor=cso_user, report=report)
    assert version.fx_rate == Decimal("165.000000")  # (110 + ... + 220) / 12
    assert version.fx_months.startswith("2026-01, 2026-02") and version.fx_months.endswith("2026-12")
    assert version.total_eur == Decimal("100.00")


def test_submit_missing_rate_names_currency_and_month(grant, cso_user):
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    fill(cso_user, report, currency="MAD")
    with pytest.raises(DomainError) as exc:
        services.report_submit(actor=cso_user, report=report)
    assert exc.value.field == "currency" and "MAD" in exc.value.message and "2026-12" in exc.value.message
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT
    assert not ExpenditureLine.objects.filter(amount_eur__isnull=False).exists()


# ---- review ---------------------------------------------------------------------------------------------------


def test_request_changes_keeps_version_and_opens_copy(grant, cso_user, editor, officer, django_capture_on_commit_callbacks):
    report = submitted(cso_user, grant)
    first = report.versions.get()
    with pytest.raises(DomainError) as exc:
        services.report_request_changes(actor=officer, report=report, comment=" ")
    assert exc.value.field == "comment"
    with django_capture_on_commit_callbacks(execute=True):
        draft = services.report_request_changes(actor=officer, report=report, comment="Add the training figures.")
    report.refresh_from_db()
    first.refresh_from_db()
    assert report.status == ReportStatus.CHANGES_REQUESTED
    assert (first.status, first.review_comment, first.reviewed_by, first.summary) == (ReportStatus.CHANGES_REQUESTED, "Add the training figures.", officer, "Shelters opened.")
    assert (draft.number, draft.status, draft.summary, draft.safeguarding_incidents) == (2, ReportStatus.DRAFT, "Shelters opened.", False)
    assert [i.actual for i in draft.indicators.all()] == [Decimal("12.00")] * 2
    assert dict(draft.expenditure_lines.values_list("heading", "amount")) == {"1": Decimal("60000.00"), "5": Decimal("20000.00")}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([cso_user.email, editor.email])
    # The old version stays read-only; the new one is edited and submitted again.
    with pytest.raises(DomainError):
        services.report_save(actor=cso_user, version=first, data={"summary": "x"}, indicators=[], expenditure={})
    services.report_save(actor=cso_user, version=draft, data={"summary": "With figures."}, indicators=[], expenditure=None)
    version = services.report_submit(actor=cso_user, report=report)
    first.refresh_from_db()
    assert (version.number, version.summary, first.summary) == (2, "With figures.", "Shelters opened.")


def test_review_needs_programme_officer(grant, cso_user, finance, donor):
    report = submitted(cso_user, grant)
    for user in (finance, donor, cso_user):
        with pytest.raises(DomainError):
            services.report_approve(actor=user, report=report)
        with pytest.raises(DomainError):
            services.report_request_changes(actor=user, report=report, comment="No")


def test_review_refused_unless_submitted(grant, cso_user, officer):
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    with pytest.raises(DomainError) as exc:
        services.report_approve(actor=officer, report=report)
    assert exc.value.code == "invalid_status"
    assert not ApprovedExpenditure.objects.exists()


def test_approve_feeds_the_payment_schedule(grant, cso_user, officer, finance, django_capture_on_commit_callbacks):
    tranche_1, tranche_2 = list(grant.tranches.order_by("number"))[:2]
    payment_record(actor=finance, tranche=tranche_1, amount="100000.00", value_date=date(2026, 2, 1), bank_reference="BANK-1")
    assert schedule_status(grant)[1].payable == 0
    report = submitted(cso_user, grant, expenditure={"1": "60000.00", "5": "20000.00"})  # 80% of tranche 1
    with django_capture_on_commit_callbacks(execute=True):
        version = services.report_approve(actor=officer, report=report, comment="Well documented.")
    report.refresh_from_db()
    assert (report.status, report.approved_by, version.status, version.review_comment) == (
        ReportStatus.APPROVED, officer, ReportStatus.APPROVED, "Well documented.")
    row = ApprovedExpenditure.objects.get()
    assert (row.period_number, row.is_final, row.amount, row.period_end, row.source) == (
        1, False, Decimal("80000.00"), date(2026, 12, 31), f"{grant.reference} report 1 v1")
    grant.refresh_from_db()
    state = schedule_status(grant)[1]
    assert state.tranche == tranche_2 and state.payable == Decimal("100000.00")
    assert [m.to for m in mail.outbox] == [[cso_user.email]]
    with pytest.raises(DomainError):
        services.report_approve(actor=officer, report=report)
    assert ApprovedExpenditure.objects.count() == 1


# ---- attachments ----------------------------------------------------------------------------------------------


def test_attachments_copied_to_new_version_and_file_kept(grant, cso_user, officer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    version = fill(cso_user, report)
    with pytest.raises(ValidationError):
        services.report_attach(actor=cso_user, version=version, title="Fake", upload=SimpleUploadedFile("x.pdf", b"not a pdf"))
    attachment = services.report_attach(actor=cso_user, version=version, title="Receipts", upload=SimpleUploadedFile("r.pdf", PDF))
    services.report_submit(actor=cso_user, report=report)
    with pytest.raises(DomainError):
        services.report_detach(actor=cso_user, attachment=attachment)
    draft = services.report_request_changes(actor=officer, report=report, comment="More receipts.")
    copy = draft.attachments.get()
    assert copy.file.name == attachment.file.name and copy.title == "Receipts"
    services.report_detach(actor=cso_user, attachment=copy)
    assert ReportAttachment.objects.filter(pk=attachment.pk).exists() and attachment.file.storage.exists(attachment.file.name)
