"""The application form in a real browser: budget totals recomputed as a French applicant types (without a save),
the review page and the submission; the warning before leaving, only with changes not saved; the copy kept on the
device for a reviewer's scores, offered back after a reload and removed at sign-out."""
import re
from datetime import date, timedelta
from decimal import Decimal

from accounts.models import User
from applications.models import Application, ApplicationStatus, Assignment, AssignmentStatus, ReviewStatus
from applications.review.services import conflict_declare


from ..page_catalogue import CSO1, REVIEWER, demo_objects
from .conftest import DESKTOP, PHONE
from .test_application_journey import both_widths
from .test_security_headers import DRAFTS, watch_console
from .test_sign_in import sign_in

NNBSP = "\u202f"  # French groups digits with a narrow no-break space


def euros_fr(text):
    """'73 212,00 €' as French Intl writes it (narrow no-break spaces), for comparing with what the page shows."""
    return text.replace(" ", NNBSP).replace(NNBSP + "€", "\u00a0€")


def fill_in_french(page):
    start = date.today() + timedelta(days=60)
    page.fill("#id_title", "Retour et réintégration des enfants survivants")
    page.fill("#id_summary", "Hébergement, soutien psychosocial et recherche des familles pour 120 enfants.")
    page.select_option("#id_objective", index=1)
    if not page.locator("input[name=countries]:checked").count():
        page.locator("input[name=countries]").first.check()
    page.fill("#id_start_date", start.isoformat())
    page.fill("#id_end_date", (date(start.year + 1, start.month, start.day) - timedelta(days=1)).isoformat())
    for field, value in {"women": "60", "men": "20", "girls": "70", "boys": "50", "victims_of_trafficking": "120", "smuggled_migrants": "15"}.items():
        page.fill(f"#id_{field}", value)
    rows = [("outcome", "Enfants réintégrés en sécurité", "Enfants réintégrés", "0", "120"),
            ("output", "Places d'hébergement ouvertes", "Places", "0", "30")]
    for i, (level, statement, indicator, baseline, target) in enumerate(rows):
        page.select_option(f"#id_rows-{i}-level", level)
        page.fill(f"#id_rows-{i}-statement", statement)
        page.fill(f"#id_rows-{i}-indicator", indicator)
        page.fill(f"#id_rows-{i}-baseline", baseline)
        page.fill(f"#id_rows-{i}-target", target)


def out(page, name):
    return page.locator(f'#budget-totals [data-out="{name}"]').inner_text()


def test_totals_follow_french_typing_then_review_and_submit(demo_live, new_page, screenshot):
    base, draft = demo_live.url, demo_objects().draft
    User.objects.filter(email=CSO1).update(language="fr")
    page = new_page(PHONE, locale="fr-FR")
    errors = watch_console(page)
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", CSO1)
    page.fill("#id_password", "glo-act-demo-2026")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{base}/applications/{draft.pk}/edit/")
    assert page.evaluate("document.documentElement.lang") == "fr"
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)

    fill_in_french(page)
    range_message = page.locator('#budget-totals [data-out="range"]')
    low_high = range_message.get_attribute("class")
    assert "range-empty" in low_high

    # One budget line typed the French way: its total, the direct costs and the rest follow at once.
    page.select_option("#id_lines-0-heading", "1")
    page.fill("#id_lines-0-description", "Travailleurs sociaux (2)")
    page.fill("#id_lines-0-unit", "mois")
    page.locator("#id_lines-0-quantity").press_sequentially("24")
    page.locator("#id_lines-0-unit_cost").press_sequentially("1 800,50")
    line_total = page.locator("#id_lines-0-unit_cost").locator("xpath=ancestor::fieldset[1]").locator("[data-line-total]")
    assert line_total.inner_text() == euros_fr("43 212,00 €")
    assert out(page, "direct") == euros_fr("43 212,00 €")
    assert out(page, "indirect_max") == euros_fr("3 024,84 €")  # 7 % of direct, rounded once
    # Below the call's minimum (EUR 50,000): said in words, in a polite live region.
    assert range_message.get_attribute("aria-live") == "polite"
    assert "range-below" in range_message.get_attribute("class")
    assert range_message.inner_text() == page.locator("#budget-totals").get_attribute("data-text-below")

    page.select_option("#id_lines-1-heading", "5")
    page.fill("#id_lines-1-description", "Frais d'hébergement")
    page.fill("#id_lines-1-unit", "mois")
    page.fill("#id_lines-1-quantity", "12")
    page.fill("#id_lines-1-unit_cost", "2500")  # the plain form is read too
    page.fill("#id_indirect_costs", "5 124,84")
    page.fill("#id_contingency", "3 660,60")
    page.fill("#id_own_contribution", "4 100")
    # direct 43,212.00 + 30,000.00 = 73,212.00; total 81,997.44; requested 77,897.44
    assert out(page, "direct") == euros_fr("73 212,00 €")
    assert out(page, "total") == euros_fr("81 997,44 €")
    assert out(page, "cofinancing") == euros_fr("4 100,00 €")
    assert out(page, "requested") == euros_fr("77 897,44 €")
    assert "range-within" in range_message.get_attribute("class")
    assert range_message.inner_text() == page.locator("#budget-totals").get_attribute("data-text-within")
    # Over the indirect cap (7 % of 73,212.00 = 5,124.84): flagged in words.
    page.fill("#id_indirect_costs", "5 124,85")
    assert page.locator('[data-flag="indirect"]').is_visible()
    page.fill("#id_indirect_costs", "5 124,84")
    assert page.locator('[data-flag="indirect"]').is_hidden()
    # Text that reads two ways or not at all shows no total rather than a guess.
    page.fill("#id_lines-1-quantity", "12,345")
    assert out(page, "direct") == "—" and "range-unreadable" in range_message.get_attribute("class")
    page.fill("#id_lines-1-quantity", "12")
    assert out(page, "requested") == euros_fr("77 897,44 €")
    assert posts == [], "the totals were computed without sending anything"
    page.locator("#budget").scroll_into_view_if_needed()
    both_widths(page, screenshot, "application-live-totals-fr")

    # Review and submit: saved, then everything shown, then submitted from the review page.
    page.click("button[name=action][value=submit]")
    page.wait_for_url(re.compile(r"/applications/\d+/submit/$"))
    assert page.locator(".error-summary").count() == 0
    assert "Travailleurs sociaux (2)" in page.inner_text("main")
    assert euros_fr("77 897,44 €") in page.inner_text("#requested")
    both_widths(page, screenshot, "application-review-fr")
    page.click("form[data-submit-once] button[type=submit]")
    page.wait_for_url(re.compile(r"/applications/\d+/receipt/$"))
    assert "Demande reçue" in page.inner_text("h1")
    application = Application.objects.get(pk=draft.pk)
    assert application.status == ApplicationStatus.SUBMITTED and application.requested_amount == Decimal("77897.44")
    reference = page.locator(".reference").inner_text()
    # Back to the review page after submitting: the same receipt, never a second submission.
    page.go_back()
    page.wait_for_url(re.compile(r"/applications/\d+/(receipt|submit)/$"))
    page.goto(f"{base}/applications/{draft.pk}/submit/")
    assert page.locator(".reference").inner_text() == reference
    assert errors == [], "\n".join(errors)


def test_the_review_page_lists_problems_linked_to_their_fields(demo_live, new_page, screenshot):
    base, draft = demo_live.url, demo_objects().draft
    page = new_page(DESKTOP)
    sign_in(page, base, CSO1)
    page.goto(f"{base}/applications/{draft.pk}/submit/")
    assert page.locator(".error-summary li").count() > 3
    assert page.get_by_role("button", name="Submit the application").count() == 0
    assert page.locator(".section-status").get_by_text("missing").count() >= 3
    screenshot(page, "application-review-problems-desktop")
    page.locator(".error-summary a").first.click()
    page.wait_for_url(re.compile(r"/edit/\?check=1#"))
    assert page.locator(".field-error").count() > 3
    page.set_viewport_size(PHONE)
    screenshot(page, "application-checked-phone")


def test_leaving_warns_only_with_changes_not_saved(demo_live, new_page):
    base, draft = demo_live.url, demo_objects().draft
    page = new_page(DESKTOP)
    sign_in(page, base, CSO1)
    edit = f"{base}/applications/{draft.pk}/edit/"
    dialogs = []

    def stay(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    page.goto(edit)
    # Nothing changed (a click is not a change): leaving asks nothing.
    page.click("#id_title")
    page.get_by_role("link", name="Applications", exact=True).click()
    page.wait_for_url(f"{base}/applications/")
    assert dialogs == []

    # Typed, not saved: leaving asks, and staying keeps what was typed.
    page.goto(edit)
    page.click("#id_title")
    page.keyboard.type("Not saved yet")
    page.get_by_role("link", name="Applications", exact=True).click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.url == edit and "Not saved yet" in page.input_value("#id_title")

    # A button of the form saves: no question.
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    assert dialogs == ["beforeunload"]
    assert "Not saved yet" in page.input_value("#id_title") and page.get_by_text("Draft saved").is_visible()
    # Typed then changed back: nothing to lose, no question.
    page.click("#id_summary")
    page.keyboard.type("x")
    page.keyboard.press("Backspace")
    page.get_by_role("link", name="Applications", exact=True).click()
    page.wait_for_url(f"{base}/applications/")
    assert dialogs == ["beforeunload"]


def test_a_reviewers_scores_are_kept_on_the_device_and_forgotten_at_sign_out(demo_live, new_page, screenshot):
    base = demo_live.url
    assignment = Assignment.objects.filter(reviewer__email=REVIEWER, status=AssignmentStatus.ACTIVE) \
        .exclude(review__status=ReviewStatus.SUBMITTED).select_related("reviewer", "application").first()
    conflict_declare(actor=assignment.reviewer, application=assignment.application, has_conflict=False)
    page = new_page(DESKTOP)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, base, REVIEWER)
    page.goto(f"{base}/reviews/assignments/{assignment.pk}/score/")
    form = page.locator("form[data-autosave]")
    assert form.count() == 1
    comment = form.locator("textarea").last
    comment.fill("Strong local partners; budget realistic.")
    page.wait_for_function(f"() => {DRAFTS}.length > 0")
    page.reload()
    page.get_by_role("button", name="Restore them").click()
    assert comment.input_value() == "Strong local partners; budget realistic."
    screenshot(page, "review-score-restored-desktop")
    page.get_by_role("button", name="Sign out").click()
    page.locator("form[data-sign-out]").wait_for(state="detached")
    assert page.evaluate(DRAFTS) == []
