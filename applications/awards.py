"""Award proposals and decisions. Confirming an award creates the grant and commits its amount through the ledger."""
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
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

from .aggregation import call_results
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
    budget = remaining * SHORTLIST_FACTOR if concept else remaining
    blocked = {} if concept else award_blockers_many(r.application.organisation_id for r in results.ranked)
    proposals = []
    for result in results.ranked:
        application = result.application
        decided = getattr(application, "award_decision", None)
        if decided is not None and decided.outcome in (AwardOutcome.AWARD, AwardOutcome.SHORTLIST):
            proposals.append(Proposal(result, decided.outcome, _("Already decided")))
            continue
        blockers = blocked.get(application.organisation_id, [])
        requested = application.requested_amount or Decimal(0)
        required = call.reviewers_per_application
        if result.review_count < required:
            reason = _("Reviews not complete (%(n)s of %(m)s)") % {"n": result.review_count, "m": required}
            proposals.append(Proposal(result, "" if concept else AwardOutcome.RESERVE, reason))
        elif blockers:
            proposals.append(Proposal(result, AwardOutcome.RESERVE, "; ".join(str(b) for b in blockers)))
        elif requested <= budget:
            budget -= requested
            proposals.append(Proposal(result, AwardOutcome.SHORTLIST if concept else AwardOutcome.AWARD, _("Within the call's remaining allocation")))
        else:
            proposals.append(Proposal(result, AwardOutcome.REJECT if concept else AwardOutcome.RESERVE, _("Beyond the call's remaining allocation")))
    for result in results.eliminated:
        proposals.append(Proposal(result, AwardOutcome.REJECT, _("Eliminated")))
    return results, proposals, (budget if not concept else remaining)


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
        results = call_results(application.call, application.stage)
        result = next((r for r in results.results if r.application.pk == application.pk), None)
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
        results = call_results(application.call, application.stage)
        grid_max = sum(results.section_maxima.values())
        if not Decimal(0) <= total <= grid_max:
            raise DomainError(_("The total must be between 0 and %(max)s.") % {"max": grid_max}, code="invalid_total", field="total")
        if application.status not in (ApplicationStatus.ELIGIBLE, ApplicationStatus.RESERVE):
            raise DomainError(_("Only an application still to be decided can be moderated."), code="decided")
        previous = getattr(application, "moderated_score", None)
        moderated, _created = ModeratedScore.objects.update_or_create(
            application=application,
            defaults={"total": total, "justification": justification, "moderated_by": actor, "moderated_at": timezone.now()},
        )
        audit_record(
            actor=actor, verb="application.moderate", target=application,
            data={"total": str(total), "previous": str(previous.total) if previous else None, "justification": justification},
        )
    return moderated
