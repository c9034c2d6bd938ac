"""A grantee attaches an annex listing a person's date of birth and passport number to a report, on a phone: the
page comes back with what was found (masked) on the file field and a box to confirm, fitting 360 and 1280 px with
no critical or serious axe finding; the same file chosen again with the box ticked is attached."""
from datetime import date

import pytest

from audit.models import AuditEvent
from reports import services
from tests.grant_helpers import signed_grant
from tests.reports.test_personal_data_upload import ANNEX

from .test_outbox_and_calendar_pages import problems_at, signed_in
from .test_page_catalogue import AXE, WIDTHS


@pytest.mark.django_db(transaction=True)
def test_the_personal_data_warning_reads_on_a_phone_and_the_confirmation_attaches(
    chromium, live_server, organisation, cso_user, screenshot, tmp_path, settings,
):
    if not AXE.exists():
        pytest.skip("axe-core is not installed (make axe)")
    settings.MEDIA_ROOT = tmp_path / "media"
    grant = signed_grant(amount="300000.00", start=date(2026, 1, 1), end=date(2028, 12, 31), organisation=organisation)
    report = services.report_open(actor=cso_user, grant=grant, period_number=1)
    annex = tmp_path / "annex-shelter-register.pdf"
    annex.write_bytes(ANNEX)
    context, page = signed_in(chromium, live_server, cso_user)
    try:
        page.goto(f"{live_server.url}/reports/{report.pk}/")
        page.fill("#id_summary", "Shelter opened in March.")
        page.set_input_files("#id_att-file", str(annex))
        page.get_by_role("button", name="Save and attach").click()
        warning = page.locator("#attachments .field-error")
        assert "seems to hold personal data" in warning.first.inner_text()
        assert "Passport number •••••••78 (page 2, line 2)" in page.locator("#attachments").inner_text()
        assert "A12345678" not in page.content()
        assert page.input_value("#id_summary") == "Shelter opened in March."
        found = [f"{width} px: {p}" for width in WIDTHS for p in problems_at(page, width)]
        page.set_viewport_size({"width": WIDTHS[0], "height": 800})
        page.locator("#attachments").scroll_into_view_if_needed()
        screenshot(page, "report-personal-data-warning-360")
        assert not found, "\n".join(found)

        page.set_input_files("#id_att-file", str(annex))
        page.get_by_label("I have checked this file").check()
        page.get_by_role("button", name="Save and attach").click()
        assert "annex-shelter-register.pdf" in page.locator("#attachments").inner_text()
        assert AuditEvent.objects.filter(verb="report.personal_data_confirmed", actor=cso_user).count() == 1
    finally:
        context.close()
