"""The outbox operator page and the calendar-feed page in Chromium at 360 and 1280 px, with long recipients,
subjects, errors and a feed address: nothing clipped, no sideways scrolling, no critical or serious axe finding; an
administrator retries a failed e-mail from a phone."""
import pytest
from django.conf import settings
from django.test import Client

from core.models import OutboxMessage
from core.outbox import MAX_ATTEMPTS

from .test_page_catalogue import AXE, AXE_RUN, CLIPPING, WIDTHS

LONG = "Отчёт утверждён: Safe migration counselling in the Chüy, Osh and Jalal-Abad regions – interim report 2"


def signed_in(chromium, live_server, user):
    client = Client()
    client.force_login(user)
    context = chromium.new_context(viewport={"width": WIDTHS[0], "height": 800}, locale="en-GB", bypass_csp=True)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])
    context.add_init_script(path=str(AXE))
    return context, context.new_page()


def problems_at(page, width):
    page.set_viewport_size({"width": width, "height": 800})
    layout = page.evaluate(CLIPPING)
    found = [f"{c['element']} ({c['content']} px in {c['box']} px)" for c in layout["clipped"]]
    if layout["document"] > layout["viewport"]:
        found.append(f"document {layout['document']} px wide: {layout['outside']}")
    found += [f"axe {v['id']}" for v in page.evaluate(AXE_RUN) if v["impact"] in ("critical", "serious")]
    return found


@pytest.mark.django_db(transaction=True)
def test_outbox_and_calendar_pages_fit_and_retry_works(chromium, live_server, administrator, screenshot):
    if not AXE.exists():
        pytest.skip("axe-core is not installed (make axe)")
    for i in range(3):
        OutboxMessage.objects.create(
            to=f"very.long.recipient.address.number{i}@regional-anti-trafficking-coalition.example.org", language="ru",
            subject=LONG, body="personal", attempts=MAX_ATTEMPTS,
            last_error="SMTPRecipientsRefused: {'x@example.org': (550, b'5.1.1 <x@example.org>: Recipient address "
                       "rejected: User unknown in virtual mailbox table')}",
        )
    OutboxMessage.objects.create(to="ana@example.org", language="en", subject="Receipt", body="x")
    context, page = signed_in(chromium, live_server, administrator)
    try:
        found = []
        for path in ("/outbox/", "/outbox/?status=failed", "/account/calendar/"):
            page.goto(live_server.url + path)
            found += [f"{path} at {width} px: {p}" for width in WIDTHS for p in problems_at(page, width)]
        page.goto(live_server.url + "/account/calendar/")
        page.get_by_role("button", name="Make my calendar address").click()
        assert "/agenda/" in page.locator("pre code").inner_text()
        found += [f"calendar address at {width} px: {p}" for width in WIDTHS for p in problems_at(page, width)]
        screenshot(page, "calendar-feed-360")

        page.set_viewport_size({"width": WIDTHS[0], "height": 800})
        page.goto(live_server.url + "/outbox/?status=failed")
        screenshot(page, "outbox-failed-360")
        page.get_by_role("button", name="Retry the e-mail to very.long.recipient.address.number0@").first.click()
        page.wait_for_url("**/outbox/?status=failed")  # back to the view it was retried from
        assert "is queued again" in page.locator(".messages").inner_text()
        assert not found, "\n".join(found)
    finally:
        context.close()
