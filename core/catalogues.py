"""Translation catalogues as code: extract, update, check and compile them with Python alone.

Django's own `makemessages` and `compilemessages` call GNU gettext, which a fresh machine may not have. This
module does the same with Babel: Python files through Babel's extractor, templates through Django's own
`templatize` (the step `makemessages` runs before xgettext), then a merge into `locale/<lang>/LC_MESSAGES/django.po`
and a compile to `django.mo`. The catalogue test runs `problems()` so a string marked in the code but missing from a
catalogue, untranslated, fuzzy, obsolete or with other placeholders than its source fails the build.
"""

import io
import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from django.conf import settings
from django.utils.translation.template import templatize

DOMAIN = "django"
# Folders of our own code; tests, migrations and the virtual environment hold no user-facing strings.
SKIP_PARTS = {".venv", "tests", "migrations", "node_modules", "staticfiles", "media", "locale", "test-artifacts", ".git"}
KEYWORDS = {
    "_": None,
    "_lazy": None,  # gettext_lazy imported as _lazy beside gettext as _
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}
COMMENT_TAGS = ("Translators:",)
# Babel's Arabic rule puts 11–99 in the last form; this is the gettext (and Django) rule: 0, 1, 2, 3–10, 11–99, other.
PLURAL_FORMS = {
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 && n%100<=99 ? 4 : 5);",
}
# %(name)s, %s, %d, %% and {name}: what must survive translation unchanged.
PLACEHOLDER = re.compile(r"%\([^)]+\)[#0 +-]*\d*(?:\.\d+)?[sdifrx]|%[sdifr]|\{[A-Za-z_][A-Za-z0-9_]*\}")


def root() -> Path:
    return Path(settings.BASE_DIR)


def languages() -> list[str]:
    """The languages that have catalogues: every configured one but the source language."""
    return [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def po_path(language: str) -> Path:
    return root() / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _source_files():
    base = root()
    for path in sorted(base.rglob("*")):
        relative = path.relative_to(base)
        if any(part in SKIP_PARTS or part.startswith(".") for part in relative.parts[:-1]):
            continue
        if path.suffix == ".py" or (path.suffix in {".html", ".txt"} and "templates" in relative.parts):
            yield path, relative


def extract_template() -> Catalog:
    """Every message marked in our code and templates, as a catalogue without translations."""
    catalog = Catalog(project="CSO Grants", fuzzy=False)
    for path, relative in _source_files():
        if path.suffix == ".py":
            found = extract_from_file("python", str(path), keywords=KEYWORDS, comment_tags=COMMENT_TAGS)
        else:
            # templatize keeps the template's lines and indentation; Python's tokenizer wants no stray indents.
            code = "\n".join(line.lstrip() for line in templatize(path.read_text(encoding="utf-8"), origin=str(path)).split("\n"))
            found = extract("python", io.BytesIO(code.encode("utf-8")), keywords=KEYWORDS, comment_tags=COMMENT_TAGS)
        for lineno, message, comments, context in found:
            catalog.add(message, None, [(relative.as_posix(), lineno)], auto_comments=comments, context=context)
    return catalog


def read_catalog(language: str) -> Catalog:
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=language, domain=DOMAIN)


def write_catalog(catalog: Catalog, language: str) -> None:
    path = po_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=120, omit_header=False, ignore_obsolete=True, include_previous=False, sort_output=True)
    path.write_bytes(buffer.getvalue())


def update(language_list=None, template: Catalog | None = None) -> dict[str, int]:
    """Merge newly marked messages into each catalogue; returns the number of entries left to translate per language.

    A changed source keeps its old translation marked fuzzy for the translator to check; a removed one is dropped.
    """
    template = template or extract_template()
    left = {}
    for language in language_list or languages():
        if po_path(language).exists():
            catalog = read_catalog(language)
        else:
            catalog = Catalog(locale=language, domain=DOMAIN, project="CSO Grants", fuzzy=False)
            if language in PLURAL_FORMS:
                catalog.mime_headers = [("Plural-Forms", PLURAL_FORMS[language])]
        catalog.update(template, no_fuzzy_matching=False, update_header_comment=False)
        write_catalog(catalog, language)
        left[language] = sum(1 for message in catalog if message.id and (message.fuzzy or not _translated(message)))
    return left


def compile_all() -> list[Path]:
    """Write django.mo beside each django.po (fuzzy entries are left out, as msgfmt does)."""
    written = []
    for po in sorted((root() / "locale").glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        language = po.parent.parent.name
        catalog = read_catalog(language)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        written.append(mo)
    return written


def compile_if_stale() -> list[Path]:
    """Compile when a django.mo is missing or older than its django.po (for test runs started without make)."""
    for po in (root() / "locale").glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            return compile_all()
    return []


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return bool(strings) and all(s and s.strip() for s in strings)


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text or ""))


def _key(message):
    msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    return (message.context or "", msgid)


def problems(language: str, template: Catalog | None = None) -> list[str]:
    """Everything wrong with one catalogue, one line each; an empty list means it is complete."""
    template = template or extract_template()
    if not po_path(language).exists():
        return [f"{language}: no catalogue at {po_path(language).relative_to(root())}"]
    catalog = read_catalog(language)
    found = []
    wanted = {_key(m): m for m in template if m.id}
    have = {_key(m): m for m in catalog if m.id}
    for key in sorted(wanted.keys() - have.keys()):
        found.append(f"{language}: not in the catalogue: {key[1]!r}")
    for key in sorted(have.keys() - wanted.keys()):
        found.append(f"{language}: obsolete (no longer in the code): {key[1]!r}")
    if catalog.obsolete:
        found.append(f"{language}: {len(catalog.obsolete)} obsolete #~ entries")
    for key, message in sorted(have.items()):
        if key not in wanted:
            continue
        if message.fuzzy:
            found.append(f"{language}: fuzzy: {key[1]!r}")
        if not _translated(message):
            found.append(f"{language}: untranslated: {key[1]!r}")
            continue
        if isinstance(message.id, (list, tuple)):
            # A singular form may leave the count out ("one report"); the others keep the plural's placeholders.
            strings = list(message.string)
            if len(strings) != catalog.num_plurals:
                found.append(f"{language}: {len(strings)} plural forms instead of {catalog.num_plurals}: {key[1]!r}")
            allowed = set(_placeholders(message.id[0])) | set(_placeholders(message.id[1]))
            for string in strings:
                if not set(_placeholders(string)) <= allowed:
                    found.append(f"{language}: placeholders {_placeholders(string)} not in the source: {key[1]!r}")
            if strings and _placeholders(strings[-1]) != _placeholders(message.id[1]):
                found.append(f"{language}: placeholders of the last plural form differ from the source: {key[1]!r}")
        elif _placeholders(message.string) != _placeholders(message.id):
            found.append(f"{language}: placeholders {_placeholders(message.string)} differ from the source: {key[1]!r}")
    return found
