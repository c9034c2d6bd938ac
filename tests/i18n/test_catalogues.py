"""The five catalogues are complete, and the check that says so catches each kind of gap."""
import shutil

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import catalogues

LANGUAGES = ["fr", "es", "ru", "pt", "ar"]


@pytest.fixture(scope="module")
def template():
    return catalogues.extract_template()


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete(language, template):
    """Every message marked in the code is translated, none fuzzy or obsolete, placeholders as in the source."""
    assert catalogues.problems(language, template) == []


def test_extraction_finds_python_templates_contexts_and_plurals(template):
    keys = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in template if m.id}
    assert (None, "Calls for proposals") in keys  # a template
    assert (None, "Choose one of the languages offered.") in keys  # a service
    assert ("button: open the grant", "Open") in keys  # a template with a context
    assert (None, "Above the funding line") in keys  # gettext_lazy imported as _lazy (applications/ranking_views.py)
    plural = next(m for m in template if isinstance(m.id, tuple) and "submitted application of" in m.id[0])
    assert "submitted applications of" in plural.id[1]


@pytest.fixture
def scratch(tmp_path, settings):
    """A copy of the catalogues to break, in a scratch project folder."""
    shutil.copytree(catalogues.root() / "locale", tmp_path / "locale")
    settings.BASE_DIR = tmp_path
    return tmp_path


def _edit(language, change):
    catalog = catalogues.read_catalog(language)
    change(catalog)
    catalogues.write_catalog(catalog, language)


def test_a_blank_french_entry_fails_the_check(scratch, template):
    _edit("fr", lambda c: setattr(c.get("Calls for proposals"), "string", ""))
    assert catalogues.problems("fr", template) == ["fr: untranslated: 'Calls for proposals'"]


def test_fuzzy_changed_placeholder_and_missing_plural_form_fail_the_check(scratch, template):
    plural_id = next(m.id for m in template if isinstance(m.id, tuple))

    def change(catalog):
        catalog.get("Calls for proposals").flags.add("fuzzy")
        catalog.get("Amend %(ref)s").string = "Изменить %(reference)s"
        catalog.get(plural_id).string = tuple(catalog.get(plural_id).string)[:2]

    _edit("ru", change)
    found = catalogues.problems("ru", template)
    assert "ru: fuzzy: 'Calls for proposals'" in found
    assert any("placeholders ['%(reference)s'] differ" in line for line in found)
    assert any(plural_id[0] in line for line in found if "untranslated" in line or "plural forms" in line)


def test_a_string_missing_from_the_catalogue_and_an_obsolete_one_fail_the_check(scratch, template):
    def change(catalog):
        del catalog["Calls for proposals"]
        catalog.add("A sentence the code no longer has", "Une phrase que le code n'a plus")

    _edit("fr", change)
    found = catalogues.problems("fr", template)
    assert "fr: not in the catalogue: 'Calls for proposals'" in found
    assert "fr: obsolete (no longer in the code): 'A sentence the code no longer has'" in found


def test_update_merges_new_messages_and_keeps_translations(scratch, template):
    _edit("es", lambda c: c.delete("Calls for proposals"))
    assert catalogues.update(["es"], template) == {"es": 1}
    catalog = catalogues.read_catalog("es")
    new = catalog.get("Calls for proposals")
    assert new.fuzzy or not new.string  # a guess from a similar message is offered for checking, never trusted
    assert catalog.get("Amend %(ref)s").string  # kept


def test_compiled_catalogues_translate_pages_and_plurals():
    with translation.override("fr"):
        assert _("Calls for proposals") == "Appels à propositions"
    with translation.override("ar"):
        assert _("Calls for proposals") == "الدعوات لتقديم مقترحات"
    message = "%(n)s submitted application of %(call)s to screen"
    plural = "%(n)s submitted applications of %(call)s to screen"
    with translation.override("ru"):
        forms = {n: ngettext(message, plural, n) for n in (1, 3, 5, 21)}
    assert "заявка" in forms[1] and "заявки" in forms[3] and "заявок" in forms[5] and "заявка" in forms[21]
    with translation.override("ar"):
        assert ngettext(message, plural, 11) != ngettext(message, plural, 100)
