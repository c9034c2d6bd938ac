"""A report's upload that seems to hold personal data: the page comes back with the warning on the file field (kind
and place, the value masked), the draft saved, nothing attached; the same file chosen again with the box ticked is
attached and the confirmation audited; the box does not cover another file; a clean file attaches at once."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from lxml import html
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from audit.models import AuditEvent
from core.personal_data import PersonalDataFound
from reports import services

from ..conftest import login
from .test_views import form_data


def pdf(*pages):
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer, pagesize=A4)
    for lines in pages:
        for n, line in enumerate(lines):
            sheet.drawString(40, 800 - 14 * n, line)
        sheet.showPage()
    sheet.save()
    return buffer.getvalue()


ANNEX = pdf(["Annex 2: people assisted"], ["Shelter register", "Amina Bello, DOB: 12/03/2009, passport no. A12345678"])
CLEAN = pdf(["Invoice date: 12/03/2025", "Invoice no. 2025-00123, amount 1,250.00 EUR"])


@pytest.fixture
def report(grant, cso_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return services.report_open(actor=cso_user, grant=grant, period_number=1)


def post(client, report, content, name="annex.pdf", **extra):
    data = form_data(report, action="attach", **{"att-title": "Annex", "att-file": SimpleUploadedFile(name, content), **extra})
    data["summary"] = "Typed before attaching."
    return client.post(reverse("report_edit", args=[report.pk]), data)


def field_errors(response):
    tree = html.fromstring(response.content.decode())
    return [" ".join(p.text_content().split()) for p in tree.xpath("//p[contains(@class, 'field-error')]")]


def test_the_warning_lists_what_was_found_masked_keeps_the_draft_and_attaches_nothing(client, report, cso_user):
    login(client, cso_user)
    response = post(client, report, ANNEX)
    assert response.status_code == 400
    errors = field_errors(response)
    assert any("seems to hold personal data (2 findings)" in e for e in errors)
    assert "Passport number •••••••78 (page 2, line 2)" in errors
    assert "Date of birth ••/••/•••• (page 2, line 2)" in errors
    body = response.content.decode()
    assert "A12345678" not in body and "12/03/2009" not in body
    tree = html.fromstring(body)
    assert tree.xpath("//input[@name='att-confirm_personal_data'][@type='checkbox']")
    assert tree.xpath("//input[@name='att-checked'][@type='hidden']")[0].get("value")
    version = report.versions.get()
    assert version.summary == "Typed before attaching."  # the draft was saved
    assert not version.attachments.exists()
    assert not AuditEvent.objects.filter(verb="report.personal_data_confirmed").exists()


def test_the_same_file_confirmed_is_attached_and_the_confirmation_audited_masked(client, report, cso_user):
    login(client, cso_user)
    warned = html.fromstring(post(client, report, ANNEX).content.decode())
    token = warned.xpath("//input[@name='att-checked']")[0].get("value")
    response = post(client, report, ANNEX, **{"att-checked": token, "att-confirm_personal_data": "on"})
    assert response.status_code == 302
    attachment = report.versions.get().attachments.get()
    event = AuditEvent.objects.get(verb="report.personal_data_confirmed")
    assert event.actor == cso_user and event.data["attachment"] == attachment.pk
    assert sorted((f["kind"], f["page"], f["line"], f["masked"]) for f in event.data["findings"]) == [
        ("birth_date", 2, 2, "••/••/••••"), ("passport", 2, 2, "•••••••78")]
    assert "A12345678" not in str(event.data)


def test_the_box_without_the_warning_or_for_another_file_does_not_confirm(client, report, cso_user):
    login(client, cso_user)
    assert post(client, report, ANNEX, **{"att-confirm_personal_data": "on"}).status_code == 400  # no warning seen
    warned = html.fromstring(post(client, report, ANNEX).content.decode())
    token = warned.xpath("//input[@name='att-checked']")[0].get("value")
    other = pdf(["Second register", "Marie Dupont, née le 3 mars 1998"])
    response = post(client, report, other, **{"att-checked": token, "att-confirm_personal_data": "on"})
    assert response.status_code == 400 and "Date of birth" in " ".join(field_errors(response))
    forged = post(client, report, ANNEX, **{"att-checked": token + "x", "att-confirm_personal_data": "on"})
    assert forged.status_code == 400
    assert not report.versions.get().attachments.exists()


def test_a_clean_file_attaches_at_once(client, report, cso_user):
    login(client, cso_user)
    assert post(client, report, CLEAN).status_code == 302
    assert report.versions.get().attachments.count() == 1
    assert not AuditEvent.objects.filter(verb="report.personal_data_confirmed").exists()


def test_the_service_refuses_without_confirmation_and_audits_with_it(report, cso_user):
    version = report.versions.get()
    with pytest.raises(PersonalDataFound) as found:
        services.report_attach(actor=cso_user, version=version, title="", upload=SimpleUploadedFile("a.pdf", ANNEX))
    assert found.value.field == "file" and len(found.value.findings) == 2
    assert not version.attachments.exists()
    services.report_attach(actor=cso_user, version=version, title="", upload=SimpleUploadedFile("a.pdf", ANNEX),
                           personal_data_confirmed=True)
    assert version.attachments.count() == 1
    event = AuditEvent.objects.get(verb="report.personal_data_confirmed")
    assert event.data["report"] == report.pk and len(event.data["findings"]) == 2


def test_many_findings_are_listed_up_to_ten_then_counted(client, report, cso_user):
    lines = [f"Person {n}, DOB: 0{n % 9 + 1}/03/2009" for n in range(14)]
    login(client, cso_user)
    errors = field_errors(post(client, report, pdf(lines)))
    assert sum(e.startswith("Date of birth") for e in errors) == 10
    assert "and 4 more" in errors
