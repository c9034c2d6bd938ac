"""Award proposals and decisions. Confirming an award creates the grant and commits its amount through the ledger."""
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.diligence.services import award_blockers, award_blockers_many
from accounts.models import Organisation
from accounts.selectors import members_of
from audit.services import audit_record
from core.errors import DomainError
from core.money import ZERO, MoneyValueError, exact_cents
from grants import ledger
from grants.models import AgreementBudgetLine, Country, Grant, GridStage
from notifications.services import notify

from .aggregation import RANKING_TIMEOUT, Ranked, call_ranking, call_results, ranking_changed, ranking_key
from .award_hooks import run_award_hooks
from .models import APPLICATION_TRANSITIONS, Application, ApplicationStatus, AwardDecision, AwardOutcome, ModeratedScore


@dataclass
class Proposal:
    result: object  # aggregation.ApplicationResult
    outcome: str  # AwardOutcome value
    reason: str

    @property
    def label(self):
        return AwardOutcome(self.outcome).label if self.outcome else "—"


# PRAG practice: shortlist concept notes asking, together, up to about twice the money available.
SHORTLIST_FACTOR = 2


def _walk(call, concept, items, budget):
    """The proposal's walk down the ranked `items` (application result, organisation id, amount requested, review
    count, outcome already decided): [(outcome, reason)] in their order, and the budget left."""
    blocked = {} if concept else award_blockers_many(organisation_id for _r, organisation_id, *_rest in items)
    required = call.reviewers_per_application
    proposed = []
    for _result, organisation_id, requested, review_count, decided in items:
        if decided in (AwardOutcome.AWARD, AwardOutcome.SHORTLIST):
            proposed.append((decided, _("Already decided")))
            continue
        blockers = blocked.get(organisation_id, [])
        if review_count < required:
            reason = _("Reviews not complete (%(n)s of %(m)s)") % {"n": review_count, "m": required}
            proposed.append(("" if concept else AwardOutcome.RESERVE, reason))
        elif blockers:
            proposed.append((AwardOutcome.RESERVE, "; ".join(str(b) for b in blockers)))
        elif requested <= budget:
            budget -= requested
            proposed.append((AwardOutcome.SHORTLIST if concept else AwardOutcome.AWARD, _("Within the call's remaining allocation")))
        else:
            proposed.append((AwardOutcome.REJECT if concept else AwardOutcome.RESERVE, _("Beyond the call's remaining allocation")))
    return proposed, budget


def _budget(remaining, concept):
    return remaining * SHORTLIST_FACTOR if concept else remaining


def award_proposal(call, stage=GridStage.FULL_APPLICATION):
    """Walk down the ranking proposing awards while the call's uncommitted allocation allows; the rest go to the
    reserve list (fundable if money frees up), eliminated ones are rejected. Applications still missing reviews,
    and organisations that cannot receive an award yet (unverified, red flag), are passed over to the reserve list,
    with the reason. For concept notes the walk shortlists up to SHORTLIST_FACTOR times the money available and
    proposes no decision on those still missing reviews."""
    results = call_results(call, stage)
    available = ledger.balances(call=call)
    remaining = available.allocated - available.committed
    concept = stage == GridStage.CONCEPT_NOTE
    items = [
        (r, r.application.organisation_id, r.application.requested_amount or Decimal(0), r.review_count, r.application.decision)
        for r in results.ranked
    ]
    proposed, budget = _walk(call, concept, items, _budget(remaining, concept))
    proposals = [Proposal(result, outcome, reason) for (result, *_rest), (outcome, reason) in zip(items, proposed)]
    proposals += [Proposal(result, AwardOutcome.REJECT, _("Eliminated")) for result in results.eliminated]
    return results, proposals, (budget if not concept else remaining)


# The ranking page's tabs: above the funding line, the reserve list (the other ranked ones), the eliminated ones.
FUNDED, RESERVE, ELIMINATED = "funded", "reserve", "eliminated"


class Proposed(NamedTuple):
    row: Ranked
    outcome: str
    reason: str
    tab: str
    to_confirm: bool  # proposed for an award (or the shortlist) and not decided yet

    @property
    def label(self):
        return AwardOutcome(self.outcome).label if self.outcome else "—"


def _text(value):
    return "" if value is None else str(value)


def _decimal(text):
    return Decimal(text) if text else None


def _pack(row: Ranked, outcome, reason_index, to_confirm) -> str:
    """A board entry as one string: the board of a large call is read back whole on every page, and one string per
    entry loads many times faster than tuples of Decimals. Only the entries of the page shown are unpacked."""
    eliminated = ";".join(f"s{d}" if kind == "section" else f"p{d}" for kind, d in row.eliminated)
    return "|".join((
        str(row.application_id), str(row.organisation_id), str(row.requested), _text(row.rank), str(row.review_count),
        _text(row.raw_total), _text(row.normalised_total), _text(row.moderated_total), _text(row.spread),
        "1" if row.divergent else "", eliminated, outcome, str(reason_index), "1" if to_confirm else "",
    ))


@dataclass
class Board:
    """The award proposal over the cached ranking, for the ranking page and the bulk confirmation: one packed string
    per entry in ranking order (`entry(i)` unpacks it), with the application ids and tabs alongside for filtering."""

    grid_name: str | None
    grid_max: Decimal
    sections: list  # (id, title, threshold)
    unreviewed: int
    ids: list  # application ids, in ranking order
    tabs: str  # one letter per entry: the first letter of its tab
    packed: list
    reasons: list  # the distinct reasons the entries point to
    allocated: Decimal
    committed: Decimal
    remaining: Decimal  # left in the call's allocation after the proposal
    awarded: int  # decided awards (or shortlisted concept notes)
    proposed_total: Decimal  # requested by the awards to confirm
    confirm: list  # positions of the awards to confirm

    def entry(self, position) -> Proposed:
        (application_id, organisation_id, requested, rank, reviews, raw, normalised, moderated, spread, divergent,
         eliminated, outcome, reason, to_confirm) = self.packed[position].split("|")
        reasons = tuple(("section", int(e[1:])) if e[0] == "s" else ("pass_mark", Decimal(e[1:])) for e in eliminated.split(";") if e)
        row = Ranked(int(application_id), int(organisation_id), Decimal(requested), int(rank) if rank else None, int(reviews),
                     _decimal(raw), _decimal(normalised), _decimal(moderated), _decimal(spread), bool(divergent), reasons)
        tab = {"f": FUNDED, "r": RESERVE, "e": ELIMINATED}[self.tabs[position]]
        return Proposed(row, outcome, self.reasons[int(reason)], tab, bool(to_confirm))

    def positions(self, tab=None, ids=None):
        """Positions of the entries in `tab` (every tab when None) whose application is among `ids` (all when None)."""
        return [i for i, t in enumerate(self.tabs) if (tab is None or t == tab[0]) and (ids is None or self.ids[i] in ids)]

    @property
    def to_confirm(self):
        return [self.entry(i) for i in self.confirm]


def proposal_board(call, stage=GridStage.FULL_APPLICATION) -> Board:
    """The award proposal for the ranking page, cached under the ranking's key, the applications' last save (each
    decision saves its application), the call's balance and the language of its reasons. Organisations' due
    diligence is read when the proposal is computed: the timeout bounds it, and the award service checks again."""
    key = ranking_key(call, stage)
    available = ledger.balances(call=call)
    remaining = available.allocated - available.committed
    board_key = f"{key.ranking}:board:{key.last_saved}:{remaining}:{translation.get_language()}"
    board = cache.get(board_key)
    if board is not None:
        return board
    ranking = call_ranking(call, stage, key)
    concept = stage == GridStage.CONCEPT_NOTE
    decided = dict(AwardDecision.objects.filter(application__call=call, application__stage=stage).values_list("application_id", "outcome"))
    ranked = [r for r in ranking.rows if r.rank is not None]
    items = [(r, r.organisation_id, r.requested, r.review_count, decided.get(r.application_id)) for r in ranked]
    proposed, budget = _walk(call, concept, items, _budget(remaining, concept))
    funded = (AwardOutcome.AWARD, AwardOutcome.SHORTLIST)
    proposed += [(AwardOutcome.REJECT, _("Eliminated"))] * (len(ranking.rows) - len(ranked))
    reasons, tabs, packed, confirm, total = {}, [], [], [], Decimal(0)
    for position, (row, (outcome, reason)) in enumerate(zip(ranked + [r for r in ranking.rows if r.rank is None], proposed)):
        tab = ELIMINATED if row.rank is None else FUNDED if outcome in funded else RESERVE
        to_confirm = tab == FUNDED and decided.get(row.application_id) is None
        if to_confirm:
            confirm.append(position)
            total += row.requested
        tabs.append(tab[0])
        packed.append(_pack(row, outcome, reasons.setdefault(reason, len(reasons)), to_confirm))
    board = Board(
        grid_name=ranking.grid_name, grid_max=ranking.grid_max, sections=ranking.sections, unreviewed=ranking.unreviewed,
        ids=[r.application_id for r in ranked] + [r.application_id for r in ranking.rows if r.rank is None],
        tabs="".join(tabs), packed=packed, reasons=list(reasons), allocated=available.allocated,
        committed=available.committed, remaining=budget if not concept else remaining,
        awarded=sum(1 for outcome in decided.values() if outcome in funded), proposed_total=total, confirm=confirm,
    )
    cache.set(board_key, board, RANKING_TIMEOUT)
    return board


def _draft_agreement(application, amount) -> Grant:
    """The grant and its draft agreement, from the application: period, country, objective and budget as proposed.
    The officer adjusts them before signature (disbursements.agreements)."""
    grant = Grant.objects.create(
        call=application.call, organisation=application.organisation, reference=application.reference,
        title=application.title[:255], amount=amount, start_date=application.start_date, end_date=application.end_date,
        country=application.countries.order_by("name").first() or Country.objects.filter(code=application.organisation.country).first(),
        objective=application.objective, indirect_costs=application.indirect_costs or ZERO,
        contingency=application.contingency or ZERO, own_contribution=application.own_contribution or ZERO,
        third_party_contribution=application.third_party_contribution or ZERO,
    )
    AgreementBudgetLine.objects.bulk_create(
        AgreementBudgetLine(grant=grant, position=line.position, heading=line.heading, description=line.description,
                            unit=line.unit, quantity=line.quantity, unit_cost=line.unit_cost)
        for line in application.budget_lines.all()
    )
    return grant


def award_decide(*, actor, application, outcome, justification, amount=None) -> AwardDecision:
    """Record the officer's decision. An award creates the grant and commits `amount` (default: the amount
    requested) through the ledger in the same transaction, so it is refused, with nothing written, when it would
    exceed the call's allocation or the envelope, also when confirmations race."""
    outcome = AwardOutcome(outcome)
    justification = (justification or "").strip()
    if not justification:
        raise DomainError(_("Give the justification of the decision."), code="justification_required", field="justification")
    with transaction.atomic():
        application = (
            Application.objects.select_for_update().select_related("call", "call__programme", "organisation").get(pk=application.pk)
        )
        allowed = (AwardOutcome.SHORTLIST, AwardOutcome.REJECT) if application.is_concept_note else (
            AwardOutcome.AWARD, AwardOutcome.RESERVE, AwardOutcome.REJECT)
        if outcome not in allowed:
            raise DomainError(
                _("A concept note is shortlisted or not selected; a full application is awarded, put on the reserve list or not selected."),
                code="invalid_outcome", field="outcome",
            )
        status = {
            AwardOutcome.SHORTLIST: ApplicationStatus.SHORTLISTED,
            AwardOutcome.AWARD: ApplicationStatus.AWARDED,
            AwardOutcome.RESERVE: ApplicationStatus.RESERVE,
            AwardOutcome.REJECT: ApplicationStatus.REJECTED,
        }[outcome]
        if status not in APPLICATION_TRANSITIONS[ApplicationStatus(application.status)]:
            raise DomainError(
                _("Application %(ref)s is %(status)s: it cannot be given this decision.")
                % {"ref": application.reference, "status": application.get_status_display().lower()},
                code="invalid_transition",
            )
        result = call_ranking(application.call, application.stage).find(application.pk)
        if outcome in (AwardOutcome.AWARD, AwardOutcome.SHORTLIST) and (result is None or result.rank is None):
            raise DomainError(_("Only a ranked application, fully scored and not eliminated, can be awarded."), code="not_ranked")
        grant = None
        if outcome == AwardOutcome.AWARD:
            # Verification and flags change under the organisation's row lock; hold it while deciding.
            Organisation.objects.select_for_update().get(pk=application.organisation_id)
            blockers = award_blockers(application.organisation)
            if blockers:
                raise DomainError(
                    _("%(org)s cannot receive an award yet: %(reasons)s")
                    % {"org": application.organisation.legal_name, "reasons": "; ".join(str(b) for b in blockers)},
                    code="organisation_blocked",
                )
            try:
                amount = exact_cents(amount if amount not in (None, "") else application.requested_amount)
            except MoneyValueError as exc:
                raise DomainError(str(exc), code="invalid_amount", field="amount") from exc
            if not Decimal(0) < amount <= application.requested_amount:
                raise DomainError(_("The amount awarded must be more than zero and at most the amount requested."), code="invalid_amount", field="amount")
            grant = _draft_agreement(application, amount)
            ledger.commitment_add(actor=actor, grant=grant, amount=amount, memo=f"Award of {application.reference}")
        else:
            amount = None
        decision, _created = AwardDecision.objects.update_or_create(
            application=application,
            defaults={
                "outcome": outcome, "amount": amount, "justification": justification, "decided_by": actor,
                "decided_at": timezone.now(), "grant": grant,
                "rank": result.rank if result else None, "score": result.score(application.call.ranking_basis) if result else None,
            },
        )
        run_award_hooks(actor=actor, application=application, decision=decision, grant=grant)
        application.status = status
        application.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor, verb=f"application.{outcome.value}", target=application, amount=amount,
            currency="EUR" if amount is not None else "", data={"justification": justification, "rank": decision.rank},
        )
        if outcome in _TOLD:
            notify([m.user for m in members_of(application.organisation)], _TOLD[outcome],
                   url=reverse("decision_letter", args=[application.pk]), params={"reference": application.reference})
    return decision


# The decisions the organisation's members are told of, with the decision letter; a place on the reserve list or
# the concept-note shortlist is not final.
_TOLD = {AwardOutcome.AWARD: "application_awarded", AwardOutcome.REJECT: "application_not_awarded"}


def score_moderate(*, actor, application, total, justification) -> ModeratedScore:
    """Record a moderated total for an application (typically a divergent one), replacing the reviewers' mean."""
    justification = (justification or "").strip()
    if not justification:
        raise DomainError(_("Explain why the total is moderated."), code="justification_required", field="justification")
    try:
        total = exact_cents(total)
    except MoneyValueError as exc:
        raise DomainError(_("Enter the total as a number with at most two decimals."), code="invalid_total", field="total") from exc
    with transaction.atomic():
        application = Application.objects.select_for_update().select_related("call").get(pk=application.pk)
        grid_max = call_ranking(application.call, application.stage).grid_max
        if not Decimal(0) <= total <= grid_max:
            raise DomainError(_("The total must be between 0 and %(max)s.") % {"max": grid_max}, code="invalid_total", field="total")
        if application.status not in (ApplicationStatus.ELIGIBLE, ApplicationStatus.RESERVE):
            raise DomainError(_("Only an application still to be decided can be moderated."), code="decided")
        previous = getattr(application, "moderated_score", None)
        moderated, _created = ModeratedScore.objects.update_or_create(
            application=application,
            defaults={"total": total, "justification": justification, "moderated_by": actor, "moderated_at": timezone.now()},
        )
        ranking_changed(application.call_id)
        audit_record(
            actor=actor, verb="application.moderate", target=application,
            data={"total": str(total), "previous": str(previous.total) if previous else None, "justification": justification},
        )
    return moderated


def awards_confirm_proposal(*, actor, call, stage, justification):
    """Confirm every award (or shortlisting) the proposal makes and nobody has decided yet, in ranking order, each
    through `award_decide` (its own transaction, ledger commitment and audit event), so one refused (the allocation
    spent meanwhile, an organisation blocked since) stops none of the others. Returns (confirmed references,
    [(reference, reason refused)])."""
    justification = (justification or "").strip()
    if not justification:
        raise DomainError(_("Give the justification of the decisions."), code="justification_required", field="justification")
    chosen = proposal_board(call, stage).to_confirm
    applications = Application.objects.filter(call=call, pk__in=[p.row.application_id for p in chosen]).in_bulk()
    confirmed, refused = [], []
    for proposed in chosen:
        application = applications[proposed.row.application_id]
        try:
            award_decide(actor=actor, application=application, outcome=proposed.outcome, justification=justification)
        except DomainError as exc:
            refused.append((application.reference, exc.message))
        else:
            confirmed.append(application.reference)
    with transaction.atomic():
        audit_record(actor=actor, verb="call.confirm_proposal", target=call,
                     data={"stage": stage, "confirmed": confirmed, "refused": [ref for ref, _reason in refused]})
    return confirmed, refused
