"""E-mails and documents reach each person in their own language, whoever triggered them."""
import io
import unicodedata

import pytest
from django.utils import translation
from pypdf import PdfReader

from accounts import roles as R
from accounts.models import MemberRole
from accounts.services import membership_set
from applications import services
from core.models import OutboxMessage
from core.pdf import para, render, styles
from tests.applications.helpers import pdf_upload
from tests.conftest import login, make_user

pytestmark = pytest.mark.django_db


def pdf_text(content):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_french_applicant_gets_the_receipt_and_its_pdf_in_french(cso_user, draft, mailoutbox, django_capture_on_commit_callbacks):
    cso_user.language = "fr"
    cso_user.save(update_fields=["language"])
    services.attachment_add(actor=cso_user, application=draft, title="Work plan", uploaded_file=pdf_upload())
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        application, _ = services.application_submit(actor=cso_user, application=draft)
    mail = mailoutbox[0]
    assert application.reference in mail.subject
    assert OutboxMessage.objects.get(subject=mail.subject).language == "fr"  # composed in French
    text = pdf_text(mail.attachments[0][1]).replace("\u202f", " ").replace("\xa0", " ")
    for expected in (application.reference, "Montant demandé", "106 400,00 €", "Coûts directs"):
        assert expected in text, expected
    assert "Amount requested" not in text


def test_officer_working_in_english_screens_and_the_french_applicant_reads_french(
    officer, cso_user, draft, mailoutbox, django_capture_on_commit_callbacks,
):
    cso_user.language = "fr"
    cso_user.save(update_fields=["language"])
    application, _ = services.application_submit(actor=cso_user, application=draft)
    checks = dict(on_time=True, complete=True, applicant_eligible=True, action_eligible=True, costs_eligible=False)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        services.screening_record(actor=officer, application=draft, reason="Vehicle costs are not eligible.", **checks)
    mail = mailoutbox[-1]
    assert mail.to == [cso_user.email]
    assert application.reference in mail.subject
    assert OutboxMessage.objects.get(subject=mail.subject).language == "fr"
    assert "Vehicle costs are not eligible." in mail.body  # the officer's own words are not translated
    assert translation.get_language() == "en"  # the officer's request language is untouched


def test_rtl_paragraphs_extract_in_logical_order():
    """Arabic is shaped (joined letters) and each wrapped line put in display order; read back, it is the text."""
    sentence = "يسعدنا إبلاغكم بأن لجنة التقييم قد اختارت مقترحكم للحصول على منحة " * 4
    with translation.override("ar"):
        st = styles()
        content = render([para("اتفاقية المنحة GLOACT-2017-C01-0007", st["title"]), para(sentence, st["body"])],
                         title="t", footer="GLOACT")
    text = unicodedata.normalize("NFKC", pdf_text(content))
    assert "اتفاقية المنحة" in text and "GLOACT-2017-C01-0007" in text
    assert "لجنة التقييم قد اختارت مقترحكم" in text
    assert "\ufe8e" not in text  # presentation forms only in the drawing, normalised away on reading


def test_decision_letter_in_another_language_still_needs_access(client, other_organisation, draft):
    stranger = make_user(R.APPLICANT)
    membership_set(actor=None, organisation=other_organisation, user=stranger, role=MemberRole.ORG_ADMIN)
    login(client, stranger)
    assert client.get(f"/applications/{draft.pk}/decision-letter.pdf?lang=ar").status_code == 404
