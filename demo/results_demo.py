"""The demo's results: GLO.ACT's standard indicators, mapped to the donor's results framework (EU GERF), with
targets for every reporting period of the C00 grants and values for the periods already over. Some counts are
small (1 to 4 children in a cell), so the dashboard shows small-cell protection at work. The officer accepts every
value recorded (the dashboard counts only accepted values). Through the services, like the rest of the demo."""
from decimal import Decimal

from django.utils import timezone

from grants.models import Grant
from grants.periods import grant_periods
from results.cells import cell_key
from results.models import Combine, StandardIndicator
from results.services import default_dimensions, indicator_create, targets_set, value_review, values_record

INDICATORS = [
    # (code, external code, unit code (results.services.STANDARD_UNITS: titles in six languages), combine, dimensions,
    # counts people, titles)
    ("VOT", "2.29", "people", Combine.SUM, ("sex", "age", "exploitation"), True, {
        "en": "Victims of trafficking assisted", "fr": "Victimes de la traite assistées",
        "es": "Víctimas de trata asistidas", "ru": "Жертвы торговли людьми, получившие помощь",
        "pt": "Vítimas de tráfico assistidas", "ar": "ضحايا الاتجار الذين تلقوا المساعدة"}),
    ("SOM", "2.30", "people", Combine.SUM, ("sex", "age"), True, {
        "en": "Smuggled migrants assisted", "fr": "Migrants objets d'un trafic illicite assistés",
        "es": "Migrantes objeto de tráfico ilícito asistidos", "ru": "Незаконно ввезённые мигранты, получившие помощь",
        "pt": "Migrantes objeto de introdução clandestina assistidos", "ar": "المهاجرون المهرَّبون الذين تلقوا المساعدة"}),
    ("TRN", "2.33", "officers", Combine.SUM, ("sex",), False, {
        "en": "Front-line officers trained", "fr": "Agents de première ligne formés",
        "es": "Funcionarios de primera línea capacitados", "ru": "Обученные сотрудники первого звена",
        "pt": "Agentes de primeira linha formados", "ar": "الموظفون الميدانيون المدرَّبون"}),
    ("REF", "", "agreements", Combine.SUM, (), False, {
        "en": "Referral agreements signed", "fr": "Accords d'orientation signés", "es": "Acuerdos de derivación firmados",
        "ru": "Подписанные соглашения о направлении", "pt": "Acordos de encaminhamento assinados",
        "ar": "اتفاقات الإحالة الموقعة"}),
    ("CID", "", "cases", Combine.SUM, (), False, {
        "en": "Cases identified", "fr": "Cas identifiés", "es": "Casos identificados", "ru": "Выявленные случаи",
        "pt": "Casos identificados", "ar": "الحالات المحددة"}),
    ("C72", "", "cases", Combine.SUM, (), False, {
        "en": "Cases referred within 72 h", "fr": "Cas orientés en 72 h", "es": "Casos derivados en 72 h",
        "ru": "Случаи, направленные в течение 72 ч", "pt": "Casos encaminhados em 72 h", "ar": "الحالات المحالة خلال 72 ساعة"}),
    ("SHR72", "2.31", "share-of-cases", Combine.RATIO, (), False, {
        "en": "Share of cases referred within 72 h", "fr": "Part des cas orientés en 72 h",
        "es": "Proporción de casos derivados en 72 h", "ru": "Доля случаев, направленных в течение 72 ч",
        "pt": "Proporção de casos encaminhados em 72 h", "ar": "نسبة الحالات المحالة خلال 72 ساعة"}),
    ("BEDS", "", "beds", Combine.MAXIMUM, (), False, {
        "en": "Shelter capacity", "fr": "Capacité d'accueil des foyers", "es": "Capacidad de los albergues",
        "ru": "Вместимость приютов", "pt": "Capacidade dos abrigos", "ar": "القدرة الاستيعابية للملاجئ"}),
]

# Per reporting period of a grant (scaled by its budget): targets, then what was reached in the periods over.
TARGETS = {"VOT": 90, "SOM": 60, "TRN": 40, "REF": 3, "CID": 120, "C72": 90, "BEDS": 24}
REACHED = {"TRN": 46, "REF": 2, "CID": 131, "C72": 97, "BEDS": 22}
# Victims by (sex, age band) and form of exploitation, sexual, labour, forced criminality, other: children few.
VICTIMS = {
    ("female", "0-11"): (2, 0, 0, 1), ("female", "12-17"): (9, 3, 1, 0), ("female", "18+"): (31, 12, 2, 3),
    ("male", "0-11"): (0, 1, 0, 0), ("male", "12-17"): (1, 6, 4, 0), ("male", "18+"): (3, 24, 5, 2),
}
MIGRANTS = {("female", "0-11"): 3, ("female", "12-17"): 5, ("female", "18+"): 14,
            ("male", "0-11"): 2, ("male", "12-17"): 11, ("male", "18+"): 29}
TRAINED = {"female": Decimal("0.45"), "male": Decimal("0.55")}
EXPLOITATION = ("sexual", "labour", "criminality", "other")


def _scaled(number, scale):
    """A whole number of `number` x `scale`, never turning a small count into nothing."""
    return max(int((Decimal(number) * scale).to_integral_value()), 1 if number else 0)


def _values(indicators, scale):
    victims = {
        cell_key([("sex", sex), ("age", age), ("exploitation", form)]): _scaled(count, scale)
        for (sex, age), counts in VICTIMS.items() for form, count in zip(EXPLOITATION, counts, strict=True)
    }
    migrants = {cell_key([("sex", sex), ("age", age)]): _scaled(count, scale) for (sex, age), count in MIGRANTS.items()}
    trained = _scaled(REACHED["TRN"], scale)
    female = int((trained * TRAINED["female"]).to_integral_value())
    values = {
        indicators["VOT"]: {"cells": victims},
        indicators["SOM"]: {"cells": migrants},
        indicators["TRN"]: {"cells": {"sex=female": female, "sex=male": trained - female}},
    }
    values.update({indicators[code]: {"total": _scaled(REACHED[code], scale)} for code in ("REF", "CID", "C72", "BEDS")})
    return values


def seed_results(*, programme, officer, say):
    if StandardIndicator.objects.filter(programme=programme).exists():
        return
    dimensions = {d.code: d for d in default_dimensions(programme, actor=officer)}
    indicators = {}
    for position, (code, external, unit, combine, dims, people, titles) in enumerate(INDICATORS, start=1):
        parts = {"numerator": indicators["C72"], "denominator": indicators["CID"]} if combine == Combine.RATIO else {}
        indicators[code] = indicator_create(
            actor=officer, programme=programme, code=code, titles=titles, unit=unit, combine=combine,
            dimensions=[dimensions[d] for d in dims], counts_people=people, external_code=external, position=position,
            **parts,
        )
    today = timezone.localdate()
    grants = Grant.objects.filter(call__programme=programme, call__reference="C00").select_related("call__programme").order_by("reference")
    for index, grant in enumerate(grants):
        scale = grant.amount / Decimal("150000")
        for period in grant_periods(grant):
            dates = {"period_number": period.number, "period_start": period.start, "period_end": period.end}
            targets_set(actor=officer, grant=grant, **dates, targets={
                indicators[code]: _scaled(target, scale) for code, target in TARGETS.items()
            })
            if period.end < today:
                # The second grant counts fewer children: its cells fall below the threshold.
                recorded = values_record(actor=officer, grant=grant, **dates, values=_values(indicators, scale / (index + 1)))
                for value in recorded.values.all():
                    value_review(actor=officer, value=value, accept=True)
    say(f"created {len(indicators)} standard indicators with targets and results for the C00 grants")
