"""Scores of a call brought together: totals per review, means per application, thresholds, normalisation,
divergence and the ranking.

Rules (documented for the committee report):
- A review counts when it is submitted, its assignment is active, and its reviewer has not declared a conflict on
  the application. Nothing else is ever counted.
- A criterion's points are score x multiplier. "Not applicable" criteria leave the section: the section's points
  are rescaled to its full maximum (points / applicable maximum x section maximum). A section entirely not
  applicable leaves the total, which is rescaled the same way to the grid's maximum.
- An application's raw total is the mean of its counted reviews' totals; its section scores the means of theirs.
- Normalised total (reviewer leniency removed): each review total becomes z = (total - reviewer's mean) /
  reviewer's standard deviation over the call (z = 0 when a reviewer has fewer than two reviews or no spread),
  mapped back to points as call mean + z x call standard deviation; the application's normalised total is the
  mean of those. Population standard deviations.
- Eliminated: a section mean below the section's threshold, or a total below the grid's pass mark.
- Divergent: reviewers' totals differ by more than the call's divergence threshold (points). An officer may add a
  reviewer or record a moderated total, which then replaces both the raw and the normalised total.
- Ranking: by the call's ranking basis (raw or normalised), highest first, eliminated ones apart. Ties are broken
  by (1) the higher mean in the section with the largest maximum (relevance in the PRAG grid), (2) the smaller
  amount requested, (3) the earlier submission (lower reference number).

The heavy lifting is one grouped database aggregate returning one row per counted review: for each section, its
points and its applicable maximum travel in one integer, points x K + applicable maximum (K a power of ten above the
grid's maximum), summed by the database over the review's applicable scores (integer sums, exact on every database).
The applications are read as plain values beside it (the fields the ranking, its page, its CSV, the committee report
and the letters show), never as model instances. Python then rescales, normalises and ranks in Decimal on those
rows, never on individual scores; a review without "not applicable" stays in integers until its total. The divisions
stay in Python: SQLite would do them in floating point, and the figures must be the same to the cent on every
database.
"""
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Exists, F, IntegerField, Max, OuterRef, Q, Sum

from core.money import round_money
from grants.models import EvaluationGrid, GridStage

from .models import (
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    ConflictDeclaration,
    RankingVersion,
    ReviewStatus,
    Score,
)

RANKABLE = (
    ApplicationStatus.ELIGIBLE, ApplicationStatus.SHORTLISTED, ApplicationStatus.AWARDED, ApplicationStatus.RESERVE,
    ApplicationStatus.REJECTED,
)


def _q(value) -> Decimal:
    """Scores are shown and compared to two decimals, rounded half-up like money."""
    return _rounded(value) if value is not None else None


@lru_cache(maxsize=4096)
def _rounded(value):
    # Means of a few small integer scores take few distinct values: the cache spares thousands of roundings.
    return round_money(Decimal(str(value)))


def _conflicted_assignments(call, stage):
    """Ids of the assignments (of one stage's applications) whose reviewer declared a conflict: one small query."""
    return list(
        Assignment.objects.filter(application__call=call, application__stage=stage).filter(
            Exists(ConflictDeclaration.objects.filter(
                application=OuterRef("application"), reviewer=OuterRef("reviewer"), has_conflict=True,
            ))
        ).values_list("pk", flat=True)
    )


def counted_scores(call, stage=GridStage.FULL_APPLICATION):
    """Scores that count: submitted reviews of active assignments whose reviewer declared no conflict, for the
    applications of one stage (concept notes or full applications). The conflicted assignments are read first (one
    small query), so the scores are not each checked against the declarations."""
    return Score.objects.filter(
        review__assignment__application__call=call,
        review__assignment__application__stage=stage,
        review__status=ReviewStatus.SUBMITTED,
        review__assignment__status=AssignmentStatus.ACTIVE,
    ).exclude(review__assignment_id__in=_conflicted_assignments(call, stage))


class ReviewResult:
    """A counted review's total and section points (before normalisation: `normalised` is set beside the others).
    `points` holds the sections' integer points in grid order when none of the review's criteria was "not
    applicable" (the common case): `total` and the sections are then those integers, `sections` is only built when
    read, and the application's means are taken on integers."""

    __slots__ = ("review_id", "application_id", "reviewer_id", "total", "points", "normalised", "_sections", "_section_ids")

    def __init__(self, review_id, application_id, reviewer_id, total, sections=None, points=None, section_ids=()):
        self.review_id, self.application_id, self.reviewer_id, self.total = review_id, application_id, reviewer_id, total
        self.points, self.normalised, self._sections, self._section_ids = points, None, sections, section_ids

    @property
    def sections(self):
        """{section id: points (Decimal)}, without the sections where nothing was applicable."""
        if self._sections is None:
            self._sections = {section_id: Decimal(points) for section_id, points in zip(self._section_ids, self.points)}
        return self._sections

    def __repr__(self):
        return f"ReviewResult(review {self.review_id}, application {self.application_id}, total {self.total})"


class RankedApplication(NamedTuple):
    """The application's fields that the ranking, its page, its CSV, the committee report and the decision letters
    show, read as plain values (building thousands of model instances took half the time of a ranking). It equals
    the `Application` it stands for, as model instances compare, by primary key."""

    pk: int
    reference: str
    title: str
    sequence: int | None
    requested_amount: Decimal | None
    organisation_id: int
    organisation_name: str
    country: str  # the organisation's country code
    decision: str | None  # the AwardDecision's outcome, once decided
    decision_amount: Decimal | None  # and the amount awarded
    moderated_total: Decimal | None

    @property
    def id(self):
        return self.pk

    def __eq__(self, other):
        if isinstance(other, (RankedApplication, Application)):
            return self.pk == other.pk
        return NotImplemented

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self):
        return hash(self.pk)


_APPLICATION_FIELDS = (
    "pk", "reference", "title", "sequence", "requested_amount", "organisation_id", "organisation__legal_name",
    "organisation__country", "award_decision__outcome", "award_decision__amount", "moderated_score__total",
)


@dataclass(slots=True)
class ApplicationResult:
    application: RankedApplication
    reviews: list = field(default_factory=list)
    sections: dict = field(default_factory=dict)  # section id -> mean
    raw_total: Decimal | None = None
    normalised_total: Decimal | None = None
    moderated_total: Decimal | None = None
    eliminated: list = field(default_factory=list)  # reasons
    divergent: bool = False
    spread: Decimal | None = None
    rank: int | None = None

    @property
    def review_count(self):
        return len(self.reviews)

    def score(self, basis):
        if self.moderated_total is not None:
            return self.moderated_total
        return self.normalised_total if basis == "normalised" else self.raw_total


@dataclass
class CallResults:
    call: object
    stage: str
    grid: EvaluationGrid | None
    section_maxima: dict  # section id -> max points
    results: list  # ApplicationResult, ranked ones first in rank order, then eliminated, then unreviewed

    @property
    def ranked(self):
        return [r for r in self.results if r.rank is not None]

    @property
    def eliminated(self):
        return [r for r in self.results if r.eliminated and r.review_count]

    @property
    def unreviewed(self):
        return [r for r in self.results if not r.review_count]


def _grid(call, stage):
    grid = (
        EvaluationGrid.objects.filter(call=call, stage=stage)
        .prefetch_related("sections__criteria")
        .first()
    )
    if grid is None:
        return None, {}
    maxima = {s.pk: sum(c.scale_max * c.multiplier for c in s.criteria.all()) for s in grid.sections.all()}
    return grid, maxima


def _packing(maxima):
    """K of the module docstring: a power of ten above any section's applicable maximum (and so above a review's
    sum of them). A score times K stays far within the database's integers for any grid of a few thousand points."""
    return 10 ** len(str(max(sum(maxima.values()), 1)))


def _review_rows(call, stage, maxima, application=None):
    """One row per counted review (the rule of `counted_scores`): (application id, assignment id, review id,
    reviewer id, then per section in grid order its points x K + applicable maximum, None when no criterion of the
    section applied), sorted, so that the reviews come in the same order (and give the same Decimal sums) on every
    database. One grouped query; it starts from the applications and groups by the ids of the joined rows, so that
    SQLite aggregates in the order it joins, without sorting 100,000 scores first."""
    k = _packing(maxima)
    score = "assignments__review__scores__"
    packed = (F(f"{score}value") * k + F(f"{score}criterion__scale_max")) * F(f"{score}criterion__multiplier")
    columns = {
        f"section_{section_id}": Sum(packed, filter=Q(**{f"{score}criterion__section_id": section_id}), output_field=IntegerField())
        for section_id in maxima
    }
    applications = Application.objects.filter(call=call, stage=stage)
    if application is not None:
        applications = applications.filter(pk=application.pk)
    rows = (
        applications.filter(**{
            "assignments__status": AssignmentStatus.ACTIVE, "assignments__review__status": ReviewStatus.SUBMITTED,
            f"{score}not_applicable": False, f"{score}value__isnull": False,
        })
        .values_list("pk", "assignments__pk", "assignments__review__pk", "assignments__reviewer_id")
        .annotate(**columns)
        .order_by()
    )
    # Read through the cursor: the sums are plain integers, and Django would otherwise convert each of them.
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # The conflicts are few: their (application, reviewer) pairs are read apart and their reviews dropped here.
    conflicts = ConflictDeclaration.objects.filter(application__call=call, application__stage=stage, has_conflict=True)
    if application is not None:
        conflicts = conflicts.filter(application=application)
    conflicted = set(conflicts.values_list("application_id", "reviewer_id"))
    if conflicted:
        rows = [row for row in rows if (row[0], row[3]) not in conflicted]
    rows.sort()
    return rows, k


def _review_results(call, stage, maxima, application=None):
    """Each counted review's section and total points (without normalisation), in application order: the
    sections' points are rescaled here when some of their criteria were not applicable."""
    rows, k = _review_rows(call, stage, maxima, application)
    grid_max = sum(maxima.values())
    section_ids = tuple(maxima)
    sections_of = list(maxima.items())
    complete = grid_max  # the applicable maxima of a review without "not applicable" add up to the grid's maximum
    reviews = []
    for application_id, _assignment_id, review_id, reviewer_id, *packed in rows:
        if None not in packed:
            points_total, possible = divmod(sum(packed), k)
            if possible == complete:  # every section complete: nothing to rescale, the points are the scores
                reviews.append(ReviewResult(
                    review_id, application_id, reviewer_id, Decimal(points_total), None,
                    tuple([value // k for value in packed]), section_ids,
                ))
                continue
        sections, counted_max, rescaled = {}, 0, False
        for (section_id, section_max), value in zip(sections_of, packed):
            if value is None:  # every criterion of the section was not applicable
                continue
            points, possible = divmod(value, k)
            counted_max += section_max
            # Without "not applicable" the rescaling gives back the same integer Decimal: skip its divisions.
            if possible == section_max:
                sections[section_id] = Decimal(points)
            else:
                sections[section_id] = Decimal(points) * section_max / Decimal(possible)
                rescaled = True
        raw = sum(sections.values(), Decimal(0))
        if counted_max == grid_max and not rescaled:
            total = raw
        else:
            total = raw * grid_max / counted_max if counted_max else Decimal(0)
        reviews.append(ReviewResult(review_id, application_id, reviewer_id, total, sections))
    # A review whose every criterion is "not applicable" has no row above: it has nothing to count.
    return reviews


def _mean_sd(values):
    mean = sum(values, Decimal(0)) / len(values)
    squares = {}  # the totals repeat: each distinct one is squared once, and summed in the same order
    for v in values:
        if v not in squares:
            squares[v] = (v - mean) ** 2
    return mean, (sum([squares[v] for v in values], Decimal(0)) / len(values)).sqrt()


def _normalise(reviews):
    if not reviews:
        return
    call_mean, call_sd = _mean_sd([r.total for r in reviews])
    by_reviewer = {}
    for r in reviews:
        by_reviewer.setdefault(r.reviewer_id, []).append(r.total)
    # Per reviewer: (mean, sd) when the reviewer's z-scores are defined (two reviews or more, some spread), else None.
    stats = {}
    for reviewer_id, values in by_reviewer.items():
        mean, sd = _mean_sd(values)
        stats[reviewer_id] = (mean, sd) if len(values) > 1 and sd > 0 else None
    at_zero = call_mean + Decimal(0) * call_sd  # z = 0
    # A reviewer gives the same total many times: each (reviewer, total) is mapped once.
    mapped = {}
    for r in reviews:
        key = (r.reviewer_id, r.total)
        normalised = mapped.get(key)
        if normalised is None:
            own = stats[r.reviewer_id]
            normalised = mapped[key] = call_mean + (r.total - own[0]) / own[1] * call_sd if own else at_zero
        r.normalised = normalised


def call_results(call, stage=GridStage.FULL_APPLICATION) -> CallResults:
    """Everything the ranking page, the committee report and the award proposal need, for one call and stage."""
    grid, maxima = _grid(call, stage)
    rows = (
        Application.objects.filter(call=call, stage=stage, status__in=RANKABLE)
        .order_by("sequence")
        .values_list(*_APPLICATION_FIELDS)
    )
    results = {row[0]: ApplicationResult(application=RankedApplication._make(row), moderated_total=row[-1]) for row in rows}
    if grid is not None:
        reviews = _review_results(call, stage, maxima)
        _normalise(reviews)
        for review in reviews:
            result = results.get(review.application_id)
            if result is not None:
                result.reviews.append(review)
    sections = [(s.pk, s) for s in grid.sections.all()] if grid else []
    checks = _Checks(call, grid, sections)
    for result in results.values():
        if result.reviews:
            checks.summarise(result)
    ordered = _rank(list(results.values()), call, [s for _pk, s in sections], maxima)
    return CallResults(call=call, stage=stage, grid=grid, section_maxima=maxima, results=ordered)


@lru_cache(maxsize=4096)
def _mean_of_integers(total, count):
    """_q(total / count) for integer points: few distinct values, so most means are not computed again."""
    return _q(Decimal(total) / count)


class _Checks:
    """An application's means, thresholds, pass mark and divergence from its counted reviews."""

    def __init__(self, call, grid, sections):
        self.sections = [(pk, s, s.threshold) for pk, s in sections]
        self.pass_mark = grid.pass_mark if grid is not None else None
        self.divergence = call.divergence_threshold

    def summarise(self, result):
        reviews = result.reviews
        n = len(reviews)
        # Seldom twice the same value: rounded directly rather than through _q's cache.
        result.normalised_total = round_money(sum([r.normalised for r in reviews], Decimal(0)) / Decimal(n))
        means = result.sections
        eliminated = result.eliminated
        points = [r.points for r in reviews]
        if None not in points:
            # Integer points throughout: the same means as below, on integers (and mostly from the cache).
            totals = list(map(sum, points))
            result.raw_total = _mean_of_integers(sum(totals), n)
            result.spread = _mean_of_integers(max(totals) - min(totals), 1)
            for (section_id, section, threshold), column in zip(self.sections, zip(*points)):
                mean = means[section_id] = _mean_of_integers(sum(column), n)
                if threshold is not None and mean < threshold:
                    eliminated.append(("section", section))
        else:
            totals = [r.total for r in reviews]
            result.raw_total = _q(sum(totals, Decimal(0)) / Decimal(n))
            result.spread = _q(max(totals) - min(totals))
            for section_id, section, threshold in self.sections:
                values = [r.sections[section_id] for r in reviews if section_id in r.sections]
                if values:
                    mean = means[section_id] = _q(sum(values, Decimal(0)) / len(values))
                    if threshold is not None and mean < threshold:
                        eliminated.append(("section", section))
        result.divergent = n > 1 and result.spread > self.divergence and result.moderated_total is None
        checked_total = result.moderated_total if result.moderated_total is not None else result.raw_total
        if self.pass_mark is not None and checked_total < self.pass_mark:
            eliminated.append(("pass_mark", self.pass_mark))


def _rank(results, call, sections, maxima):
    key_section = max(sections, key=lambda s: (maxima[s.pk], -s.position), default=None)
    key_id = key_section.pk if key_section else None
    basis = call.ranking_basis

    zero = Decimal(0)

    def sort_key(r):
        score = r.moderated_total if r.moderated_total is not None else r.normalised_total if basis == "normalised" else r.raw_total
        application = r.application
        return (-score, -r.sections.get(key_id, zero), application.requested_amount or zero, application.sequence or 0)

    rankable = sorted((r for r in results if r.reviews and not r.eliminated), key=sort_key)
    for position, result in enumerate(rankable, start=1):
        result.rank = position
    eliminated = sorted((r for r in results if r.reviews and r.eliminated), key=sort_key)
    unreviewed = [r for r in results if not r.reviews]
    return rankable + eliminated + unreviewed


def section_means(application):
    """[(section, mean or None)] of one application's counted reviews: the ranking shows them on demand, per row."""
    grid, maxima = _grid(application.call, application.stage)
    if grid is None:
        return []
    reviews = _review_results(application.call, application.stage, maxima, application=application)
    means = []
    for section in grid.sections.all():
        values = [r.sections[section.pk] for r in reviews if section.pk in r.sections]
        means.append((section, _q(sum(values, Decimal(0)) / len(values)) if values else None))
    return means


# --- the cached ranking ------------------------------------------------------------------------------------------
#
# Computing a call's ranking reads every counted score (about half a second at 2,000 applications), so pages and
# services read it from the cache under a key that changes with its inputs: the call's RankingVersion, moved by
# every service that changes a counted input (reviews submitted or reopened, assignments, conflicts, moderation),
# and the set of rankable applications (count and sum of ids: screening and withdrawals change it). Decisions do
# not change the ranking, only the proposal built on it (awards.proposal_board), keyed further by the applications'
# last save. Grid changes are not tracked (grids are set before scoring); the timeout bounds them.

RANKING_TIMEOUT = 15 * 60


def ranking_changed(call_id):
    """Move the call's ranking version, in the caller's transaction: its cached rankings are no longer read."""
    if not RankingVersion.objects.filter(call_id=call_id).update(version=F("version") + 1):
        RankingVersion.objects.get_or_create(call_id=call_id, defaults={"version": secrets.randbits(48)})


def _version(call):
    version = RankingVersion.objects.filter(call_id=call.pk).values_list("version", flat=True).first()
    if version is None:
        version = RankingVersion.objects.get_or_create(call_id=call.pk, defaults={"version": secrets.randbits(48)})[0].version
    return version


@dataclass(frozen=True)
class RankingKey:
    ranking: str  # the ranking's cache key
    last_saved: str  # the call's applications' last save (decisions save the application)


def ranking_key(call, stage) -> RankingKey:
    """Two queries: the version and one aggregate over the call's applications of the stage."""
    figures = Application.objects.filter(call=call, stage=stage).aggregate(
        n=Count("pk", filter=Q(status__in=RANKABLE)), ids=Sum("pk", filter=Q(status__in=RANKABLE)), last=Max("updated_at"),
    )
    return RankingKey(
        ranking=f"ranking:{call.pk}:{stage}:{_version(call)}:{figures['n']}:{figures['ids'] or 0}",
        last_saved=figures["last"].isoformat() if figures["last"] else "",
    )


class Ranked(NamedTuple):
    """One ranked or eliminated application, as the ranking page, the proposal and the award service need it
    (a tuple: thousands of them are cached and read back on every page)."""

    application_id: int
    organisation_id: int
    requested: Decimal
    rank: int | None
    review_count: int
    raw_total: Decimal | None
    normalised_total: Decimal | None
    moderated_total: Decimal | None
    spread: Decimal | None
    divergent: bool
    eliminated: tuple  # ("section", section id) or ("pass_mark", mark)

    def score(self, basis):
        if self.moderated_total is not None:
            return self.moderated_total
        return self.normalised_total if basis == "normalised" else self.raw_total


@dataclass
class CallRanking:
    grid_name: str | None
    grid_max: Decimal
    sections: list  # (id, title, threshold), in grid order
    rows: list  # Ranked: the ranked ones in rank order, then the eliminated ones
    unreviewed: int

    def find(self, application_id):
        return next((r for r in self.rows if r.application_id == application_id), None)


def _compact(results: CallResults) -> CallRanking:
    sections = list(results.grid.sections.all()) if results.grid else []
    rows = [
        Ranked(
            r.application.pk, r.application.organisation_id, r.application.requested_amount or Decimal(0), r.rank,
            r.review_count, r.raw_total, r.normalised_total, r.moderated_total, r.spread, r.divergent,
            tuple((kind, detail.pk if kind == "section" else detail) for kind, detail in r.eliminated),
        )
        for r in results.ranked + results.eliminated
    ]
    return CallRanking(
        grid_name=results.grid.name if results.grid else None, grid_max=sum(results.section_maxima.values(), Decimal(0)),
        sections=[(s.pk, s.title, s.threshold) for s in sections], rows=rows, unreviewed=len(results.unreviewed),
    )


def call_ranking(call, stage=GridStage.FULL_APPLICATION, key: RankingKey | None = None) -> CallRanking:
    """The call's ranking from the cache, computed (call_results) when an input changed."""
    key = key or ranking_key(call, stage)
    ranking = cache.get(key.ranking)
    if ranking is None:
        ranking = _compact(call_results(call, stage))
        cache.set(key.ranking, ranking, RANKING_TIMEOUT)
    return ranking
