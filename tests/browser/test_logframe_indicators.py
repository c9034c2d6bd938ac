"""The standard-indicators page in Chromium, as an applicant on a phone (360 px) and a desktop (1280 px): a negative
target and a word are refused on their fields with everything typed kept, then saved; nothing clipped, no sideways
scrolling, and axe finds no critical or serious violation in the form with its errors nor in the saved page. The
page catalogue (tests/browser/test_page_catalogue.py) holds it too, on the demo."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from playwright.sync_api import expect
from django.test import Client
from django.utils import timezone

from results.models import PlannedIndicator
from results.services import indicator_create
from tests.applications.helpers import complete_draft, rules_call
from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS
from tests.browser.test_page_catalogue import AXE, AXE_RUN, CLIPPING
from tests.factories import EnvelopeFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def planned_draft(transactional_db, cso_user, organisation, officer):
    programme = EnvelopeFactory(amount=(Decimal("10000000.00"), "EUR")).programme
    call = rules_call(programme)
    indicator_create(actor=officer, programme=programme, code="VOT", counts_people=True,
                     titles={"en": "Victims of trafficking assisted with shelter, legal aid and reintegration",
                             "fr": "Victimes de la traite aidées par un hébergement, une aide juridique et la réintégration"})
    indicator_create(actor=officer, programme=programme, code="CASES", titles={"en": "Cases referred to the authorities"})
    start = timezone.now().date() + timedelta(days=60)
    draft = complete_draft(actor=cso_user, call=call, organisation=organisation, start_date=start,
                           end_date=date(start.year + 2, start.month, 1) - timedelta(days=1))
    return draft


def signed_in(chromium, base, user, viewport, locale="en-GB"):
    client = Client()
    client.force_login(user)
    context = chromium.new_context(viewport=viewport, locale=locale, timezone_id="Asia/Kathmandu", bypass_csp=True)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": base}])
    if AXE.exists():
        context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def meets_the_bar(page, width):
    page.set_viewport_size({"width": width, "height": 800})
    layout = page.evaluate(CLIPPING)
    assert layout["document"] <= layout["viewport"], layout["outside"]
    assert not layout["clipped"], layout["clipped"]
    if AXE.exists():
        serious = [v for v in page.evaluate(AXE_RUN) if v["impact"] in ("critical", "serious")]
        assert not serious, serious


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
def test_an_applicant_gives_targets_per_period_on_a_phone_and_a_desktop(chromium, live_server, planned_draft, cso_user, viewport):
    context, page = signed_in(chromium, live_server.url, cso_user, viewport)
    try:
        page.goto(f"{live_server.url}/applications/{planned_draft.pk}/indicators/")
        vot_box = page.locator("#indicator-VOT")
        vot = page.get_by_role("checkbox", name="VOT Victims of trafficking assisted with shelter, legal aid and reintegration")
        vot.check()
        vot_box.get_by_label("Target for period 1").fill("-5")
        vot_box.get_by_label("Target for period 2").fill("lots")
        page.get_by_role("button", name="Save the indicators").click()
        page.wait_for_selector(".error-summary")
        assert "cannot be negative" in page.locator("main").inner_text()
        assert "Enter a number" in page.locator("main").inner_text()
        assert "tick it" not in page.locator("main").inner_text()
        # Everything typed is still there, the box ticked.
        assert vot_box.get_by_label("Target for period 1").input_value() == "-5"
        assert vot_box.get_by_label("Target for period 2").input_value() == "lots"
        assert vot.is_checked()
        assert not PlannedIndicator.objects.exists()
        for width in (viewport["width"], PHONE["width"]):
            meets_the_bar(page, width)
        page.set_viewport_size(viewport)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"logframe-indicators-errors-{viewport['width']}.png"), full_page=True)
        # The summary's link takes the applicant to the field.
        page.locator(".error-summary a").first.click()
        vot_box.get_by_label("Target for period 1").fill("120")
        vot_box.get_by_label("Target for period 2").fill("250")
        page.get_by_role("button", name="Save the indicators").click()
        expect(page.locator(".messages")).to_contain_text("were saved")
        assert not page.locator(".error-summary").count()
        assert PlannedIndicator.objects.get().targets == {"1": "120.00", "2": "250.00"}
        meets_the_bar(page, viewport["width"])
        page.screenshot(path=str(SCREENSHOTS / f"logframe-indicators-saved-{viewport['width']}.png"), full_page=True)
    finally:
        context.close()
