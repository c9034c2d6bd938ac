"""The CSO's journey in French and in Arabic (sign up, apply, submit, receipt e-mail), and the grantee's report in
Russian, in a real browser whose language is that one. Fields are found by their ids, so nothing here depends on
the English wording; what is checked is what a reader of that language sees."""
import io
import re
import unicodedata
from datetime import date, timedelta

import pytest
from django.core import mail
from pypdf import PdfReader

from accounts.models import User
from applications.models import Application, ApplicationStatus
from grants.models import Grant
from reports.models import Report, ReportStatus

from .conftest import PHONE
from .test_application_journey import both_widths

PASSWORD = "a-long-and-unusual-passphrase"

JOURNEYS = {
    # language: (browser locale, words the pages must show, amount notation typed, amounts the pages show)
    "fr": ("fr-FR", {"signup": "Inscrivez votre organisation", "call": "Assistance directe des OSC", "receipt": "Demande reçue",
                     "subject": ("La demande {ref}, «", "a été reçue"), "pdf": "Montant demandé"},
           {"unit_cost_0": "1 800,00", "unit_cost_1": "2 500", "indirect": "5 124", "contingency": "3 660,00", "own": "4 100"}),
    "ar": ("ar-MA", {"signup": "تسجيل منظمتك", "call": "المساعدة المباشرة من منظمات المجتمع المدني", "receipt": "تم استلام الطلب",
                     "subject": ("تم استلام الطلب {ref}",), "pdf": "المبلغ المطلوب"},
           {"unit_cost_0": "١٨٠٠", "unit_cost_1": "2,500.00", "indirect": "5,124", "contingency": "٣٦٦٠", "own": "4100"}),
}


def fill_application(page, amounts):
    start = date.today() + timedelta(days=60)
    page.fill("#id_title", "Retour et réintégration des enfants survivants")
    page.fill("#id_summary", "Hébergement, soutien psychosocial et recherche des familles pour 120 enfants.")
    page.select_option("#id_objective", index=1)
    page.fill("#id_start_date", start.isoformat())
    page.fill("#id_end_date", (date(start.year + 1, start.month, start.day) - timedelta(days=1)).isoformat())
    for field, value in {"women": "60", "men": "20", "girls": "70", "boys": "50", "victims_of_trafficking": "120", "smuggled_migrants": "15"}.items():
        page.fill(f"#id_{field}", value)
    for i, (heading, description, quantity) in enumerate([("1", "Travailleurs sociaux", "24"), ("5", "Hébergement", "12")]):
        page.select_option(f"#id_lines-{i}-heading", heading)
        page.fill(f"#id_lines-{i}-description", description)
        page.fill(f"#id_lines-{i}-unit", "mois")
        page.fill(f"#id_lines-{i}-quantity", quantity)
        page.fill(f"#id_lines-{i}-unit_cost", amounts[f"unit_cost_{i}"])
    # direct 73,200.00: indirect 7% = 5,124.00, contingency 5% = 3,660.00, total 81,984.00, co-financing 5% = 4,099.20
    page.fill("#id_indirect_costs", amounts["indirect"])
    page.fill("#id_contingency", amounts["contingency"])
    page.fill("#id_own_contribution", amounts["own"])
    for i, (level, statement, target) in enumerate([("outcome", "Enfants réintégrés", "120"), ("output", "Places d'hébergement", "30")]):
        page.select_option(f"#id_rows-{i}-level", level)
        page.fill(f"#id_rows-{i}-statement", statement)
        page.fill(f"#id_rows-{i}-indicator", statement)
        page.fill(f"#id_rows-{i}-baseline", "0")
        page.fill(f"#id_rows-{i}-target", target)


@pytest.mark.parametrize("language", list(JOURNEYS))
def test_cso_journey_in_the_browsers_language(demo_live, new_page, screenshot, language):
    locale, words, amounts = JOURNEYS[language]
    base = demo_live.url
    page = new_page(PHONE, locale=locale)

    page.goto(f"{base}/accounts/signup/")
    assert page.evaluate("document.documentElement.lang") == language
    assert page.evaluate("document.documentElement.dir") == ("rtl" if language == "ar" else "ltr")
    assert words["signup"] in page.inner_text("h1")
    assert page.input_value("#id_language") == language
    both_widths(page, screenshot, f"lang-{language}-signup")
    page.fill("#id_full_name", "Aïcha Moussa")
    page.fill("#id_email", f"aicha-{language}@ong.example")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_legal_name", f"Association Espoir {language.upper()}")
    page.select_option("#id_country", "NE")
    page.fill("#id_registration_number", f"NE-{language}-2011")
    page.select_option("#id_org_type", "22")
    page.click("form.stack button[type=submit], main form button.primary")
    page.wait_for_url(re.compile("/accounts/signup/sent/"))
    user = User.objects.get(email=f"aicha-{language}@ong.example")
    assert user.language == language
    verification = mail.outbox[-1]
    page.goto(re.search(r"https?://\S+/accounts/verify/\S+/", verification.body).group(0))
    # Registering signs nobody in (it would tell whether the address had an account): sign in once confirmed.
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", f"aicha-{language}@ong.example")
    page.fill("#id_password", PASSWORD)
    page.click("main form button.primary")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    page.goto(f"{base}/calls/GLOACT/C01/")
    assert words["call"] in page.inner_text("h1")
    both_widths(page, screenshot, f"lang-{language}-call")
    page.click("a.button.primary[href$='apply/']")
    page.click("main form button.primary")
    page.wait_for_url(re.compile(r"/applications/\d+/edit/"))

    # A submit with nothing filled in: the problems are listed in the reader's language, nothing is lost.
    page.click("button[name=action][value=submit]")
    summary = page.inner_text(".error-summary")
    assert "Enter" not in summary and "must" not in summary
    both_widths(page, screenshot, f"lang-{language}-application-errors")

    fill_application(page, amounts)
    page.click("button[name=action][value=save]")
    assert page.input_value("#id_indirect_costs") != ""
    application = Application.objects.get(organisation__members=user)
    assert application.indirect_costs == 5124 and application.contingency == 3660 and application.own_contribution == 4100
    assert sorted(line.unit_cost for line in application.budget_lines.all()) == [1800, 2500]
    both_widths(page, screenshot, f"lang-{language}-application")

    page.click("button[name=action][value=submit]")
    page.wait_for_url(re.compile(r"/applications/\d+/submit/"))  # the check-and-submit page, then the submission
    both_widths(page, screenshot, f"lang-{language}-application-review")
    page.click("form[data-submit-once] button[type=submit]")
    page.wait_for_url(re.compile(r"/applications/\d+/receipt/"))
    assert words["receipt"] in page.inner_text("h1")
    reference = page.locator(".reference").inner_text()
    both_widths(page, screenshot, f"lang-{language}-receipt")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED and application.reference == reference

    receipt = next(m for m in mail.outbox if reference in m.subject)
    assert receipt.to == [user.email]
    assert all(part.format(ref=reference) in receipt.subject for part in words["subject"]), receipt.subject
    text = unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt.attachments[0][1])).pages))
    assert words["pdf"] in text and reference in text


def test_grantee_report_in_russian(demo_live, new_page, screenshot):
    base = demo_live.url
    user = User.objects.get(email="cso8@demo.test")
    user.language = "ru"
    user.save(update_fields=["language"])
    grant = Grant.objects.get(organisation__acronym="BSMC")
    page = new_page(PHONE)  # the browser says English; the account says Russian
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", "glo-act-demo-2026")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "ru"

    page.goto(f"{base}/grants/{grant.reference}/reports/")
    assert "Отчёт" in page.inner_text("main") or "отчёт" in page.inner_text("main")
    both_widths(page, screenshot, "lang-ru-report-list")
    page.click("main form.inline button[type=submit]")
    page.wait_for_url(re.compile(r"/reports/\d+/"))
    page.fill("#id_summary", "Приют и сопровождение случаев работали весь год.")
    page.fill("#id_activities", "Работа на границе, приют, юридическая помощь.")
    page.fill("#id_challenges", "Зимой два пограничных пункта были закрыты.")
    page.select_option("#id_safeguarding_incidents", "false")
    page.fill("#id_lessons_learned", "Совместные визиты с трудовыми инспекторами.")
    for name, value in (("women", "31"), ("men", "22"), ("girls", "64"), ("boys", "45"), ("victims_of_trafficking", "80"), ("smuggled_migrants", "58")):
        page.fill(f"#id_{name}", value)
    page.fill("#id_indicators-0-actual", "96")
    page.fill("#id_indicators-1-actual", "163")
    page.fill(f"#id_line_{grant.budget_lines.filter(heading='1').first().pk}", "61 000,00")  # expenditure by budget line
    page.fill(f"#id_line_{grant.budget_lines.filter(heading='5').first().pk}", "25 000")
    both_widths(page, screenshot, "lang-ru-report-form")
    page.click("button[name=action][value=submit]")
    page.wait_for_load_state()
    report = Report.objects.get(grant=grant, period_number=1)
    assert report.status == ReportStatus.SUBMITTED
    assert report.versions.order_by("-number").first().total_eur == 86000
    assert "Ваш отчёт подан" in page.inner_text("main")
    both_widths(page, screenshot, "lang-ru-report-submitted")
