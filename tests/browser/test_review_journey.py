"""The review journey on the demo's closed call C02: reviewer1 declares no conflict on the application left for
them, scores it and submits; the officer sees the ranking, confirms an award, and the envelope page shows the
commitment."""
import re

from applications.models import Application, ApplicationStatus
from grants.models import Criterion

from .conftest import DESKTOP, PHONE, nav_link
from .test_sign_in import sign_in


def test_reviewer_scores_and_officer_awards(demo_live, new_page, screenshot):
    base = demo_live.url
    reviewer = new_page(PHONE)
    sign_in(reviewer, base, "reviewer1@demo.test")
    nav_link(reviewer, "Reviews").click()
    screenshot(reviewer, "review-journey-home-phone")
    reviewer.get_by_role("link", name="Declare").first.click()
    # Only the applicant and the title are shown before the declaration.
    assert reviewer.get_by_text("Fundación Caminos Seguros").first.is_visible()
    assert not reviewer.get_by_text("Social workers and case managers").count()
    reviewer.get_by_label("I have no conflict of interest").check()
    reviewer.get_by_role("button", name="Record my declaration").click()

    reviewer.goto(f"{base}/reviews/")
    reviewer.locator("tr, li", has_text="(FCS)").get_by_role("link", name="Score").first.click()
    assert reviewer.get_by_text("Social workers and case managers").first.is_visible()
    application = Application.objects.get(organisation__acronym="FCS")
    for criterion in Criterion.objects.filter(section__grid__call=application.call):
        reviewer.check(f"#id_c{criterion.pk}_3")  # 4 – good, on every criterion
    screenshot(reviewer, "review-journey-score-phone")
    reviewer.get_by_role("button", name="Submit the review").click()
    assert reviewer.get_by_text(re.compile("submitted", re.I)).first.is_visible()

    officer = new_page(DESKTOP)
    sign_in(officer, base, "officer@demo.test")
    officer.goto(f"{base}/screening/calls/{application.call_id}/ranking/?tab=all&per_page=100")
    row = officer.locator(f"#a{application.pk}")
    assert row.get_by_text("2/2").is_visible()
    screenshot(officer, "review-journey-ranking-desktop")
    top = Application.objects.get(organisation__acronym="CAE")
    top_row = officer.locator(f"#a{top.pk}")
    top_row.get_by_text("Decide").click()
    top_row.get_by_label("Justification").fill("Ranked first; the organisation is verified and the request fits the allocation.")
    top_row.get_by_role("button", name="Confirm").click()
    assert officer.get_by_text(f"{top.reference}: decision recorded.").is_visible()
    top.refresh_from_db()
    assert top.status == ApplicationStatus.AWARDED

    nav_link(officer, "Envelope").click()
    amount = f"€{top.award_decision.amount:,.2f}"
    c02 = officer.locator("tr", has_text="C02")
    assert c02.get_by_text(amount).first.is_visible()
    screenshot(officer, "review-journey-envelope-desktop")
