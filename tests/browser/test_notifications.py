"""The notifications bell keeps the header one line at 360 and 1280 px; the list and the choices page fit a phone."""
import pytest
from django.test import Client

from accounts import roles as R
from notifications.services import notify

from ..conftest import make_user
from .conftest import DESKTOP, PHONE

pytestmark = pytest.mark.django_db(transaction=True)


def _signed_in(new_page, live_server, user, viewport):
    client = Client()
    client.force_login(user)
    page = new_page(viewport=viewport)
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    return page


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_bell_fits_the_header_on_one_line(new_page, live_server, viewport, screenshot):
    officer = make_user(R.PROGRAMME_OFFICER, R.FINANCE_OFFICER, full_name="Mariama Abdoulaye Ouédraogo-Diallo")
    for i in range(120):
        notify([officer], "report_submitted", url="/reports/", params={"organisation": f"Org {i}", "report": "1", "grant": "G"})
    page = _signed_in(new_page, live_server, officer, viewport)
    page.goto(f"{live_server.url}/notifications/")
    bell = page.get_by_role("link", name="Notifications, 120 unread")
    assert bell.is_visible() and bell.locator(".bell-count").inner_text() == "99+"
    row = page.locator(".header-row").bounding_box()
    assert row["height"] < 64, row  # one line: brand, navigation, bell and sign-out side by side
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    assert page.locator(".notification.is-unread").count() == 25
    screenshot(page, f"notifications-{viewport['width']}")
    page.get_by_role("button", name="Mark all as read").click()
    assert page.get_by_role("link", name="Notifications, none unread").is_visible()


def test_choices_page_fits_a_phone(new_page, live_server, screenshot):
    page = _signed_in(new_page, live_server, make_user(R.APPLICANT), PHONE)
    page.goto(f"{live_server.url}/account/notifications/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("group", name="Payment made").get_by_label("Daily digest").check()
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("Your notification choices are saved.").is_visible()
    assert page.get_by_role("group", name="Payment made").get_by_label("Daily digest").is_checked()
    screenshot(page, "notification-choices-360")
