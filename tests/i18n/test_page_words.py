"""Tried as a new user would: on the main pages of each role, in each language, the visible words that are not
names, numbers or references differ from the English page's (at least 95% of them).

"Names" are what people typed into the system (organisations, people, call and application texts, grid criteria) and
the names of countries and currencies: everything in the database's text columns, and those names in every language."""
import re

import pytest
from django.apps import apps
from django.db import models
from django.utils import translation
from django_countries import countries
from lxml import html

from accounts.models import User
from applications.models import Assignment, AssignmentStatus, ReviewStatus
from applications.review.services import conflict_declare
from applications.services import application_start
from core.forms import currency_choices
from demo.glo_act import seed
from disbursements.schedule import facts_for, schedule_status
from grants.models import Call, Grant
from reports.services import report_open

LANGUAGES = ["fr", "es", "ru", "pt", "ar"]
WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
THRESHOLD = 0.95


def visible_words(content):
    """Words a reader sees: body text, without scripts, styles, hidden elements and the footer's language names."""
    tree = html.fromstring(content)
    for element in tree.xpath(
        "//script|//style|//template|//*[@hidden]|//select[@name='language']|//*[contains(@class, 'doc-languages')]"
    ):
        element.drop_tree()
    words = []
    for token in " ".join(tree.body.itertext()).split():
        # References, amounts, dates, e-mail addresses and addresses carry digits, @ or slashes: not words.
        if re.search(r"[\d@/]", token):
            continue
        for word in WORD.findall(token):
            if len(word) > 1 and not (word.isupper() and len(word) <= 6):  # codes: EUR, PDF, IATI, GLOACT...
                words.append(word.casefold())
    return words


def vocabulary(language):
    """Words the translation itself uses: a word that is the same in English and in the language (French
    "documents", Spanish "final") is a translation, not a leftover."""
    from core.catalogues import read_catalog

    found = set()
    for message in read_catalog(language):
        for string in (message.string if isinstance(message.string, tuple) else [message.string]):
            found.update(w.casefold() for w in WORD.findall(string or ""))
    return found


def data_words():
    found = set()
    for model in apps.get_models():
        if model._meta.app_label not in {"accounts", "grants", "clarifications", "applications", "disbursements", "reports", "conversations"}:
            continue
        fields = [f.name for f in model._meta.concrete_fields if isinstance(f, (models.CharField, models.TextField))]
        for row in model.objects.values_list(*fields) if fields else []:
            for value in row:
                if isinstance(value, str):
                    found.update(w.casefold() for w in WORD.findall(value))
    for language in ["en", *LANGUAGES]:
        with translation.override(language):
            for _code, name in countries:
                found.update(w.casefold() for w in WORD.findall(str(name)))
            for _code, name in currency_choices():  # the currency lists: "NPR – Nepalese rupee"
                found.update(w.casefold() for w in WORD.findall(str(name)))
    return found


def demo_pages():
    seed(password="glo-act-demo-2026")
    cso1 = User.objects.get(email="cso1@demo.test")
    c01 = Call.objects.get(reference="C01")
    draft = application_start(actor=cso1, call=c01, organisation=cso1.memberships.get().organisation)
    grant = Grant.objects.get(organisation__acronym="BSMC")
    report = report_open(actor=User.objects.get(email="cso8@demo.test"), grant=grant, period_number=1)
    assignment = Assignment.objects.filter(reviewer__email="reviewer1@demo.test", status=AssignmentStatus.ACTIVE) \
        .exclude(review__status=ReviewStatus.SUBMITTED).select_related("reviewer", "application").first()
    conflict_declare(actor=assignment.reviewer, application=assignment.application, has_conflict=False)
    payable = next(state.tranche for g in Grant.objects.all() for state in schedule_status(g, facts_for(g)) if state.payable > 0)
    return [
        (None, "/", None),
        (None, f"/calls/{c01.programme.code}/C01/", None),
        (None, "/accounts/signup/", None),
        ("cso1@demo.test", f"/applications/{draft.pk}/edit/", {
            "action": "submit", "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0",
            "rows-TOTAL_FORMS": "0", "rows-INITIAL_FORMS": "0",
        }),
        ("reviewer1@demo.test", f"/reviews/assignments/{assignment.pk}/score/", None),
        ("officer@demo.test", f"/screening/calls/{Call.objects.get(reference='C02').pk}/ranking/", None),
        ("officer@demo.test", f"/grants/{grant.reference}/", None),
        ("cso8@demo.test", f"/reports/{report.pk}/", None),
        ("finance@demo.test", f"/payments/new/{payable.pk}/", None),
        ("donor@demo.test", "/envelope/dashboard/", None),
    ]


def fetch(client, who, path, post, language):
    if who:
        user = User.objects.get(email=who)
        user.language = language
        user.save(update_fields=["language"])
        client.force_login(user)
    else:
        client.logout()
    response = client.post(path, post) if post else client.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code in (200, 400), (path, response.status_code)
    return response.content


@pytest.mark.django_db
def test_each_page_is_translated_in_each_language(client):
    pages = demo_pages()
    names = data_words()
    vocabularies = {language: vocabulary(language) for language in LANGUAGES}
    shortfalls, figures = [], []
    for who, path, post in pages:
        english = set(visible_words(fetch(client, who, path, post, "en"))) - names
        for language in LANGUAGES:
            words = [w for w in visible_words(fetch(client, who, path, post, language)) if w not in names]
            same = [w for w in words if w in english]
            untranslated = [w for w in same if w not in vocabularies[language]]
            share, raw = 1 - len(untranslated) / len(words), 1 - len(same) / len(words)
            figures.append(f"{language} {path}: {raw:.1%} of {len(words)} words differ, {share:.1%} counting shared words "
                           f"the translation uses ({', '.join(sorted(set(same))) or 'none'})")
            if share < THRESHOLD:
                shortfalls.append(f"{language} {path}: {share:.1%}; left in English: {sorted(set(untranslated))}")
    print("\n".join(figures))
    assert not shortfalls, "\n".join(shortfalls)
