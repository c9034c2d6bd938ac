"""Files are uploaded only by accounts whose e-mail address is verified: due-diligence documents, application and
report attachments. The refusal says to confirm the address first, and keeps everything else that was typed."""
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts import roles as R
from accounts.access import require_verified_email_to_upload
from accounts.diligence.services import document_upload
from accounts.models import DueDiligenceDocument, MemberRole
from accounts.services import membership_set
from applications.models import Application, Attachment
from applications.services import attachment_add
from core.errors import DomainError
from reports import services as report_services
from reports.models import ReportAttachment

from ..conftest import make_user
from ..grant_helpers import signed_grant
from ..reports.conftest import with_logframe
from ..reports.test_views import form_data

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
MESSAGE = "Please confirm your e-mail address before uploading files"


def pdf(name="file.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def unverified(organisation):
    """A self-registered organisation administrator who has not opened the verification link yet."""
    user = make_user(R.APPLICANT)
    membership_set(actor=None, organisation=organisation, user=user, role=MemberRole.ORG_ADMIN)
    return user


def verify(user):
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])


def refused_for_unverified(upload):
    with pytest.raises(DomainError) as exc:
        upload()
    assert exc.value.code == "email_unverified" and exc.value.field == "file"


def test_only_self_registered_accounts_must_verify_before_uploading(db, officer, finance, unverified):
    require_verified_email_to_upload(officer)  # staff accounts are made by administrators: nothing to prove
    require_verified_email_to_upload(finance)
    refused_for_unverified(lambda: require_verified_email_to_upload(unverified))
    verify(unverified)
    require_verified_email_to_upload(unverified)


# --- Due diligence ---------------------------------------------------------------------------------------------

def test_due_diligence_upload_waits_for_verification(client, organisation, unverified, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    refused_for_unverified(
        lambda: document_upload(actor=unverified, organisation=organisation, kind="registration", file=pdf())
    )
    client.force_login(unverified)
    url = reverse("diligence_upload", args=[organisation.pk, "registration"])
    response = client.post(url, {"upload-registration-file": pdf()})
    assert response.status_code == 400 and MESSAGE in response.content.decode()
    assert not DueDiligenceDocument.objects.exists()

    verify(unverified)
    assert client.post(url, {"upload-registration-file": pdf()}).status_code == 302
    assert DueDiligenceDocument.objects.get().uploaded_by == unverified


# --- Applications ----------------------------------------------------------------------------------------------

def test_application_attachments_wait_for_verification(client, call, organisation, unverified, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    application = Application.objects.create(call=call, organisation=organisation, title="Shelter", created_by=unverified)
    refused_for_unverified(
        lambda: attachment_add(actor=unverified, application=application, title="Budget", uploaded_file=pdf())
    )
    # The page itself waits for the address: nothing typed there yet can be lost.
    client.force_login(unverified)
    response = client.post(reverse("application_edit", args=[application.pk]), {"action": "attach", "att-file": pdf()})
    assert response.status_code == 302 and response["Location"] == reverse("check_email")
    assert not Attachment.objects.exists()

    verify(unverified)
    attachment_add(actor=unverified, application=application, title="Budget", uploaded_file=pdf())
    assert Attachment.objects.get().uploaded_by == unverified


# --- Reports ---------------------------------------------------------------------------------------------------

def test_report_attachments_wait_for_verification_and_the_draft_is_kept(
    client, call, organisation, unverified, officer, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    grant = with_logframe(
        signed_grant(amount="300000.00", start=date(2026, 1, 1), end=date(2028, 12, 31), call=call, organisation=organisation),
        officer,
    )
    report = report_services.report_open(actor=unverified, grant=grant, period_number=1)
    version = report.versions.get()
    refused_for_unverified(
        lambda: report_services.report_attach(actor=unverified, version=version, title="Receipts", upload=pdf())
    )

    client.force_login(unverified)
    data = form_data(report, action="attach", summary="Two shelters opened in Kathmandu.",
                     **{"att-title": "Receipts", "att-file": pdf("receipts.pdf")})
    response = client.post(reverse("report_edit", args=[report.pk]), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert MESSAGE in body
    assert "Two shelters opened in Kathmandu." in body and 'value="Receipts"' in body
    version.refresh_from_db()
    assert version.summary == "Two shelters opened in Kathmandu.", "the draft is saved before the file is refused"
    assert not ReportAttachment.objects.exists()

    verify(unverified)
    data["att-file"] = pdf("receipts.pdf")
    assert client.post(reverse("report_edit", args=[report.pk]), data).status_code == 302
    assert ReportAttachment.objects.get().uploaded_by == unverified
