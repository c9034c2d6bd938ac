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

The heavy lifting is one grouped database aggregate, pivoted so it returns one row per review (points and
applicable maximum of each section); Python then rescales, normalises and ranks in Decimal on those rows, never
on individual scores. The divisions stay in Python: SQLite
would do them in floating point, and the figures must be the same to the cent on every database.
"""
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from django.core.cache import cache
from django.db.models import Case, Count, Exists, F, IntegerField, Max, OuterRef, Q, Sum, When

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


def counted_scores(call, stage=GridStage.FULL_APPLICATION):
    """Scores that count: submitted reviews of active assignments whose reviewer declared no conflict, for the
    applications of one stage (concept notes or full applications). The conflicted assignments are read first (one
    small query), so the scores are not each checked against the declarations."""
    conflicted = list(
        Assignment.objects.filter(application__call=call, application__stage=stage).filter(
            Exists(ConflictDeclaration.objects.filter(
                application=OuterRef("application"), reviewer=OuterRef("reviewer"), has_conflict=True,
            ))
        ).values_list("pk", flat=True)
    )
    return Score.objects.filter(
        review__assignment__application__call=call,
        review__assignment__application__stage=stage,
        review__status=ReviewStatus.SUBMITTED,
        review__assignment__status=AssignmentStatus.ACTIVE,
    ).exclude(review__assignment_id__in=conflicted)


@dataclass
class ReviewResult:
    review_id: int
    application_id: int
    reviewer_id: int
    total: Decimal
    sections: dict  # section id -> Decimal (None when the whole section was not applicable)
    normalised: Decimal | None = None


@dataclass
class ApplicationResult:
    application: Application
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


def _applicable_scores(call, stage):
    return counted_scores(call, stage).filter(not_applicable=False, value__isnull=False)


def _review_results(call, stage, maxima, application=None):
    """Each counted review's section and total points, from one row per review: the sections' points and
    applicable maxima are pivoted into columns (integer sums, exact on every database), then rescaled here."""
    columns = {}
    for section_id in maxima:
        in_section = Q(criterion__section_id=section_id)
        columns[f"points_{section_id}"] = Sum(
            Case(When(in_section, then=F("value") * F("criterion__multiplier"))), output_field=IntegerField()
        )
        columns[f"possible_{section_id}"] = Sum(
            Case(When(in_section, then=F("criterion__scale_max") * F("criterion__multiplier"))), output_field=IntegerField()
        )
    scores = _applicable_scores(call, stage)
    if application is not None:
        scores = scores.filter(review__assignment__application=application)
    rows = (
        scores
        .values_list("review_id", "review__assignment__application_id", "review__assignment__reviewer_id")
        .annotate(**columns)
        .order_by()
    )
    grid_max = sum(maxima.values())
    reviews = {}
    for review_id, application_id, reviewer_id, *sums in rows:
        sections, counted_max, rescaled = {}, 0, False
        for (section_id, section_max), points, possible in zip(maxima.items(), sums[::2], sums[1::2]):
            if points is None:  # every criterion of the section was not applicable
                continue
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
        reviews[review_id] = ReviewResult(review_id, application_id, reviewer_id, total, sections)
    # A review whose every criterion is "not applicable" has no row above: it has nothing to count.
    return reviews


def _mean_sd(values):
    mean = sum(values, Decimal(0)) / len(values)
    return mean, (sum(((v - mean) ** 2 for v in values), Decimal(0)) / len(values)).sqrt()


def _normalise(reviews):
    if not reviews:
        return
    call_mean, call_sd = _mean_sd([r.total for r in reviews])
    by_reviewer = {}
    for r in reviews:
        by_reviewer.setdefault(r.reviewer_id, []).append(r.total)
    stats = {reviewer: _mean_sd(values) for reviewer, values in by_reviewer.items()}
    for r in reviews:
        mean, sd = stats[r.reviewer_id]
        z = (r.total - mean) / sd if len(by_reviewer[r.reviewer_id]) > 1 and sd > 0 else Decimal(0)
        r.normalised = call_mean + z * call_sd


def call_results(call, stage=GridStage.FULL_APPLICATION) -> CallResults:
    """Everything the ranking page, the committee report and the award proposal need, for one call and stage."""
    grid, maxima = _grid(call, stage)
    applications = list(
        Application.objects.filter(call=call, stage=stage, status__in=RANKABLE)
        .select_related("organisation", "moderated_score", "award_decision")
        # The organisation's budget (a money field, slow to load) is never shown with a ranking.
        .defer("organisation__annual_budget", "organisation__annual_budget_currency")
        .order_by("sequence")
    )
    results = {a.pk: ApplicationResult(application=a) for a in applications}
    if grid is not None:
        reviews = _review_results(call, stage, maxima)
        _normalise(list(reviews.values()))
        for review in reviews.values():
            if review.application_id in results:
                results[review.application_id].reviews.append(review)
    sections = list(grid.sections.all()) if grid else []
    for result in results.values():
        _summarise(result, sections, grid, call)
    ordered = _rank(list(results.values()), call, sections, maxima)
    return CallResults(call=call, stage=stage, grid=grid, section_maxima=maxima, results=ordered)


def _summarise(result, sections, grid, call):
    moderated = getattr(result.application, "moderated_score", None)
    result.moderated_total = moderated.total if moderated else None
    if not result.reviews:
        return
    n = Decimal(len(result.reviews))
    result.raw_total = _q(sum((r.total for r in result.reviews), Decimal(0)) / n)
    result.normalised_total = _q(sum((r.normalised for r in result.reviews), Decimal(0)) / n)
    for section in sections:
        values = [r.sections[section.pk] for r in result.reviews if section.pk in r.sections]
        if values:
            result.sections[section.pk] = _q(sum(values, Decimal(0)) / len(values))
            if section.threshold is not None and result.sections[section.pk] < section.threshold:
                result.eliminated.append(("section", section))
    totals = [r.total for r in result.reviews]
    result.spread = _q(max(totals) - min(totals))
    result.divergent = len(totals) > 1 and result.spread > call.divergence_threshold and result.moderated_total is None
    checked_total = result.moderated_total if result.moderated_total is not None else result.raw_total
    if grid is not None and grid.pass_mark is not None and checked_total < grid.pass_mark:
        result.eliminated.append(("pass_mark", grid.pass_mark))


def _rank(results, call, sections, maxima):
    key_section = max(sections, key=lambda s: (maxima[s.pk], -s.position), default=None)

    def sort_key(r):
        tie_section = r.sections.get(key_section.pk, Decimal(0)) if key_section else Decimal(0)
        requested = r.application.requested_amount or Decimal(0)
        return (-r.score(call.ranking_basis), -tie_section, requested, r.application.sequence or 0)

    rankable = sorted((r for r in results if r.review_count and not r.eliminated), key=sort_key)
    for position, result in enumerate(rankable, start=1):
        result.rank = position
    eliminated = sorted((r for r in results if r.review_count and r.eliminated), key=sort_key)
    unreviewed = [r for r in results if not r.review_count]
    return rankable + eliminated + unreviewed


def section_means(application):
    """[(section, mean or None)] of one application's counted reviews: the ranking shows them on demand, per row."""
    grid, maxima = _grid(application.call, application.stage)
    if grid is None:
        return []
    reviews = _review_results(application.call, application.stage, maxima, application=application).values()
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
