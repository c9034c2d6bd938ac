# Units with titles in the six languages, step 2 of 3: each programme's free-text units become Unit rows.
#
# A unit written as one of the common ones below ("people", "Persons", "cases", …) gets its titles in the six
# languages; any other text becomes a unit of its own with that text as its English title (the programme adds the
# other languages later) and a code made from it. The table is frozen here: later changes to results.services'
# STANDARD_UNITS do not alter what this migration did.

from django.db import migrations
from django.utils.text import slugify

STANDARD = {
    "people": {"en": "people", "fr": "personnes", "es": "personas", "ru": "человек", "pt": "pessoas", "ar": "أشخاص"},
    "children": {"en": "children", "fr": "enfants", "es": "niños y niñas", "ru": "детей", "pt": "crianças", "ar": "أطفال"},
    "cases": {"en": "cases", "fr": "cas", "es": "casos", "ru": "случаев", "pt": "casos", "ar": "حالات"},
    "officers": {"en": "officers", "fr": "agents", "es": "funcionarios", "ru": "сотрудников", "pt": "agentes", "ar": "موظفون"},
    "agreements": {"en": "agreements", "fr": "accords", "es": "acuerdos", "ru": "соглашений", "pt": "acordos", "ar": "اتفاقات"},
    "share-of-cases": {"en": "share of cases", "fr": "part des cas", "es": "proporción de casos", "ru": "доля случаев",
                       "pt": "proporção de casos", "ar": "نسبة الحالات"},
    "beds": {"en": "beds", "fr": "lits", "es": "camas", "ru": "койко-мест", "pt": "camas", "ar": "أسرّة"},
    "sessions": {"en": "sessions", "fr": "séances", "es": "sesiones", "ru": "занятий", "pt": "sessões", "ar": "جلسات"},
    "organisations": {"en": "organisations", "fr": "organisations", "es": "organizaciones", "ru": "организаций",
                      "pt": "organizações", "ar": "منظمات"},
    "percent": {"en": "%", "fr": "%", "es": "%", "ru": "%", "pt": "%", "ar": "٪"},
}
# Free text as people typed it (folded to lower case, spaces squeezed) -> the standard unit's code.
SYNONYMS = {
    "people": "people", "persons": "people", "person": "people", "individuals": "people", "beneficiaries": "people",
    "children": "children", "child": "children",
    "cases": "cases", "case": "cases",
    "officers": "officers", "officer": "officers", "officials": "officers",
    "agreements": "agreements", "agreement": "agreements",
    "share of cases": "share-of-cases", "share-of-cases": "share-of-cases",
    "beds": "beds", "bed": "beds",
    "sessions": "sessions", "session": "sessions",
    "organisations": "organisations", "organizations": "organisations", "organisation": "organisations",
    "percent": "percent", "per cent": "percent", "%": "percent", "percentage": "percent",
}


def _fold(text):
    return " ".join((text or "").split()).lower()


def units_forward(apps, schema_editor):
    Unit = apps.get_model("results", "Unit")
    StandardIndicator = apps.get_model("results", "StandardIndicator")
    units = {}  # (programme id, code) -> Unit
    by_text = {}  # (programme id, folded text) -> Unit
    for indicator in StandardIndicator.objects.exclude(unit="").order_by("pk"):
        text = " ".join(indicator.unit.split())
        if not text:
            continue
        key = (indicator.programme_id, _fold(text))
        unit = by_text.get(key)
        if unit is None:
            code = SYNONYMS.get(_fold(text))
            titles = dict(STANDARD[code]) if code else {"en": text}
            if code is None:
                base = (slugify(text) or "unit")[:28]
                code, n = base, 1
                while (indicator.programme_id, code) in units or code in STANDARD:
                    n += 1
                    code = f"{base}-{n}"
            unit = units.get((indicator.programme_id, code))
            if unit is None:
                unit = Unit.objects.create(programme_id=indicator.programme_id, code=code, titles=titles)
                units[(indicator.programme_id, code)] = unit
            by_text[key] = unit
        StandardIndicator.objects.filter(pk=indicator.pk).update(unit_ref=unit)


def units_backward(apps, schema_editor):
    StandardIndicator = apps.get_model("results", "StandardIndicator")
    for indicator in StandardIndicator.objects.exclude(unit_ref=None).select_related("unit_ref"):
        titles = indicator.unit_ref.titles or {}
        StandardIndicator.objects.filter(pk=indicator.pk).update(unit=(titles.get("en") or indicator.unit_ref.code)[:64])


class Migration(migrations.Migration):

    dependencies = [
        ('results', '0003_unit'),
    ]

    operations = [
        migrations.RunPython(units_forward, units_backward),
    ]
