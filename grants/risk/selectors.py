"""Reads of partner risk and assurance that pages and the officer's inbox share, each in a fixed number of queries.

The assurance plan of a grant for a year: the rule of its partner's rating gives spot checks and visits per year,
pro-rated to the days the grant runs in that year (rounded up); the planned ones fall due evenly over those days,
so the k-th of n is due k/n of the way through. One is overdue when its due day has passed and fewer than k were
done in the year."""
import math
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple

from django.db.models import Count, F
from django.utils import timezone

from ..models import Grant, country_name
from .models import AssuranceActivity, AssuranceKind, MicroAssessment, PseaAssessment, RiskRating
from .rules import ORDER, ratings_of, rules_for_many
from .services import ASSURED_STATUSES


@dataclass
class Plan:
    planned: int
    done: int
    due_days: list  # the planned ones' due days, in order
    overdue: int = 0  # due before today and not done

    @property
    def next_due(self) -> date | None:
        return self.due_days[self.done] if self.done < len(self.due_days) else None


def _today():
    return timezone.localdate()


def _window(grant, year):
    start, end = date(year, 1, 1), date(year, 12, 31)
    if grant.start_date:
        start = max(start, grant.start_date)
    if grant.end_date:
        end = min(end, grant.end_date)
    return start, end


@lru_cache(maxsize=4096)
def _due_days(per_year, start, end, year) -> tuple:
    """The due days of the planned ones over [start, end] in the year; grants sharing a window share them."""
    days = (end - start).days + 1
    if days <= 0 or per_year <= 0:
        return ()
    year_days = (date(year, 12, 31) - date(year, 1, 1)).days + 1
    planned = math.ceil(per_year * days / year_days)
    return tuple(start + timedelta(days=math.ceil(days * k / planned) - 1) for k in range(1, planned + 1))


def _plan(per_year, done, grant, year, today=None) -> Plan:
    due = _due_days(per_year, *_window(grant, year), year)
    return Plan(len(due), done, list(due), max(bisect_left(due, today or _today()) - done, 0))


@dataclass
class GrantAssurance:
    grant: Grant
    rating: str
    audit_due: bool
    spot_checks: Plan
    visits: Plan

    @property
    def overdue(self) -> int:
        return self.spot_checks.overdue + self.visits.overdue


def _running(grants):
    return grants.filter(status__in=ASSURED_STATUSES)


def _plans(grants, running, year) -> list[GrantAssurance]:
    """The plan of each of `grants` (objects with pk, organisation_id, programme_id, start_date and end_date) from
    the `running` queryset they were read from: three queries, whatever their number."""
    today = _today()
    ratings = ratings_of({g.organisation_id for g in grants})
    rules = rules_for_many({g.programme_id for g in grants})
    done = defaultdict(dict)
    for grant_id, kind, n in (
        AssuranceActivity.objects.filter(grant__in=running.values("pk"), done_on__year=year)
        .values_list("grant_id", "kind").annotate(n=Count("pk")).values_list("grant_id", "kind", "n")
    ):
        done[grant_id][kind] = n
    rows = []
    for grant in grants:
        rating = ratings[grant.organisation_id]
        rule = rules[grant.programme_id][rating]
        counts = done.get(grant.pk, {})
        rows.append(GrantAssurance(
            grant=grant, rating=rating, audit_due=rule.audit_due,
            spot_checks=_plan(rule.spot_checks_per_year, counts.get(AssuranceKind.SPOT_CHECK, 0), grant, year, today),
            visits=_plan(rule.visits_per_year, counts.get(AssuranceKind.VISIT, 0), grant, year, today),
        ))
    return rows


def assurance_rows(grants, year=None) -> list[GrantAssurance]:
    """Each running grant of the `grants` queryset with its rating and this year's plan: four queries."""
    running = _running(grants)
    grants = list(
        running.select_related("organisation", "country", "call").annotate(programme_id=F("call__programme_id"))
        .order_by("country__name", "reference")
    )
    return _plans(grants, running, year or _today().year) if grants else []


class _Key(NamedTuple):
    """What the totals need of a grant, read without building the grant itself."""
    pk: int
    reference: str
    country_code: str | None
    country: str | None  # as the programme names it
    organisation_id: int
    programme_id: int
    start_date: date | None
    end_date: date | None


def _light_rows(grants, year) -> list[GrantAssurance]:
    """The plans of the running grants of `grants`, each row's `grant` a `_Key`: four queries."""
    running = _running(grants)
    keys = [_Key(*values) for values in running.values_list(
        "pk", "reference", "country__code", "country__name", "organisation_id", "call__programme_id", "start_date", "end_date")]
    return _plans(keys, running, year) if keys else []


def _most_overdue_first(row):
    return -row.overdue, row.grant.reference


@dataclass
class CoverageCell:
    grants: int = 0
    spot_checks_planned: int = 0
    spot_checks_done: int = 0
    visits_planned: int = 0
    visits_done: int = 0
    overdue: int = 0
    audits_due: int = 0

    def add(self, row: GrantAssurance):
        self.grants += 1
        self.spot_checks_planned += row.spot_checks.planned
        self.spot_checks_done += row.spot_checks.done
        self.visits_planned += row.visits.planned
        self.visits_done += row.visits.done
        self.overdue += row.overdue
        self.audits_due += int(row.audit_due)


@dataclass
class Coverage:
    year: int
    by_country: list = field(default_factory=list)  # (country name, {rating: CoverageCell}, total CoverageCell)
    by_rating: dict = field(default_factory=dict)  # rating -> CoverageCell
    total: CoverageCell = field(default_factory=CoverageCell)
    overdue_rows: list = field(default_factory=list)  # GrantAssurance with something overdue, most overdue first


def coverage(grants, year=None) -> Coverage:
    """Planned against done by country and risk rating, over every running grant, and the grants with something
    overdue (each row's `grant` a light key: `with_grants` reads the ones shown): four queries."""
    year = year or _today().year
    result = Coverage(year=year, by_rating={rating: CoverageCell() for rating in ORDER})
    countries, names = {}, {}
    for row in _light_rows(grants, year):
        key = (row.grant.country_code, row.grant.country)
        if key not in names:
            names[key] = country_name(*key) if row.grant.country else ""
        cells, total = countries.setdefault(names[key], ({rating: CoverageCell() for rating in ORDER}, CoverageCell()))
        cells[row.rating].add(row)
        total.add(row)
        result.by_rating[row.rating].add(row)
        result.total.add(row)
        if row.overdue:
            result.overdue_rows.append(row)
    result.by_country = [(name, cells, total) for name, (cells, total) in sorted(countries.items())]
    result.overdue_rows.sort(key=_most_overdue_first)
    return result


def with_grants(rows) -> list[GrantAssurance]:
    """The `rows` of `coverage` to show, each with its grant and partner read: one query."""
    grants = Grant.objects.select_related("organisation").in_bulk([row.grant.pk for row in rows])
    return [replace(row, grant=grants[row.grant.pk]) for row in rows]


def plan_rows(grants, year) -> list[GrantAssurance]:
    """Every running grant's plan for the year, most overdue first, each with its grant and partner: five queries."""
    return with_grants(sorted(_light_rows(grants, year), key=_most_overdue_first))


def overdue_grants_count() -> int:
    """How many running grants have a planned spot check or visit overdue (the officer's inbox): four queries."""
    return sum(1 for row in _light_rows(Grant.objects.all(), _today().year) if row.overdue)


@dataclass
class RiskProfile:
    organisation: object
    rating: str
    current: MicroAssessment | None
    assessments: list
    psea_latest: PseaAssessment | None
    psea_rated: PseaAssessment | None
    grants: list  # GrantAssurance of the organisation's running grants


def risk_profile(organisation) -> RiskProfile:
    """An organisation's rating, its assessments, its PSEA self-assessments and its grants' assurance plans."""
    today = _today()
    assessments = list(
        MicroAssessment.objects.filter(organisation=organisation).select_related("assessor_user").order_by("-assessed_on", "-id")
    )
    current = next((a for a in assessments if a.assessed_on <= today < a.expires_on), None)
    psea = list(PseaAssessment.objects.filter(organisation=organisation).select_related("submitted_by", "rated_by")
                .order_by("-submitted_at", "-id")[:20])
    rated = [p for p in psea if p.rated_at]
    return RiskProfile(
        organisation=organisation, rating=current.overall if current else RiskRating.HIGH, current=current,
        assessments=assessments, psea_latest=psea[0] if psea else None,
        psea_rated=max(rated, key=lambda p: (p.rated_at, p.pk)) if rated else None,
        grants=assurance_rows(Grant.objects.filter(organisation=organisation)),
    )


def grant_activities(grant):
    return list(AssuranceActivity.objects.filter(grant=grant).select_related("recorded_by").order_by("-done_on", "-id"))

