"""Services for results: the programme's dimensions and indicators, each grant's values and targets per period."""
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_countries import countries

from accounts import roles as R
from accounts.access import has_role
from audit.services import audit_record
from core.errors import DomainError
from core.formats import number_text
from core.money import MoneyValueError, exact_cents
from grants.models import Country, Grant
from notifications.services import notify

from .cells import indicator_cells
from .models import (
    CODE_PATTERN, LANGUAGE_CODES, REVIEW_TRANSITIONS, Category, Combine, Dimension, IndicatorCell, IndicatorTarget, IndicatorValue,
    ResultPeriod, ResultsSettings, ReviewStatus, StandardIndicator, Unit,
)

# Who reviews the values grantees submit.
REVIEWERS = (R.PROGRAMME_OFFICER, R.ADMINISTRATOR)

# The default dimensions, in their order, with titles in the six languages; nationality's categories are the
# programme's countries (added by default_dimensions) followed by "other".
DEFAULT_DIMENSIONS = [
    ("sex", {"en": "Sex", "fr": "Sexe", "es": "Sexo", "ru": "Пол", "pt": "Sexo", "ar": "الجنس"}, [
        ("female", {"en": "Female", "fr": "Féminin", "es": "Femenino", "ru": "Женский", "pt": "Feminino", "ar": "أنثى"}),
        ("male", {"en": "Male", "fr": "Masculin", "es": "Masculino", "ru": "Мужской", "pt": "Masculino", "ar": "ذكر"}),
    ]),
    ("age", {"en": "Age band", "fr": "Tranche d'âge", "es": "Grupo de edad", "ru": "Возрастная группа",
             "pt": "Faixa etária", "ar": "الفئة العمرية"}, [
        ("0-11", dict.fromkeys(LANGUAGE_CODES, "0–11")),
        ("12-17", dict.fromkeys(LANGUAGE_CODES, "12–17")),
        ("18+", dict.fromkeys(LANGUAGE_CODES, "18+")),
    ]),
    ("exploitation", {"en": "Form of exploitation", "fr": "Forme d'exploitation", "es": "Forma de explotación",
                      "ru": "Форма эксплуатации", "pt": "Forma de exploração", "ar": "شكل الاستغلال"}, [
        ("sexual", {"en": "Sexual exploitation", "fr": "Exploitation sexuelle", "es": "Explotación sexual",
                    "ru": "Сексуальная эксплуатация", "pt": "Exploração sexual", "ar": "الاستغلال الجنسي"}),
        ("labour", {"en": "Labour exploitation", "fr": "Exploitation par le travail", "es": "Explotación laboral",
                    "ru": "Трудовая эксплуатация", "pt": "Exploração laboral", "ar": "الاستغلال في العمل"}),
        ("criminality", {"en": "Forced criminality", "fr": "Criminalité forcée", "es": "Delincuencia forzada",
                         "ru": "Принуждение к преступной деятельности", "pt": "Criminalidade forçada", "ar": "الإجرام القسري"}),
        ("other", {"en": "Other", "fr": "Autre", "es": "Otra", "ru": "Другая", "pt": "Outra", "ar": "أخرى"}),
    ]),
    ("nationality", {"en": "Nationality", "fr": "Nationalité", "es": "Nacionalidad", "ru": "Гражданство",
                     "pt": "Nacionalidade", "ar": "الجنسية"}, [
        ("other", {"en": "Other countries", "fr": "Autres pays", "es": "Otros países", "ru": "Другие страны",
                   "pt": "Outros países", "ar": "بلدان أخرى"}),
    ]),
    ("status", {"en": "Status", "fr": "Statut", "es": "Condición", "ru": "Статус", "pt": "Condição", "ar": "الوضع"}, [
        ("trafficking-victim", {"en": "Victim of trafficking", "fr": "Victime de la traite des personnes",
                                "es": "Víctima de trata de personas", "ru": "Жертва торговли людьми",
                                "pt": "Vítima de tráfico de seres humanos", "ar": "ضحية الاتجار بالأشخاص"}),
        ("smuggled-migrant", {"en": "Smuggled migrant", "fr": "Migrant objet d'un trafic illicite",
                              "es": "Migrante objeto de tráfico ilícito", "ru": "Незаконно ввезённый мигрант",
                              "pt": "Migrante objeto de introdução clandestina", "ar": "مهاجر مهرَّب"}),
    ]),
]


def _country_titles(country) -> dict:
    """The country's name in each language: the programme's own in English, django-countries' in the others."""
    titles = {}
    for language in LANGUAGE_CODES:
        with translation.override(language):
            titles[language] = country.name if language == "en" else str(countries.name(country.code) or country.name)
    return titles


def default_dimensions(programme, *, actor=None) -> list[Dimension]:
    """Create the default dimensions and categories the programme does not have yet (so running it again after a
    call adds countries only adds their nationalities). Nationality lists the countries of the programme's calls
    and grants (by ISO code), then "other"."""
    with transaction.atomic():
        created = []
        for position, (code, titles, categories) in enumerate(DEFAULT_DIMENSIONS, start=1):
            dimension, new = Dimension.objects.get_or_create(
                programme=programme, code=code, defaults={"titles": titles, "position": position}
            )
            if new:
                created.append(code)
            existing = set(dimension.categories.values_list("code", flat=True))
            added = [
                Category(dimension=dimension, code=cat_code, titles=cat_titles, position=index)
                for index, (cat_code, cat_titles) in enumerate(categories, start=1) if cat_code not in existing
            ]
            if code == "nationality":
                # Countries at position 0, so by ISO code, wherever a later one falls; "other" after them.
                added += [
                    Category(dimension=dimension, code=str(c.code), titles=_country_titles(c), position=0)
                    for c in Country.objects.filter(Q(calls__programme=programme) | Q(grants__call__programme=programme)).distinct()
                    if str(c.code) not in existing
                ]
            Category.objects.bulk_create(added)
            if added and not new:
                created.extend(f"{code}={c.code}" for c in added)
        if created:
            audit_record(actor=actor, verb="programme.result_dimensions", target=programme, data={"created": created})
    return list(Dimension.objects.filter(programme=programme).prefetch_related("categories"))


def settings_set(*, actor, programme, small_cell_threshold, external_framework) -> ResultsSettings:
    if small_cell_threshold < 1:
        raise DomainError(_("The threshold must be at least 1."), code="invalid_threshold", field="small_cell_threshold")
    with transaction.atomic():
        settings, _new = ResultsSettings.objects.select_for_update().get_or_create(programme=programme)
        settings.small_cell_threshold = small_cell_threshold
        settings.external_framework = external_framework
        settings.save(update_fields=["small_cell_threshold", "external_framework"])
        audit_record(actor=actor, verb="programme.results_settings", target=programme,
                     data={"small_cell_threshold": small_cell_threshold, "external_framework": external_framework})
    return settings


# Common units with their titles in the six languages: indicator_create adds the one an indicator names by code to
# its programme the first time (migration 0004 mapped the free-text units of before to the same table). Russian
# gives the form read after a number ("120 случаев").
STANDARD_UNITS = {
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


def _check_titles(titles):
    if not isinstance(titles, dict) or not titles.get("en") or set(titles) - set(LANGUAGE_CODES):
        raise DomainError(
            _("Give the title in English, and in any of French, Spanish, Russian, Portuguese and Arabic."),
            code="invalid_titles", field="titles",
        )


def unit_create(*, actor, programme, code, titles) -> Unit:
    """A unit of the programme's indicators: a code (stable, given by the API) and its title in English and in any of
    the other five languages."""
    _check_titles(titles)
    if not isinstance(code, str) or not CODE_PATTERN.match(code) or len(code) > 32:
        raise DomainError(_("Use letters, digits and . _ + - only."), code="invalid_code", field="code")
    with transaction.atomic():
        if Unit.objects.filter(programme=programme, code=code).exists():
            raise DomainError(_("The programme already has a unit %(code)s.") % {"code": code}, code="duplicate", field="code")
        unit = Unit.objects.create(programme=programme, code=code, titles=titles)
        audit_record(actor=actor, verb="programme.result_unit", target=programme, data={"code": code, "titles": titles})
    return unit


def _unit_for(actor, programme, unit):
    """The indicator's unit: None or "" for none, a Unit of the programme, or the code of one; a code of
    STANDARD_UNITS the programme does not have yet is added with its six titles. Call inside the transaction."""
    if unit is None or unit == "":
        return None
    if isinstance(unit, Unit):
        if unit.programme_id != programme.pk:
            raise DomainError(_("Choose a unit of this programme."), code="invalid_unit", field="unit")
        return unit
    found = Unit.objects.filter(programme=programme, code=unit).first()
    if found is not None:
        return found
    if unit in STANDARD_UNITS:
        return unit_create(actor=actor, programme=programme, code=unit, titles=STANDARD_UNITS[unit])
    raise DomainError(_("The programme has no unit %(code)s.") % {"code": unit}, code="invalid_unit", field="unit")


def indicator_create(
    *, actor, programme, code, titles, unit=None, combine=Combine.SUM, dimensions=(), counts_people=False,
    numerator=None, denominator=None, external_code="", position=0,
) -> StandardIndicator:
    """A standard indicator of the programme. A ratio names a numerator and a denominator of the same programme,
    neither of them a ratio, and is not disaggregated (its parts are). `unit` is a Unit of the programme or its code
    (see _unit_for), or None."""
    combine = Combine(combine)
    _check_titles(titles)
    if combine == Combine.RATIO:
        parts = [p for p in (numerator, denominator) if p is not None]
        if len(parts) != 2 or any(p.programme_id != programme.pk or p.combine == Combine.RATIO for p in parts):
            raise DomainError(
                _("A ratio needs a numerator and a denominator among this programme's other indicators, neither a ratio."),
                code="invalid_ratio", field="numerator",
            )
        if dimensions or counts_people:
            raise DomainError(_("A ratio is not disaggregated and counts no people."), code="invalid_ratio", field="dimensions")
    elif numerator is not None or denominator is not None:
        raise DomainError(_("Only a ratio has a numerator and a denominator."), code="invalid_ratio", field="numerator")
    if any(d.programme_id != programme.pk for d in dimensions):
        raise DomainError(_("Choose dimensions of this programme."), code="invalid_dimension", field="dimensions")
    with transaction.atomic():
        if StandardIndicator.objects.filter(programme=programme, code=code).exists():
            raise DomainError(_("The programme already has an indicator %(code)s.") % {"code": code}, code="duplicate", field="code")
        unit = _unit_for(actor, programme, unit)
        indicator = StandardIndicator.objects.create(
            programme=programme, code=code, titles=titles, unit=unit, combine=combine, counts_people=counts_people,
            numerator=numerator, denominator=denominator, external_code=external_code, position=position,
        )
        indicator.dimensions.set(dimensions)
        audit_record(actor=actor, verb="programme.result_indicator", target=indicator,
                     data={"programme": programme.code, "code": code, "combine": combine.value,
                           "dimensions": [d.code for d in dimensions], "unit": unit.code if unit else ""})
    return indicator


def _number(value, indicator, *, whole):
    """A value as typed: None stays None (not collected); otherwise a non-negative Decimal of at most two places,
    whole for people counts."""
    if value is None:
        return None
    try:
        number = exact_cents(value)
    except MoneyValueError:
        number = None
    if number is None or number < 0 or (whole and number != number.to_integral_value()):
        message = _("%(indicator)s: enter a whole number of people, 0 or more.") if whole else _(
            "%(indicator)s: enter a number of 0 or more, with at most two decimals."
        )
        raise DomainError(message % {"indicator": indicator.code}, code="invalid_value")
    return number


def _period(grant, number, start, end) -> ResultPeriod:
    """The grant's period `number`, created with these dates, or refused if it exists with others."""
    if number < 1 or end < start:
        raise DomainError(_("A period has a number from 1 and ends on or after its start."), code="invalid_period")
    period, _new = ResultPeriod.objects.get_or_create(grant=grant, number=number, defaults={"start": start, "end": end})
    if (period.start, period.end) != (start, end):
        raise DomainError(
            _("Period %(number)s of this grant already runs from %(start)s to %(end)s.")
            % {"number": number, "start": period.start.isoformat(), "end": period.end.isoformat()},
            code="period_dates_differ",
        )
    return period


def _indicators(grant, chosen) -> dict[int, StandardIndicator]:
    """The chosen indicators, read again with their dimensions; each must be one of the grant's programme's and not
    a ratio (a ratio is computed from its parts)."""
    found = {
        i.pk: i for i in StandardIndicator.objects.filter(pk__in=[i.pk for i in chosen], programme_id=grant.call.programme_id)
        .prefetch_related("dimensions__categories")
    }
    for indicator in chosen:
        if indicator.pk not in found:
            raise DomainError(_("%(indicator)s is not an indicator of this grant's programme.") % {"indicator": indicator.code},
                              code="invalid_indicator")
        if found[indicator.pk].combine == Combine.RATIO:
            raise DomainError(_("%(indicator)s is a ratio: record its numerator and denominator instead.")
                              % {"indicator": indicator.code}, code="ratio_not_recorded")
    return found


def _checked_cells(indicator, total, cells):
    """(total, {key: amount}) for every cell of the indicator, refusing unknown cells and totals the cells contradict.

    With every cell collected the total must be their sum (an empty total takes it); with some not collected the
    total cannot be below the sum of the others."""
    keys = indicator_cells(indicator)
    unknown = sorted(set(cells) - set(keys))
    if unknown:
        raise DomainError(_("%(indicator)s has no cell %(cell)s.") % {"indicator": indicator.code, "cell": unknown[0]},
                          code="unknown_cell")
    amounts = {key: _number(cells.get(key), indicator, whole=indicator.counts_people) for key in keys}
    collected = [a for a in amounts.values() if a is not None]
    cell_sum = sum(collected)
    if keys and len(collected) == len(keys):
        if total is None:
            total = cell_sum
        elif total != cell_sum:
            raise DomainError(
                _("%(indicator)s: the total (%(total)s) is not the sum of its cells (%(sum)s).")
                % {"indicator": indicator.code, "total": number_text(total), "sum": number_text(cell_sum)},
                code="total_mismatch",
            )
    elif collected and total is not None and total < cell_sum:
        raise DomainError(
            _("%(indicator)s: the total (%(total)s) is below the sum of the cells collected (%(sum)s).")
            % {"indicator": indicator.code, "total": number_text(total), "sum": number_text(cell_sum)},
            code="total_mismatch",
        )
    return total, amounts


def values_record(*, actor, grant, period_number, period_start, period_end, values) -> ResultPeriod:
    """Record a period's values for a grant: `values` maps each indicator to {"total": …, "cells": {key: …}} (a
    missing or None number is "not collected"). A value recorded again replaces the earlier one, cells included, and
    goes back to the officer for review."""
    with transaction.atomic():
        grant = Grant.objects.select_for_update().select_related("call").get(pk=grant.pk)
        indicators = _indicators(grant, list(values))
        checked = {}
        for chosen, entry in values.items():
            indicator = indicators[chosen.pk]
            total = _number(entry.get("total"), indicator, whole=indicator.counts_people)
            checked[indicator.pk] = _checked_cells(indicator, total, entry.get("cells") or {})
        period = _period(grant, period_number, period_start, period_end)
        existing = {v.indicator_id: v for v in IndicatorValue.objects.filter(period=period, indicator_id__in=checked)}
        recorder = actor if getattr(actor, "is_authenticated", False) else None
        changes = {}
        for indicator_id, (total, amounts) in checked.items():
            value = existing.get(indicator_id)
            changes[indicators[indicator_id].code] = [None if value is None or value.total is None else str(value.total),
                                                      None if total is None else str(total)]
            if value is None:
                value = IndicatorValue.objects.create(period=period, indicator_id=indicator_id, total=total, recorded_by=recorder)
            else:
                value.total, value.recorded_by, value.review_status = total, recorder, ReviewStatus.SUBMITTED
                value.save(update_fields=["total", "recorded_by", "recorded_at", "review_status"])
                value.cells.all().delete()
            IndicatorCell.objects.bulk_create(IndicatorCell(value=value, key=key, amount=a) for key, a in amounts.items())
        audit_record(actor=actor, verb="grant.result_values", target=grant,
                     data={"period": period_number, "totals": changes})
    return period


def targets_set(*, actor, grant, period_number, period_start, period_end, targets) -> ResultPeriod:
    """Set the grant's targets for a period: `targets` maps indicators to a number (None removes the target)."""
    with transaction.atomic():
        grant = Grant.objects.select_for_update().select_related("call").get(pk=grant.pk)
        indicators = _indicators(grant, list(targets))
        period = _period(grant, period_number, period_start, period_end)
        changes = {}
        for chosen, raw in targets.items():
            indicator = indicators[chosen.pk]
            target = _number(raw, indicator, whole=indicator.counts_people)
            before = IndicatorTarget.objects.filter(period=period, indicator=indicator).first()
            changes[indicator.code] = [None if before is None else str(before.target), None if target is None else str(target)]
            if target is None:
                if before is not None:
                    before.delete()
            elif before is None:
                IndicatorTarget.objects.create(period=period, indicator=indicator, target=target)
            else:
                before.target = target
                before.save(update_fields=["target"])
        audit_record(actor=actor, verb="grant.result_targets", target=grant, data={"period": period_number, "targets": changes})
    return period


def value_review(*, actor, value, accept, comment="") -> IndicatorValue:
    """The officer's review of a submitted value: accepted, or sent back to the grantee with a comment saying what
    to correct (the grantee's next recording submits it again)."""
    if not has_role(actor, *REVIEWERS):
        raise DomainError(_("Only programme officers may review results."), code="forbidden")
    comment = (comment or "").strip()
    if not accept and not comment:
        raise DomainError(_("Say what the grantee should correct."), code="comment_required", field="comment")
    status = ReviewStatus.ACCEPTED if accept else ReviewStatus.RETURNED
    with transaction.atomic():
        value = IndicatorValue.objects.select_for_update().select_related("period__grant", "indicator").get(pk=value.pk)
        if status not in REVIEW_TRANSITIONS[ReviewStatus(value.review_status)]:
            raise DomainError(_("%(indicator)s was already reviewed.") % {"indicator": value.indicator.code},
                              code="already_reviewed")
        value.review_status, value.review_comment, value.reviewed_by, value.reviewed_at = status, comment, actor, timezone.now()
        value.save(update_fields=["review_status", "review_comment", "reviewed_by", "reviewed_at"])
        audit_record(actor=actor, verb="grant.result_value_review", target=value.period.grant,
                     data={"period": value.period.number, "indicator": value.indicator.code, "status": status.value,
                           "comment": comment})
        if not accept:
            grant = value.period.grant
            grantees = get_user_model().objects.filter(
                memberships__organisation_id=grant.organisation_id, is_active=True
            ).distinct()
            notify(grantees, "result_returned", url=reverse("results_entry", args=[grant.reference, value.period.number]),
                   params={"grant": grant.reference, "period": value.period.number, "indicator": value.indicator.code})
    return value
