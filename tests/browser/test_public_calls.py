"""The public call pages in a real browser, in Kathmandu's time zone (UTC+05:45): the script adds the local deadline."""
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from grants.models import Call, CallStatus, Country, Programme
from grants.services import call_document_add

from ..factories import CallFactory
from .conftest import DESKTOP, PHONE


@pytest.fixture
def calls_live(demo_live):
    """The demo call C01 with a document, and one more call in each other state."""
    programme = Programme.objects.get(code="GLOACT")
    c01 = Call.objects.get(programme=programme, reference="C01")
    call_document_add(
        actor=None, call=c01, title="Guidelines for applicants",
        uploaded_file=SimpleUploadedFile("guidelines.pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    shapes = [
        ("C04", "Emergency shelter for children in transit", now - timedelta(days=20), now + timedelta(days=5), CallStatus.PUBLISHED),
        ("C03", "Legal aid for smuggled migrants", now + timedelta(days=10), now + timedelta(days=70), CallStatus.PUBLISHED),
        ("C05", "Pilot: referral networks", now - timedelta(days=120), now - timedelta(days=60), CallStatus.CLOSED),
    ]
    for reference, title, opens, closes, status in shapes:
        call = CallFactory(programme=programme, reference=reference, title=title, opens_at=opens, closes_at=closes, status=status)
        call.countries.set(Country.objects.all()[:4])
    return demo_live


def _no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize(("viewport", "name"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_calls_list_and_call_page_show_the_local_deadline(calls_live, new_page, screenshot, viewport, name):
    page = new_page(viewport)
    page.goto(f"{calls_live.url}/calls/")
    assert page.get_by_role("heading", name="Calls for proposals", level=1).is_visible()
    for heading in ("Closing soon", "Open", "Upcoming", "Closed"):
        assert page.get_by_role("heading", name=heading, level=2).is_visible(), heading
    assert page.locator(".local-time").first.inner_text().startswith("Your time (Nepal Time): ")
    screenshot(page, f"calls-list-{name}")
    _no_horizontal_scroll(page)

    page.get_by_role("link", name="CSO direct assistance to victims of trafficking and smuggled migrants").click()
    page.wait_for_load_state()
    assert page.url.endswith("/calls/GLOACT/C01/")
    deadline = page.locator("dd", has=page.locator("time[data-local-time]")).last
    assert "12:00 UTC" in deadline.inner_text()
    local = deadline.locator(".local-time").inner_text()
    # C01 closes at 12:00 UTC, which is 17:45 in Kathmandu.
    assert local.startswith("Your time (Nepal Time): ") and ("5:45" in local or "17:45" in local), local
    assert page.get_by_role("link", name="Apply").get_attribute("href") == "/calls/GLOACT/C01/apply/"
    assert page.get_by_role("link", name="Guidelines for applicants").is_visible()
    assert page.get_by_role("rowheader", name="Financial and operational capacity").is_visible()
    screenshot(page, f"call-page-{name}")
    _no_horizontal_scroll(page)


def test_without_javascript_the_utc_deadline_stands_alone(calls_live, chromium):
    context = chromium.new_context(viewport=PHONE, locale="en-GB", timezone_id="Asia/Kathmandu", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{calls_live.url}/calls/GLOACT/C01/")
        assert page.locator(".local-time").count() == 0
        deadline = page.locator("dd", has=page.locator("time[data-local-time]")).last  # the call's deadline, not a cut-off
        assert "12:00 UTC" in deadline.inner_text()
        assert page.get_by_role("link", name="Apply").is_visible()
    finally:
        context.close()


def test_filter_by_country_is_a_plain_get_form(calls_live, new_page):
    page = new_page(PHONE)
    page.goto(f"{calls_live.url}/calls/")
    page.get_by_label("Country").select_option(label="Nepal")
    page.get_by_role("button", name="Show calls").click()
    page.wait_for_load_state()
    assert "country=NP" in page.url
    assert page.get_by_role("link", name="Clear the filters").is_visible()
    assert page.get_by_role("link", name="CSO direct assistance to victims of trafficking and smuggled migrants").is_visible()
