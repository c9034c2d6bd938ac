"""A reviewer signs in, declares no conflict on an application seeing only the applicant and the title, and then
finds it among their assignments; the officer's panel page on a phone and a desktop."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import roles as R
from applications.review import services as services

from ..applications.review_helpers import eligible_application
from ..conftest import make_user
from ..factories import CallFactory, EnvelopeFactory
from .conftest import DESKTOP, PHONE


PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory
SECRET = "The shelter is at 12 Hidden Lane"


@pytest.fixture
def review_setup(transactional_db, live_server):
    officer = make_user(R.PROGRAMME_OFFICER, full_name="Olga Officer")
    reviewers = [make_user(R.REVIEWER, full_name=name) for name in ("Rosa Reviewer", "Rahul Reviewer", "Rania Reviewer")]
    application = eligible_application_with_content()
    call = application.call
    services.panel_set_members(actor=officer, call=call, reviewers=reviewers)
    services.assignments_auto(actor=officer, call=call)
    type(call).objects.filter(pk=call.pk).update(closes_at=timezone.now() - timedelta(minutes=1))  # scoring opens
    return {"officer": officer, "reviewers": reviewers, "reviewer": reviewers[0], "application": application, "url": live_server.url}


def eligible_application_with_content():
    call = CallFactory(programme=EnvelopeFactory().programme, title="CSO direct assistance to victims", reviewers_per_application=3)
    application = eligible_application(call)
    application.title = "Safe shelters for child victims of trafficking"
    application.summary = SECRET
    application.save(update_fields=["title", "summary"])
    organisation = application.organisation
    organisation.legal_name = "Safe Journeys Nepal"
    organisation.save(update_fields=["legal_name"])
    return application


def sign_in(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def fits(page, viewport):
    return page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize(("viewport", "label"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_reviewer_declares_no_conflict_then_sees_the_assignment(review_setup, new_page, screenshot, viewport, label):
    page = new_page(viewport)
    base, application = review_setup["url"], review_setup["application"]
    sign_in(page, base, review_setup["reviewer"].email)

    page.goto(f"{base}/reviews/")
    assert page.get_by_role("heading", name="Your reviews").is_visible()
    assert page.get_by_text("How reviewing works").is_visible()
    assert fits(page, viewport)
    screenshot(page, f"reviews-before-declaring-{label}")

    page.get_by_role("link", name="Declare").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Conflict of interest").is_visible()
    body = page.locator("main").inner_text()
    assert "Safe Journeys Nepal" in body and "Safe shelters for child victims of trafficking" in body
    assert SECRET not in page.content() and application.reference not in body
    assert fits(page, viewport)
    screenshot(page, f"reviews-declare-{label}")

    # Asking for a conflict without saying what it is comes back with the message, and nothing is recorded.
    page.get_by_label("I have a conflict of interest").check()
    page.get_by_role("button", name="Record my declaration").click()
    assert page.get_by_text("Explain the conflict of interest.").is_visible()
    assert page.get_by_label("I have a conflict of interest").is_checked()
    screenshot(page, f"reviews-declare-error-{label}")

    page.get_by_label("I have no conflict of interest").check()
    page.get_by_role("button", name="Record my declaration").click()
    page.wait_for_load_state()
    assert page.get_by_text("Your declaration is recorded: no conflict of interest.").is_visible()
    row = page.locator("tr", has_text="Safe Journeys Nepal")
    assert row.get_by_text("No conflict").is_visible() and row.get_by_text("Assigned to you").is_visible()
    assert row.get_by_role("link", name="Score").get_attribute("href").endswith("/score/")
    assert row.get_by_role("link", name="Declare").count() == 0
    assert fits(page, viewport)
    screenshot(page, f"reviews-after-declaring-{label}")


@pytest.mark.parametrize(("viewport", "label"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_officer_panel_page(review_setup, new_page, screenshot, viewport, label):
    officer, application = review_setup["officer"], review_setup["application"]
    rosa, rahul, rania = review_setup["reviewers"]
    services.conflict_declare(actor=rosa, application=application, has_conflict=False)
    services.conflict_declare(actor=rania, application=application, has_conflict=True, reason="Former board member")
    second = eligible_application(application.call)
    page = new_page(viewport)
    base = review_setup["url"]
    sign_in(page, base, officer.email)
    page.goto(f"{base}/screening/calls/{application.call_id}/panel/")
    assert page.get_by_role("heading", name="Review panel and assignments").is_visible()
    assert page.locator("#matrix").get_by_text(application.reference).is_visible()
    assert page.locator("#auto").get_by_text("1 reviewer missing").is_visible()

    page.get_by_role("button", name="Assign automatically").click()
    page.wait_for_load_state()
    assert page.get_by_text("3 assignments made.").is_visible()
    assert page.get_by_text(f"{application.reference} (1 missing)").is_visible()

    page.locator("#id_change-application").select_option(str(second.pk))
    page.locator("#id_change-reviewer").select_option(str(rahul.pk))
    page.get_by_role("radio", name="End the assignment").check()
    page.get_by_role("button", name="Make the change").click()
    assert page.get_by_text("Say why the assignment ends.").is_visible()
    page.locator("#id_change-reason").fill("Workload")
    page.get_by_role("button", name="Make the change").click()
    page.wait_for_load_state()
    assert page.get_by_text("no longer reviews").is_visible()
    assert fits(page, viewport)
    screenshot(page, f"review-panel-{label}")
