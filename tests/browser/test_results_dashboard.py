"""The donor observer reads the programme's results on a phone and a desktop: the Results link, achieved against
target per indicator, a filter, one indicator's disaggregation with its small counts suppressed, and the CSV."""
import pytest

from .conftest import DESKTOP, PHONE
from .test_sign_in import sign_in

# The elements wider than the window, to say what pushes the page sideways.
WIDEST = """() => [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
  && !e.closest('.table-scroll')).slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"""


@pytest.mark.parametrize("viewport,name", [(PHONE, "360"), (DESKTOP, "1280")])
def test_donor_reads_the_results(demo_live, new_page, screenshot, viewport, name):
    base = demo_live.url
    page = new_page(viewport)
    sign_in(page, base, "donor@demo.test")

    page.locator("details.nav-menu > summary").click()  # "Menu" on a phone, "More" on a desktop
    page.locator(".nav-panel").get_by_role("link", name="Results", exact=True).click()
    page.wait_for_url(f"{base}/results/")
    assert page.get_by_role("heading", name="GLO.ACT: results").is_visible()
    victims = page.locator("#indicator-VOT")
    assert victims.get_by_role("img").count() == 1  # its chart, described for screen readers
    assert "Period 1" in victims.locator("table").inner_text()
    assert page.get_by_label("Show exact figures (confidential)").count() == 0
    screenshot(page, f"results-dashboard-{name}")

    # One reporting period, and the victims' disaggregation.
    page.get_by_label("Reporting period").select_option("1")
    page.get_by_label("Disaggregation of").select_option("VOT")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/results/?**")
    table = page.locator("#disaggregation table")
    assert table.is_visible()
    assert table.get_by_text("suppressed").count() > 0  # read out, though only a dash is shown
    assert page.locator("#suppression-note").is_visible()
    assert "Confidential" not in page.content()
    screenshot(page, f"results-disaggregation-{name}")
    # Nothing sideways: the page fits its width; a wide table scrolls in its own region.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.evaluate(WIDEST)

    with page.expect_download() as download:
        page.get_by_role("link", name="These figures (CSV)").click()
    content = open(download.value.path(), encoding="utf-8").read()
    assert "Victims of trafficking assisted" in content and "suppressed" in content
