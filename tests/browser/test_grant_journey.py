"""The money journey on the demo's grant in implementation: the grantee (cso8) writes and submits the interim
report of year 1 on a phone, the officer approves it, finance pays the tranche it unlocks, and the envelope
dashboard and the grantee's portal show the new figures."""
import re
from decimal import Decimal

from disbursements.models import Payment
from grants import ledger
from grants.models import Grant

from .conftest import DESKTOP, PHONE, nav_link
from .test_sign_in import sign_in


def euros(amount):
    return f"€{amount:,.2f}"


def test_interim_report_approved_then_tranche_paid(demo_live, new_page, screenshot):
    base = demo_live.url
    grant = Grant.objects.get(organisation__acronym="BSMC")
    tranche = grant.tranches.get(number=2)
    disbursed_before = ledger.balances(envelope=grant.call.programme.envelope).disbursed

    # The grantee, on a phone: portal -> the grant -> its reports -> start period 1 -> fill in -> submit.
    cso = new_page(PHONE)
    sign_in(cso, base, "cso8@demo.test")
    nav_link(cso, "Your grants").click()
    assert cso.get_by_text(grant.reference).first.is_visible()
    screenshot(cso, "grant-journey-portal-before-phone")
    cso.get_by_role("link", name="Open").first.click()
    assert cso.get_by_text(re.compile("interim report for period 1")).first.is_visible()
    cso.goto(f"{base}/grants/{grant.reference}/reports/")
    cso.get_by_role("button", name="Start").first.click()
    cso.fill("#id_summary", "Shelter and case management ran all year; 96 people reintegrated so far.")
    cso.fill("#id_activities", "Outreach at the border, shelter, legal aid and family tracing.")
    cso.fill("#id_challenges", "Winter closed two border posts for a month.")
    cso.select_option("#id_safeguarding_incidents", "false")
    cso.fill("#id_lessons_learned", "Joint visits with labour inspectors find more victims.")
    for name, value in (("women", "31"), ("men", "22"), ("girls", "64"), ("boys", "45"), ("victims_of_trafficking", "80"), ("smuggled_migrants", "58")):
        cso.fill(f"#id_{name}", value)
    cso.fill("#id_indicators-0-actual", "96")
    cso.fill("#id_indicators-1-actual", "163")
    cso.fill(f"#id_line_{grant.budget_lines.filter(heading='1').first().pk}", "61000.00")  # expenditure by budget line
    cso.fill(f"#id_line_{grant.budget_lines.filter(heading='5').first().pk}", "25000.00")
    screenshot(cso, "grant-journey-report-phone")
    cso.get_by_role("button", name="Submit report").click()
    assert cso.get_by_text(re.compile("submitted", re.I)).first.is_visible()
    assert cso.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The officer approves it.
    officer = new_page(DESKTOP)
    sign_in(officer, base, "officer@demo.test")
    nav_link(officer, "Reports").click()
    officer.get_by_role("link", name=re.compile(grant.reference)).first.click()
    assert officer.get_by_text("€86,000.00").first.is_visible()
    screenshot(officer, "grant-journey-review-desktop")
    officer.get_by_role("button", name="Approve the report").click()
    assert officer.get_by_text(re.compile("approved", re.I)).first.is_visible()

    # Finance pays the tranche the report unlocked: 86,000 spent >= 70% of the 104,427.23 pre-financing.
    finance = new_page(DESKTOP)
    sign_in(finance, base, "finance@demo.test")
    nav_link(finance, "Payments").click()
    row = finance.locator("tr", has_text=grant.reference).filter(has_text=euros(tranche.planned_amount))
    row.get_by_role("link", name="Record payment").click()
    assert finance.locator("#id_amount").input_value() in (f"{tranche.planned_amount}", f"{tranche.planned_amount:,.2f}")
    finance.fill("#id_bank_reference", "BSMC-T2-2026")
    screenshot(finance, "grant-journey-payment-desktop")
    finance.get_by_role("button", name="Record the payment").click()
    payment = Payment.objects.get(bank_reference="BSMC-T2-2026")
    assert payment.amount == tranche.planned_amount

    # The envelope dashboard and the grantee's portal show it.
    disbursed = ledger.balances(envelope=grant.call.programme.envelope).disbursed
    assert disbursed == disbursed_before + tranche.planned_amount
    nav_link(finance, "Envelope").click()
    assert finance.get_by_text(euros(disbursed)).first.is_visible()
    finance.get_by_role("link", name=re.compile("Dashboard")).first.click()
    assert finance.locator("dd", has_text=euros(disbursed)).first.is_visible()
    screenshot(finance, "grant-journey-dashboard-desktop")

    cso.goto(f"{base}/my/grants/{grant.reference}/")
    received = sum((p.amount for p in grant.payments.filter(reversal_entry__isnull=True)), Decimal("0"))
    assert cso.get_by_text(euros(received)).first.is_visible()
    assert cso.get_by_text("BSMC-T2-2026").first.is_visible()
    screenshot(cso, "grant-journey-portal-after-phone")
