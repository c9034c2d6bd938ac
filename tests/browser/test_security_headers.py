"""The Content-Security-Policy in Chromium: representative pages (a visitor's home, the application form, the
dashboard's SVG charts, the API docs) run without one violation; and signing out leaves no copy of a draft in the
browser, both through the Clear-Site-Data header and through autosave.js where the header is not honoured."""
from ..page_catalogue import CSO1, DONOR, OFFICER, demo_objects
from .conftest import DESKTOP
from .test_sign_in import sign_in

DRAFTS = "Object.keys(localStorage).filter(k => k.startsWith('csogrants:'))"


def watch_console(page):
    """Console errors (a refused script, style or image is one) and uncaught script errors of the page."""
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_representative_pages_run_under_the_policy(demo_live, new_page, screenshot):
    base, demo = demo_live.url, demo_objects()
    visitor = new_page(DESKTOP)
    errors = watch_console(visitor)
    visitor.goto(f"{base}/")
    assert visitor.get_by_role("heading", name="Open calls for proposals").is_visible()
    visitor.goto(f"{base}/api/docs/")
    assert visitor.get_by_role("heading", name="API reference").is_visible()
    screenshot(visitor, "api-docs-desktop")
    assert errors == [], "\n".join(errors)

    applicant = new_page(DESKTOP)
    errors = watch_console(applicant)
    sign_in(applicant, base, CSO1)
    applicant.goto(f"{base}/applications/{demo.draft.pk}/edit/")
    applicant.fill("#id_title", "Typed under the policy")
    applicant.get_by_role("button", name="Save draft").click()
    assert applicant.input_value("#id_title") == "Typed under the policy"
    assert errors == [], "\n".join(errors)

    for account, path, shown in (
        (DONOR, "/envelope/dashboard/", "svg.chart#chart-use"),
        (OFFICER, "/", "meter.bar"),
    ):
        page = new_page(DESKTOP)
        errors = watch_console(page)
        sign_in(page, base, account)
        page.goto(base + path)
        assert page.locator(shown).is_visible()
        assert errors == [], "\n".join(errors)
    # The share of the envelope allocated is drawn by the stylesheet, without an inline width.
    assert page.locator("meter.bar").bounding_box()["width"] > 100
    screenshot(page, "home-officer-meter-desktop")


def type_a_draft_and_leave(page, base, draft):
    """Types into the application form without saving, then goes to another page: the copy stays in the browser."""
    sign_in(page, base, CSO1)
    page.goto(f"{base}/applications/{draft.pk}/edit/")
    page.fill("#id_title", "Shelter for child survivors, not saved yet")
    page.wait_for_function(f"() => {DRAFTS}.length > 0")
    page.goto(f"{base}/")
    kept = page.evaluate(f"{DRAFTS}.map(k => localStorage.getItem(k))")
    assert len(kept) == 1 and "not saved yet" in kept[0]


def test_signing_out_clears_the_draft_through_the_header(demo_live, new_page):
    """The sign-out form sent without its submit event, so autosave.js cannot act: Clear-Site-Data alone empties
    the storage (Chromium honours it on HTTPS and on localhost)."""
    page = new_page(DESKTOP)
    type_a_draft_and_leave(page, demo_live.url, demo_objects().draft)
    with page.expect_response("**/accounts/logout/") as signed_out:
        page.evaluate("document.querySelector('form[data-sign-out]').submit()")
    assert signed_out.value.all_headers()["clear-site-data"] == '"cache", "storage"'
    page.locator("form[data-sign-out]").wait_for(state="detached")
    assert page.evaluate(DRAFTS) == []


def test_signing_out_clears_the_draft_without_the_header(demo_live, new_page):
    """The same where the browser ignores Clear-Site-Data (the header is taken off the response here): autosave.js
    removes its copies when the sign-out form is sent."""
    page = new_page(DESKTOP)
    type_a_draft_and_leave(page, demo_live.url, demo_objects().draft)

    def without_the_header(route):
        response = route.fetch(max_redirects=0)
        headers = {k: v for k, v in response.headers.items() if k != "clear-site-data"}
        route.fulfill(response=response, headers=headers)

    page.route("**/accounts/logout/", without_the_header)
    page.get_by_role("button", name="Sign out").click()
    page.locator("form[data-sign-out]").wait_for(state="detached")
    assert page.evaluate(DRAFTS) == []
