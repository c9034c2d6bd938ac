from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from disbursements.fx import fx_rate_set
from disbursements.models import ApprovedExpenditure
from reports import selectors, services
from reports.models import ReportStatus

from ..conftest import login
from ..grant_helpers import signed_grant
from .test_services import PDF, fill, submitted


def form_data(report, action="save", **overrides):
    """What the edit page posts, with every indicator's actual value filled."""
    version = report.versions.order_by("-number").first()
    items = list(version.indicators.all())
    data = {
        "summary": "Shelters opened.", "activities": "Training.", "challenges": "", "lessons_learned": "",
        "safeguarding_incidents": "false", "safeguarding_follow_up": "", "women": "10", "men": "", "girls": "", "boys": "",
        "victims_of_trafficking": "", "smuggled_migrants": "", "currency": "EUR",
        "indicators-TOTAL_FORMS": str(len(items)), "indicators-INITIAL_FORMS": str(len(items)),
        "action": action,
    }
    for i, item in enumerate(items):
        data.update({f"indicators-{i}-id": str(item.pk), f"indicators-{i}-actual": "5", f"indicators-{i}-comment": ""})
    # The agreement's first budget line (heading 1, "Staff"): the form reports by line.
    data[f"line_{report.grant.budget_lines.order_by('position', 'id').first().pk}"] = overrides.pop("expenditure_1", "1000.00")
    data.update(overrides)
    return data


# ---- access ---------------------------------------------------------------------------------------------------


def test_anonymous_redirected_to_login(client, grant, cso_user):
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    for url in (reverse("report_list", args=[grant.reference]), reverse("report_queue"), reverse("report_edit", args=[report.pk]),
                reverse("report_review", args=[report.pk]), reverse("report_version", args=[report.pk, 1])):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_reviewer_gets_403_everywhere(client, grant, cso_user, reviewer):
    report = submitted(cso_user, grant)
    login(client, reviewer)
    for url in (reverse("report_list", args=[grant.reference]), reverse("report_queue"), reverse("report_edit", args=[report.pk]),
                reverse("report_review", args=[report.pk])):
        assert client.get(url).status_code == 403


def test_other_organisation_gets_404(client, grant, cso_user, other_cso_user):
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    login(client, other_cso_user)
    assert client.get(reverse("report_list", args=[grant.reference])).status_code == 404
    assert client.get(reverse("report_edit", args=[report.pk])).status_code == 404
    assert client.post(reverse("report_edit", args=[report.pk]), form_data(report)).status_code == 404
    assert client.get(reverse("report_version", args=[report.pk, 1])).status_code == 404


def test_applicant_cannot_use_officer_pages(client, grant, cso_user):
    report = submitted(cso_user, grant)
    login(client, cso_user)
    assert client.get(reverse("report_queue")).status_code == 403
    assert client.get(reverse("report_review", args=[report.pk])).status_code == 403


def test_viewer_reads_but_cannot_write(client, grant, cso_user, viewer):
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    login(client, viewer)
    page = client.get(reverse("report_list", args=[grant.reference]))
    assert page.status_code == 200 and b"Start" not in page.content
    assert client.post(reverse("report_list", args=[grant.reference]), {"period": "2"}).status_code == 403
    page = client.get(reverse("report_edit", args=[report.pk]))
    assert page.status_code == 200 and b"Submit report" not in page.content
    assert client.post(reverse("report_edit", args=[report.pk]), form_data(report)).status_code == 403


def test_staff_do_not_see_drafts_and_finance_donor_read_only(client, grant, cso_user, finance, donor, officer):
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    login(client, officer)
    assert client.get(reverse("report_review", args=[report.pk])).status_code == 404
    fill(cso_user, report)
    services.report_submit(actor=cso_user, report=report)
    for user in (finance, donor):
        login(client, user)
        page = client.get(reverse("report_review", args=[report.pk]))
        assert page.status_code == 200 and b"Approve the report" not in page.content
        assert client.post(reverse("report_review", args=[report.pk]), {"action": "approve"}).status_code == 403
        assert client.get(reverse("report_queue")).status_code == 200
    login(client, officer)
    assert client.get(reverse("report_edit", args=[report.pk])).status_code == 302


# ---- grantee pages --------------------------------------------------------------------------------------------


def test_list_starts_and_continues_reports(client, grant, cso_user):
    login(client, cso_user)
    page = client.get(reverse("report_list", args=[grant.reference]))
    assert page.status_code == 200
    assert page.content.count(b">Start<") == 2 and b"1 March 2027" in page.content and b"Opens 1 January 2028" in page.content
    response = client.post(reverse("report_list", args=[grant.reference]), {"period": "1"})
    report = grant.reports.get()
    assert response.status_code == 302 and response["Location"] == reverse("report_edit", args=[report.pk])
    page = client.get(reverse("report_list", args=[grant.reference]))
    assert b"Continue" in page.content and page.content.count(b">Start<") == 1  # the final period has not begun
    response = client.post(reverse("report_list", args=[grant.reference]), {"period": "3"})
    assert response.status_code == 400 and b"can be started once its period has begun" in response.content


def test_edit_saves_and_submits(client, grant, cso_user, officer):
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    login(client, cso_user)
    page = client.get(reverse("report_edit", args=[report.pk]))
    assert page.status_code == 200 and b"Children reintegrated" in page.content and b"300,000.00" in page.content
    response = client.post(reverse("report_edit", args=[report.pk]), form_data(report))
    assert response.status_code == 302
    version = report.versions.get()
    assert version.summary == "Shelters opened." and version.women == 10 and version.safeguarding_incidents is False
    page = client.get(reverse("report_edit", args=[report.pk]))
    assert b'<option value="false" selected>No</option>' in page.content and b"Not answered yet" in page.content
    assert client.post(reverse("report_edit", args=[report.pk]), form_data(report, action="submit")).status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    page = client.get(reverse("report_edit", args=[report.pk]))
    assert b"can no longer be changed" in page.content and b"Submit report" not in page.content


def test_edit_malformed_input_is_400_and_kept(client, grant, cso_user):
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    login(client, cso_user)
    response = client.post(reverse("report_edit", args=[report.pk]), form_data(report, women="lots", summary="Typed text", expenditure_2="1.234"))
    assert response.status_code == 400
    assert b"Enter a whole number of people." in response.content and b"Typed text" in response.content
    assert report.versions.get().summary == ""


def test_submit_refusals_are_shown_beside_fields(client, grant, cso_user):
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    login(client, cso_user)
    response = client.post(reverse("report_edit", args=[report.pk]), form_data(
        report, action="submit", summary="", expenditure_1="", **{"indicators-1-actual": ""}))
    assert response.status_code == 400
    content = response.content.decode()
    assert "This field is required to submit the report." in content and "Give the actual value reached." in content
    assert "Report the expenditure of the period" in content
    assert report.versions.get().women == 10  # the draft was saved first


def test_missing_rate_shown_on_currency(client, grant, cso_user):
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    login(client, cso_user)
    response = client.post(reverse("report_edit", args=[report.pk]), form_data(report, action="submit", currency="NPR"))
    assert response.status_code == 400 and b"There is no NPR rate for 2026-12" in response.content


def test_attach_download_and_remove(client, grant, cso_user, other_cso_user, officer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    login(client, cso_user)
    data = form_data(report, action="attach", **{"att-title": "Receipts", "att-file": SimpleUploadedFile("r.pdf", PDF)})
    assert client.post(reverse("report_edit", args=[report.pk]), data).status_code == 302
    attachment = report.versions.get().attachments.get()
    url = reverse("report_attachment", args=[report.pk, attachment.pk])
    assert client.get(url).status_code == 200
    bad = form_data(report, action="attach", **{"att-file": SimpleUploadedFile("x.pdf", b"plain text")})
    response = client.post(reverse("report_edit", args=[report.pk]), bad)
    assert response.status_code == 400 and b"not an accepted type" in response.content
    login(client, other_cso_user)
    assert client.get(url).status_code == 404
    login(client, officer)
    assert client.get(url).status_code == 404  # a draft's documents stay with the grantee
    login(client, cso_user)
    assert client.post(reverse("report_edit", args=[report.pk]), form_data(report, action=f"remove:{attachment.pk}")).status_code == 302
    assert not report.versions.get().attachments.exists()


# ---- officer pages --------------------------------------------------------------------------------------------


def test_review_shows_conversion_and_approves(client, grant, cso_user, officer, administrator):
    fx_rate_set(actor=administrator, currency="NPR", month="2026-12", rate="150", source="InforEuro")
    report = submitted(cso_user, grant, currency="NPR", expenditure={"1": "1500000.00"})
    login(client, officer)
    page = client.get(reverse("report_review", args=[report.pk]))
    content = page.content.decode()
    assert page.status_code == 200 and "150.000000" in content and "2026-12" in content and "InforEuro" in content
    assert "10,000.00" in content and "300,000.00" in content
    response = client.post(reverse("report_review", args=[report.pk]), {"action": "changes", "comment": ""})
    assert response.status_code == 400 and "Say what needs to change." in response.content.decode()
    response = client.post(reverse("report_review", args=[report.pk]), {"action": "approve", "comment": "Fine."})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED
    assert ApprovedExpenditure.objects.get(grant=grant).amount == Decimal("10000.00")


def test_request_changes_then_grantee_sees_comment_and_previous(client, grant, cso_user, officer):
    report = submitted(cso_user, grant)
    login(client, officer)
    assert client.post(reverse("report_review", args=[report.pk]), {"action": "changes", "comment": "Add receipts."}).status_code == 302
    login(client, cso_user)
    page = client.get(reverse("report_edit", args=[report.pk]))
    content = page.content.decode()
    assert "Add receipts." in content and "Submit report" in content and reverse("report_version", args=[report.pk, 1]) in content
    old = client.get(reverse("report_version", args=[report.pk, 1]))
    assert old.status_code == 200 and b"Shelters opened." in old.content


def _grants(n, call, organisation):
    for i in range(n):
        signed_grant(call=call, organisation=organisation, amount="10000.00", start=date(2024, 1, 1), end=date(2025, 12, 31))


def test_queue_lists_waiting_then_overdue_with_constant_queries(client, grant, cso_user, officer, call, organisation):
    report = submitted(cso_user, grant)
    login(client, officer)
    _grants(2, call, organisation)
    with CaptureQueriesContext(connection) as few:
        page = client.get(reverse("report_queue"))
    content = page.content.decode()
    assert page.status_code == 200 and str(report) in content and content.count("Final report") == 2
    _grants(10, call, organisation)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("report_queue"))
    assert page.content.decode().count("Final report") == 12
    assert len(many) == len(few)


def test_list_query_count_constant(client, grant, cso_user, django_assert_max_num_queries):
    login(client, cso_user)
    for period in (1, 2):
        services.report_open(actor=cso_user, grant=grant, period_number=period)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("report_list", args=[grant.reference])).status_code == 200
    with django_assert_max_num_queries(len(queries)):
        client.get(reverse("report_list", args=[grant.reference]))
    assert len(queries) <= 12


def test_editor_may_write(client, grant, editor):
    login(client, editor)
    assert client.post(reverse("report_list", args=[grant.reference]), {"period": "1"}).status_code == 302


def test_queue_shows_the_overdue_due_earliest_and_follows_changes_at_once(client, cso_user, officer, call, organisation, monkeypatch):
    """The overdue part is cached, capped and counted; a change anywhere (here a report submitted) shows at once."""
    from tests.reports.test_services import submitted

    monkeypatch.setattr(selectors, "OVERDUE_SHOWN", 1)
    _grants(2, call, organisation)
    login(client, officer)
    total, (first,) = selectors.overdue_summary(timezone.localdate())
    content = client.get(reverse("report_queue")).content.decode()
    assert f"The 1 due earliest of {total} overdue reports" in content and first.grant.reference in content
    submitted(cso_user, first.grant, period=first.period.number)
    content = client.get(reverse("report_queue")).content.decode()
    assert f"The 1 due earliest of {total - 1} overdue reports" in content or total - 1 <= 1
    assert selectors.overdue_summary(timezone.localdate())[0] == total - 1
