"""A reviewer scores an assigned application in a real browser after the call has closed: a submission refused
for a lowest score without a comment, the comment added, saved, come back, submitted and locked; then the
officer's view of the reviews."""
import pytest

from accounts import roles as R
from applications.models import Review, ReviewStatus
from tests.applications.test_scoring import assign, close_call, criteria, eligible_application, make_grid
from tests.applications.helpers import rules_call
from tests.conftest import make_user
from tests.factories import EnvelopeFactory

from .conftest import DESKTOP
from .test_application_journey import both_widths
from .test_sign_in import sign_in

PASSWORD = "glo-act-demo-2026"


@pytest.fixture
def scoring_live(transactional_db, live_server):
    call = rules_call(EnvelopeFactory().programme)
    make_grid(call)
    officer = make_user(R.PROGRAMME_OFFICER, email="officer@scoring.test", full_name="Olga Officer", password=PASSWORD)
    application = eligible_application(call, officer)
    close_call(call)
    reviewer = make_user(R.REVIEWER, email="reviewer@scoring.test", full_name="Rafael Reviewer", password=PASSWORD)
    return live_server, call, assign(application, reviewer)


def test_reviewer_scores_saves_returns_submits_and_sees_it_locked(scoring_live, new_page, screenshot):
    live, call, assignment = scoring_live
    experience, management, relevance, partners = criteria(call)
    url = f"{live.url}/reviews/assignments/{assignment.pk}/score/"
    page = new_page(DESKTOP)
    sign_in(page, live.url, "reviewer@scoring.test")
    page.goto(url)
    assert page.get_by_role("heading", name="Evaluation grid").is_visible()
    assert page.get_by_text("Case workers").first.is_visible()  # the application's budget, read-only
    both_widths(page, screenshot, "review-score-empty")

    # Every criterion scored; the lowest score first without its comment.
    page.check(f"#id_c{experience.pk}_0")  # 1 – very poor
    page.check(f"#id_c{management.pk}_3")  # 4 – good
    page.fill(f"#id_c{management.pk}_comment", "A finance officer and a project manager are in post.")
    page.check(f"#id_c{relevance.pk}_4")  # 5 – very good
    page.check(f"#id_c{partners.pk}_na")
    page.fill("#id_overall_comment", "Strong on relevance, weak on experience.")
    page.get_by_role("button", name="Submit the review").click()
    assert page.get_by_text("Your scores are saved, but the review cannot be submitted yet").is_visible()
    assert page.locator(f"#criterion-{experience.pk}").get_by_text("Explain the lowest score in a comment.").is_visible()
    assert page.input_value(f"#id_c{management.pk}_comment") == "A finance officer and a project manager are in post."
    both_widths(page, screenshot, "review-score-refused")

    page.fill(f"#id_c{experience.pk}_comment", "No action of a similar size managed so far.")
    page.get_by_role("button", name="Save", exact=True).click()
    assert page.get_by_text("Your scores are saved.").is_visible()
    assert page.get_by_text("Points saved: 6 of 15").is_visible()  # 1 x 2 + 4
    assert page.get_by_text("Points saved: 10 of 10").is_visible()  # 5 x 2; local partners not applicable

    # Leave and come back: everything is there.
    page.goto(f"{live.url}/")
    page.goto(url)
    assert page.is_checked(f"#id_c{experience.pk}_0") and page.is_checked(f"#id_c{relevance.pk}_4")
    assert page.is_checked(f"#id_c{partners.pk}_na")
    assert page.input_value(f"#id_c{experience.pk}_comment") == "No action of a similar size managed so far."
    both_widths(page, screenshot, "review-score-saved")

    page.get_by_role("button", name="Submit the review").click()
    assert page.get_by_text("Your review is submitted. It is now locked.").is_visible()
    assert page.locator("input[type=radio]").count() == 0
    assert page.get_by_role("button", name="Submit the review").count() == 0
    assert page.get_by_text("No action of a similar size managed so far.").is_visible()
    both_widths(page, screenshot, "review-score-submitted")
    assert Review.objects.get(assignment=assignment).status == ReviewStatus.SUBMITTED

    # The officer sees who reviewed and where each review stands, never the scores.
    officer = new_page(DESKTOP)
    sign_in(officer, live.url, "officer@scoring.test")
    officer.goto(f"{live.url}/screening/calls/{call.pk}/reviews/")
    assert officer.get_by_text("Rafael Reviewer").is_visible()
    assert officer.get_by_text("No action of a similar size managed so far.").count() == 0
    officer.get_by_text("Reopen this review").click()
    both_widths(officer, screenshot, "review-progress")
