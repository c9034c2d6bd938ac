"""The due-diligence checklist as a CSO and as an officer, and the officers' list, on a phone and a desktop."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.diligence.services import (
    document_review,
    document_upload,
    flag_raise,
    sanctions_import,
    screen_organisation,
)
from accounts.models import DocumentStatus, FlagLevel, Organisation, User
from accounts.sanctions import SanctionsRow

from .conftest import DESKTOP, PHONE
from .test_sign_in import sign_in

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def checklist_data(demo_live):
    """Safe Journeys Nepal half-way through due diligence: one document of each status, a sanctions match, a flag."""
    org = Organisation.objects.get(legal_name="Safe Journeys Nepal")
    cso, officer = User.objects.get(email="cso1@demo.test"), User.objects.get(email="officer@demo.test")
    docs = {
        kind: document_upload(
            actor=cso, organisation=org, kind=kind, file=SimpleUploadedFile(f"{kind.replace('_', '-')}-2025.pdf", PDF)
        )
        for kind in ("registration", "audited_accounts", "safeguarding")
    }
    document_review(actor=officer, document=docs["registration"], decision=DocumentStatus.ACCEPTED)
    document_review(
        actor=officer, document=docs["audited_accounts"], decision=DocumentStatus.REJECTED,
        note="These are the 2019 accounts; please send the latest audited accounts, signed by the auditor.",
    )
    sanctions_import(actor=None, rows=[
        SanctionsRow(list_name="UN Security Council Consolidated List", name="Safe Journeys of Nepal", reference="QDe.999"),
        SanctionsRow(list_name="UN Security Council Consolidated List", name="Red Sand Traders", reference="QDe.100"),
    ])
    screen_organisation(actor=officer, organisation=org)
    flag_raise(actor=officer, organisation=org, level=FlagLevel.YELLOW, reason="Board list not updated since 2021.")
    return demo_live, org


def _no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_cso_checklist_and_a_refused_upload(checklist_data, new_page, screenshot, tmp_path):
    live, org = checklist_data
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = new_page(viewport)
        sign_in(page, live.url, "cso1@demo.test")
        page.goto(f"{live.url}/organisations/{org.pk}/due-diligence/")
        assert page.get_by_role("heading", name="Due diligence").is_visible()
        assert page.get_by_text("please send the latest audited accounts").is_visible()
        assert page.get_by_text("Board list not updated").count() == 0  # internal: officers only
        if viewport is PHONE:
            _no_horizontal_scroll(page)
        screenshot(page, f"diligence-checklist-cso-{name}")

    fake = tmp_path / "policy.pdf"
    fake.write_bytes(b"MZ\x90\x00" + b"\x00" * 200)  # a Windows program renamed .pdf
    page.locator("#doc-anti_fraud input[type=file]").set_input_files(str(fake))
    page.locator("#doc-anti_fraud").get_by_role("button", name="Upload").click()
    page.wait_for_load_state()
    assert page.locator("#doc-anti_fraud .field-error").get_by_text("whatever its name says").is_visible()
    page.locator("#doc-anti_fraud").scroll_into_view_if_needed()
    screenshot(page, "diligence-upload-refused-desktop")


def test_officer_checklist_and_list(checklist_data, new_page, screenshot):
    live, org = checklist_data
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = new_page(viewport)
        sign_in(page, live.url, "officer@demo.test")
        page.goto(f"{live.url}/organisations/{org.pk}/due-diligence/")
        assert page.get_by_text("Potential matches to review").first.is_visible()
        assert page.get_by_text("Safe Journeys of Nepal on the sanctions list").is_visible()
        assert page.get_by_role("button", name="Record the review").is_visible()
        if viewport is PHONE:
            _no_horizontal_scroll(page)
        screenshot(page, f"diligence-checklist-officer-{name}")

        page.goto(f"{live.url}/due-diligence/")
        assert page.get_by_role("link", name="Safe Journeys Nepal").is_visible()
        if viewport is PHONE:
            _no_horizontal_scroll(page)
        screenshot(page, f"diligence-list-officer-{name}")

    # Dismiss the sanctions match as a false positive, through the page.
    page.goto(f"{live.url}/organisations/{org.pk}/due-diligence/")
    match = page.locator("#flags li.card").filter(has_text="Safe Journeys of Nepal")
    match.get_by_label("Dismiss (false alarm)").check()
    match.get_by_label("Note").fill("Different country and registration number on the list.")
    match.get_by_role("button", name="Record the decision").click()
    page.wait_for_load_state()
    assert page.get_by_text("Your decision on the flag is recorded.").is_visible()
    assert page.get_by_text("Different country and registration number on the list.").is_visible()
