"""The work inbox on the demo's home pages at 360 px and 1280 px: first on the page, nothing wider than the screen,
each item's link within reach; the reviewer's page with its tags and buttons."""
from .conftest import DESKTOP, PHONE

ACCOUNTS = ("officer@demo.test", "reviewer1@demo.test", "finance@demo.test", "donor@demo.test", "cso8@demo.test")


def sign_in(page, base, email):
    page.goto(f"{base}/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill("glo-act-demo-2026")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_each_role_sees_its_inbox_first_at_both_widths(demo_live, new_page, screenshot):
    for viewport, label in ((PHONE, "phone"), (DESKTOP, "desktop")):
        for email in ACCOUNTS:
            page = new_page(viewport)
            sign_in(page, demo_live.url, email)
            inbox = page.get_by_role("region", name="Waiting for you")
            assert inbox.is_visible(), email
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], (email, label)
            boxes = [item.bounding_box() for item in page.locator(".inbox-item").all()]
            assert boxes, email  # the demo leaves every role something to do
            assert all(box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] for box in boxes), (email, label)
            screenshot(page, f"inbox-{email.split('@')[0]}-{label}")
            if email.startswith("reviewer"):
                page.locator(".inbox-item a").first.click()
                page.wait_for_load_state()
                assert page.get_by_role("heading", name="Your reviews", exact=True).is_visible()
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
                screenshot(page, f"inbox-reviews-{label}")
            page.context.close()
