"""Each demo account signs in through the real page and lands on a home page fitting its role."""
import pytest

from .conftest import DESKTOP, PHONE, nav_link

ACCOUNTS = [
    ("admin@demo.test", "Open the administration"),
    ("officer@demo.test", "Calls for proposals"),
    ("finance@demo.test", "Envelope position by call"),
    ("donor@demo.test", "Envelope position by call"),
    ("reviewer1@demo.test", "Open your reviews"),
    ("cso1@demo.test", "Safe Journeys Nepal"),
]


def sign_in(page, base, email):
    page.goto(f"{base}/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill("glo-act-demo-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.mark.parametrize(("email", "expected"), ACCOUNTS)
def test_demo_account_signs_in_and_sees_its_page(demo_live, new_page, screenshot, email, expected):
    page = new_page(DESKTOP)
    sign_in(page, demo_live.url, email)
    assert page.get_by_role("main").get_by_text(expected).first.is_visible()
    assert page.get_by_role("button", name="Sign out").is_visible()
    screenshot(page, f"home-{email.split('@')[0]}-desktop")


def test_anonymous_home_and_envelope_on_a_phone(demo_live, new_page, screenshot):
    page = new_page(PHONE)
    page.goto(f"{demo_live.url}/")
    assert page.get_by_role("heading", name="Open calls for proposals").is_visible()
    # Nothing wider than the phone: no horizontal scrolling on the landing page.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "home-anonymous-phone")

    sign_in(page, demo_live.url, "finance@demo.test")
    nav_link(page, "Envelope").click()
    assert page.get_by_role("heading", name="GLO.ACT: envelope position").is_visible()
    assert page.get_by_text("€10,000,000.00").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "envelope-finance-phone")


def test_wrong_password_then_arabic_layout(demo_live, new_page, screenshot):
    page = new_page(DESKTOP)
    page.goto(f"{demo_live.url}/accounts/login/")
    page.get_by_label("E-mail address").fill("cso1@demo.test")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_label("E-mail address").input_value() == "cso1@demo.test"

    page.select_option("#language", "ar")
    page.locator(".lang-form button").click()
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.dir") == "rtl"
    screenshot(page, "login-arabic-desktop")
