"""The whole CSO journey in a real browser: register, confirm the e-mail, complete the profile, open the demo
call, fill an application with budget lines and an attachment, save, come back, review everything and submit, see
the receipt; then a programme officer screens it eligible."""
import re
from datetime import date, timedelta

from django.core import mail

from applications.models import Application, ApplicationStatus

from .conftest import DESKTOP, PHONE, nav_link

PASSWORD = "a-long-and-unusual-passphrase"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fits_the_phone(page):
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def both_widths(page, screenshot, name):
    page.set_viewport_size(PHONE)
    assert fits_the_phone(page), f"{name} scrolls sideways at 360 px"
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(DESKTOP)
    screenshot(page, f"{name}-desktop")


def register_and_verify(page, base):
    page.goto(f"{base}/accounts/signup/")
    page.get_by_label("Your full name").fill("Maya Gurung")
    page.get_by_label("Your e-mail address").fill("maya@safehaven.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Legal name").fill("Safe Haven Nepal")
    page.get_by_label("Country of registration").select_option("NP")
    page.get_by_label("Registration number").fill("SWC-30001")
    page.get_by_label("Organisation type").select_option(label="National NGO")
    page.get_by_role("button", name="Register").click()
    assert page.get_by_role("heading", name="Check your e-mail").is_visible()
    link = re.search(r"https?://\S+/accounts/verify/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    assert page.get_by_role("heading", name="Your e-mail address is confirmed").is_visible()
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    page.get_by_label("E-mail address").fill("maya@safehaven.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def complete_profile(page):
    page.get_by_role("link", name="Safe Haven Nepal").click()
    page.get_by_role("link", name="Edit the profile").click()
    page.get_by_label("Year founded").fill("2009")
    page.get_by_label("Annual budget (EUR)").fill("240000")
    page.get_by_label("Mission").fill("Shelter and reintegration for survivors of trafficking.")
    page.get_by_label("Contact person").fill("Maya Gurung")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("The profile was saved.").is_visible()


def fill_application(page, start):
    page.fill("#id_title", "Safe return and reintegration of child survivors")
    page.fill("#id_summary", "Shelter, psychosocial care and family tracing for 120 child survivors of trafficking.")
    page.select_option("#id_objective", label="6. Assistance and support to children among victims of trafficking and smuggled migrants")
    page.fill("#id_start_date", start.isoformat())
    page.fill("#id_end_date", (date(start.year + 1, start.month, start.day) - timedelta(days=1)).isoformat())
    for field, value in {"women": "60", "men": "20", "girls": "70", "boys": "50", "victims_of_trafficking": "120", "smuggled_migrants": "15"}.items():
        page.fill(f"#id_{field}", value)
    lines = [("1", "Social workers (2)", "month", "24", "1800"), ("5", "Shelter costs", "month", "12", "2500")]
    for i, (heading, description, unit, quantity, unit_cost) in enumerate(lines):
        page.select_option(f"#id_lines-{i}-heading", heading)
        page.fill(f"#id_lines-{i}-description", description)
        page.fill(f"#id_lines-{i}-unit", unit)
        page.fill(f"#id_lines-{i}-quantity", quantity)
        page.fill(f"#id_lines-{i}-unit_cost", unit_cost)
    # direct 73,200.00: indirect 7% = 5,124.00, contingency 5% = 3,660.00, total 81,984.00, co-financing 5% = 4,099.20
    page.fill("#id_indirect_costs", "5124")
    page.fill("#id_contingency", "3660")
    page.fill("#id_own_contribution", "4100")
    rows = [("outcome", "Children safely reintegrated", "Children reintegrated", "0", "120"),
            ("output", "Shelter places open", "Places", "0", "30")]
    for i, (level, statement, indicator, baseline, target) in enumerate(rows):
        page.select_option(f"#id_rows-{i}-level", level)
        page.fill(f"#id_rows-{i}-statement", statement)
        page.fill(f"#id_rows-{i}-indicator", indicator)
        page.fill(f"#id_rows-{i}-baseline", baseline)
        page.fill(f"#id_rows-{i}-target", target)


def test_register_apply_submit_and_be_screened(demo_live, new_page, screenshot):
    base = demo_live.url
    page = new_page(PHONE)
    register_and_verify(page, base)
    complete_profile(page)

    # The demo call, from the public list.
    nav_link(page, "Calls for proposals").click()
    page.get_by_role("link", name="CSO direct assistance to victims of trafficking and smuggled migrants").first.click()
    both_widths(page, screenshot, "journey-call")
    page.get_by_role("link", name="Apply").first.click()
    page.get_by_role("button", name="Start or continue the application").click()
    assert page.get_by_role("heading", name="New application").is_visible()

    start = date.today() + timedelta(days=60)
    fill_application(page, start)
    page.set_input_files("#id_att-file", files=[{"name": "workplan.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.fill("#id_att-title", "Work plan")
    page.get_by_role("button", name="Save and attach").click()
    assert page.get_by_text("Draft saved and document attached.").is_visible()
    assert page.get_by_role("link", name="Work plan").is_visible()
    both_widths(page, screenshot, "journey-draft")

    # Leave, come back from the applicant's list: everything typed is there.
    page.goto(f"{base}/")
    nav_link(page, "Applications").click()
    page.get_by_role("link", name="Continue").click()
    assert page.input_value("#id_title") == "Safe return and reintegration of child survivors"
    assert page.input_value("#id_lines-1-description") == "Shelter costs"
    assert page.get_by_text("€81,984.00").is_visible()

    # "Review and submit" saves and shows everything that will be sent; the submission happens there.
    page.get_by_role("button", name="Review and submit").click()
    assert page.get_by_role("heading", name=re.compile("^Check and submit")).is_visible()
    assert page.get_by_role("link", name="Work plan").is_visible()
    assert page.locator(".error-summary").count() == 0
    both_widths(page, screenshot, "journey-review")
    page.get_by_role("button", name="Submit the application").click()
    assert page.get_by_role("heading", name="Application received").is_visible()
    reference = page.locator(".reference").inner_text()
    assert re.fullmatch(r"GLOACT-\d{4}-C01-\d{4}", reference)
    both_widths(page, screenshot, "journey-receipt")
    assert any(reference in m.subject for m in mail.outbox)
    application = Application.objects.get(reference=reference)
    assert application.status == ApplicationStatus.SUBMITTED and application.requested_amount == 77884

    # The officer screens it.
    officer = new_page(DESKTOP)
    officer.goto(f"{base}/accounts/login/")
    officer.get_by_label("E-mail address").fill("officer@demo.test")
    officer.get_by_label("Password").fill("glo-act-demo-2026")
    officer.get_by_role("button", name="Sign in").click()
    officer.get_by_role("link", name="Applications by call").click()
    officer.get_by_role("link", name=re.compile("C01")).click()
    screenshot(officer, "journey-screening-list-desktop")
    officer.get_by_role("link", name=reference).click()
    for label in ("Submitted on time", "Complete: all sections and required documents", "Applicant eligible",
                  "Action eligible (objective, countries, duration)", "Costs eligible (budget rules)"):
        officer.get_by_label(label).check()
    screenshot(officer, "journey-screening-desktop")
    officer.get_by_role("button", name="Record the decision").click()
    assert officer.get_by_text(f"The screening of {reference} was recorded.").is_visible()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ELIGIBLE

    # The CSO sees where it stands.
    page.goto(f"{base}/applications/{application.pk}/")
    assert page.get_by_text("It passed the administrative and eligibility check").is_visible()
    both_widths(page, screenshot, "journey-status")
