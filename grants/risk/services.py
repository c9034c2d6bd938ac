"""Partner-risk and assurance services: record or import a micro-assessment, a member's PSEA self-assessment and the
officer's rating of it, the programme's risk rules, and a spot check or programmatic visit done on a grant.

Each locks what it checks (the organisation, the assessment, the programme or the grant row), writes, and records
an audit event in the same transaction; a refusal raises DomainError (with the form field) and writes nothing."""
from datetime import date

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import roles as R
from accounts.access import can_on, has_role, is_officer, require_verified_email_to_upload
from accounts.models import Organisation
from audit.services import audit_record
from core.errors import DomainError
from core.money import MoneyValueError, exact_cents
from core.uploads import safe_download_name, validate_upload

from ..models import AgreementStatus, Grant, Programme
from .models import (
    AssessmentArea,
    AssessmentSource,
    AssuranceActivity,
    AssuranceKind,
    MicroAssessment,
    PseaAssessment,
    PseaCapacity,
    RiskRating,
    RiskRule,
)
from .rules import DEFAULT_VALIDITY_YEARS, DEFAULTS, ORDER

# Organisation permissions of the members who fill the PSEA self-assessment (org admins and editors).
PSEA_PERMS = ("change_organisation", "edit_applications")
TEXT_MAX = 4000


# A PSEA self-assessment: the core standards of the UN's PSEA capacity assessment, each answered yes or no.
def _questions():
    return (
        ("policy", gettext_lazy("The organisation has a written policy on protection from sexual exploitation and abuse that every member of staff signs.")),
        ("contracts", gettext_lazy("Its contracts with staff, volunteers and sub-partners include the obligation not to exploit or abuse.")),
        ("screening", gettext_lazy("Candidates are screened (references, earlier misconduct) before they are recruited.")),
        ("training", gettext_lazy("Every member of staff and volunteer was trained on PSEA in the last twelve months.")),
        ("reporting", gettext_lazy("Beneficiaries and communities can report a concern safely and confidentially, and know how.")),
        ("focal_point", gettext_lazy("A PSEA focal point is named and known to staff.")),
        ("assistance", gettext_lazy("Survivors are referred to medical, psychosocial and legal assistance.")),
        ("investigation", gettext_lazy("Allegations are investigated and reported to the programme within 24 hours.")),
    )


PSEA_QUESTIONS = _questions()
PSEA_ANSWERS = ("yes", "no")


is_risk_officer = is_officer  # the name the verification pages know it by


def _require_officer(actor):
    if not is_officer(actor):
        raise DomainError(_("Only programme officers record partner risk and assurance."), code="forbidden")


def can_fill_psea(user, organisation) -> bool:
    return any(can_on(user, perm, organisation) for perm in PSEA_PERMS)


def _text(value, field, *, required=False, max_length=TEXT_MAX):
    value = (value or "").strip()
    if required and not value:
        raise DomainError(_("This field is required."), code="required", field=field)
    if len(value) > max_length:
        raise DomainError(
            _("Keep it to %(n)s characters.") % {"n": max_length}, code="too_long", field=field
        )
    return value


def _rating(value, field="overall"):
    if value not in RiskRating.values:
        raise DomainError(_("Choose a rating: low, moderate, significant or high."), code="invalid_rating", field=field)
    return value


def _dates(assessed_on, expires_on):
    if not isinstance(assessed_on, date):
        raise DomainError(_("Give the date of the assessment."), code="date_required", field="assessed_on")
    if assessed_on > timezone.localdate():
        raise DomainError(_("The date of the assessment cannot be in the future."), code="future_date", field="assessed_on")
    expires_on = expires_on or assessed_on + relativedelta(years=DEFAULT_VALIDITY_YEARS)
    if expires_on <= assessed_on:
        raise DomainError(_("The assessment must be valid after its date."), code="expiry_order", field="expires_on")
    return expires_on


def _lock_organisation(organisation) -> Organisation:
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


def _details(assessment) -> dict:
    return {
        "organisation": assessment.organisation_id, "source": assessment.source, "overall": assessment.overall,
        "assessed_on": assessment.assessed_on.isoformat(), "expires_on": assessment.expires_on.isoformat(),
        "assessor": assessment.assessor, "areas": assessment.area_ratings,
        **({"report": assessment.report_name, "report_kind": assessment.report_kind} if assessment.report_name else {}),
    }


def assessment_record(*, actor, organisation, assessed_on, overall, area_ratings, assessor_user=None, assessor_firm="",
                      expires_on=None, summary="") -> MicroAssessment:
    """Record the programme's micro-assessment of an organisation: a rating for every HACT area and the overall
    rating, by a member of staff or an external firm. Valid for five years unless `expires_on` says otherwise."""
    _require_officer(actor)
    overall = _rating(overall)
    area_ratings = dict(area_ratings or {})
    unknown = set(area_ratings) - set(AssessmentArea.values)
    if unknown:
        raise DomainError(_("Unknown assessment area."), code="unknown_area", field="area_ratings")
    for area in AssessmentArea:
        if area_ratings.get(area.value) not in RiskRating.values:
            raise DomainError(
                _("Rate the area %(area)s.") % {"area": area.label}, code="area_missing", field=f"area_{area.value}"
            )
    assessor_firm = _text(assessor_firm, "assessor_firm", max_length=255)
    if assessor_user is None and not assessor_firm:
        raise DomainError(_("Name the assessor: a member of staff or an external firm."), code="assessor_required", field="assessor_firm")
    if assessor_user is not None and assessor_firm:
        raise DomainError(_("Name one assessor: a member of staff or an external firm, not both."), code="two_assessors", field="assessor_firm")
    if assessor_user is not None and not has_role(assessor_user, *R.STAFF_ROLES):
        raise DomainError(_("The assessor must be a member of the programme's staff."), code="assessor_not_staff", field="assessor_user")
    expires_on = _dates(assessed_on, expires_on)
    summary = _text(summary, "summary")
    with transaction.atomic():
        organisation = _lock_organisation(organisation)
        assessment = MicroAssessment.objects.create(
            organisation=organisation, source=AssessmentSource.PROGRAMME, assessed_on=assessed_on, expires_on=expires_on,
            assessor_user=assessor_user, assessor_firm=assessor_firm,
            area_ratings={area.value: area_ratings[area.value] for area in AssessmentArea},
            overall=overall, summary=summary, recorded_by=actor,
        )
        audit_record(actor=actor, verb="risk.assessment_record", target=assessment, data=_details(assessment))
    return assessment


def assessment_import(*, actor, organisation, assessed_on, source_agency, overall, report, expires_on=None,
                      summary="") -> MicroAssessment:
    """Take over an earlier assessment (e.g. by another UN agency): its date, who made it, its overall rating and its
    report (a checked upload)."""
    _require_officer(actor)
    overall = _rating(overall)
    source_agency = _text(source_agency, "source_agency", required=True, max_length=255)
    expires_on = _dates(assessed_on, expires_on)
    summary = _text(summary, "summary")
    if report is None:
        raise DomainError(_("Attach the assessment's report."), code="report_required", field="report")
    require_verified_email_to_upload(actor)
    try:
        kind = validate_upload(report)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code=exc.code or "invalid_file", field="report") from exc
    with transaction.atomic():
        organisation = _lock_organisation(organisation)
        assessment = MicroAssessment.objects.create(
            organisation=organisation, source=AssessmentSource.IMPORTED, assessed_on=assessed_on, expires_on=expires_on,
            assessor_firm=source_agency, overall=overall, summary=summary, report=report,
            report_name=safe_download_name(report.name)[:255], report_kind=kind, recorded_by=actor,
        )
        audit_record(actor=actor, verb="risk.assessment_import", target=assessment, data=_details(assessment))
    return assessment


def psea_submit(*, actor, organisation, answers, comment="") -> PseaAssessment:
    """A member (administrator or editor) of the organisation answers the PSEA self-assessment; the officer rates it."""
    if not can_fill_psea(actor, organisation):
        raise DomainError(_("Only the organisation's administrators and editors fill its PSEA self-assessment."), code="forbidden")
    clean = {}
    for key, _label in PSEA_QUESTIONS:
        answer = (answers or {}).get(key)
        if answer not in PSEA_ANSWERS:
            raise DomainError(_("Answer this question."), code="answer_required", field=f"q_{key}")
        clean[key] = answer
    comment = _text(comment, "comment")
    with transaction.atomic():
        organisation = _lock_organisation(organisation)
        assessment = PseaAssessment.objects.create(organisation=organisation, answers=clean, comment=comment, submitted_by=actor)
        audit_record(
            actor=actor, verb="risk.psea_submit", target=assessment,
            data={"organisation": organisation.pk, "yes": sum(1 for a in clean.values() if a == "yes"), "questions": len(clean)},
        )
    return assessment


def psea_rate(*, actor, assessment, rating, note="") -> PseaAssessment:
    """The officer's rating of a PSEA self-assessment: full, medium or low capacity. A low rating needs a note."""
    _require_officer(actor)
    if rating not in PseaCapacity.values:
        raise DomainError(_("Choose full, medium or low capacity."), code="invalid_rating", field="rating")
    note = _text(note, "rating_note", required=rating == PseaCapacity.LOW)
    with transaction.atomic():
        assessment = PseaAssessment.objects.select_for_update().get(pk=assessment.pk)
        before = assessment.rating
        assessment.rating, assessment.rating_note = rating, note
        assessment.rated_by, assessment.rated_at = actor, timezone.now()
        assessment.save(update_fields=["rating", "rating_note", "rated_by", "rated_at"])
        audit_record(
            actor=actor, verb="risk.psea_rate", target=assessment,
            data={"organisation": assessment.organisation_id, "from": before, "to": rating, "note": note},
        )
    return assessment


def rules_adopt(*, actor, programme) -> list[RiskRule]:
    """The programme applies partner-risk rules from now on, starting from the HACT-style defaults (rows already
    there are kept)."""
    _require_officer(actor)
    with transaction.atomic():
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        existing = set(RiskRule.objects.filter(programme=programme).values_list("rating", flat=True))
        created = [
            RiskRule.objects.create(
                programme=programme, rating=rating, max_advance_percent=DEFAULTS[rating].max_advance_percent,
                spot_checks_per_year=DEFAULTS[rating].spot_checks_per_year, visits_per_year=DEFAULTS[rating].visits_per_year,
                audit_due=DEFAULTS[rating].audit_due,
            )
            for rating in ORDER if rating not in existing
        ]
        if created:
            audit_record(actor=actor, verb="risk.rules_adopt", target=programme, data={"ratings": [r.rating for r in created]})
    return list(RiskRule.objects.filter(programme=programme))


def rule_set(*, actor, programme, rating, max_advance_percent, spot_checks_per_year, visits_per_year, audit_due) -> RiskRule:
    """Change what one rating means under the programme (adopting the rules first if needed)."""
    _require_officer(actor)
    rating = _rating(rating, "rating")
    try:
        max_advance_percent = exact_cents(max_advance_percent)
    except (MoneyValueError, TypeError, ValueError):
        max_advance_percent = None
    if max_advance_percent is None or not 0 <= max_advance_percent <= 100:
        raise DomainError(_("Give a share between 0 and 100%, with at most two decimals."), code="invalid_percent",
                          field="max_advance_percent")
    for name, value in (("spot_checks_per_year", spot_checks_per_year), ("visits_per_year", visits_per_year)):
        if value is None or not 0 <= value <= 52:
            raise DomainError(_("Give a number from 0 to 52."), code="invalid_number", field=name)
    rules_adopt(actor=actor, programme=programme)
    with transaction.atomic():
        rule = RiskRule.objects.select_for_update().get(programme=programme, rating=rating)
        before = {"max_advance_percent": str(rule.max_advance_percent), "spot_checks_per_year": rule.spot_checks_per_year,
                  "visits_per_year": rule.visits_per_year, "audit_due": rule.audit_due}
        rule.max_advance_percent = max_advance_percent
        rule.spot_checks_per_year, rule.visits_per_year, rule.audit_due = spot_checks_per_year, visits_per_year, bool(audit_due)
        rule.save(update_fields=["max_advance_percent", "spot_checks_per_year", "visits_per_year", "audit_due"])
        after = {"max_advance_percent": str(rule.max_advance_percent), "spot_checks_per_year": rule.spot_checks_per_year,
                 "visits_per_year": rule.visits_per_year, "audit_due": rule.audit_due}
        audit_record(actor=actor, verb="risk.rule_set", target=programme, data={"rating": rating, "from": before, "to": after})
    return rule


ACTIVITY_SUMMARY_MAX = 2000
ASSURED_STATUSES = {AgreementStatus.SIGNED, AgreementStatus.IN_IMPLEMENTATION, AgreementStatus.SUSPENDED, AgreementStatus.CLOSING}


def activity_record(*, actor, grant, kind, done_on, done_by, summary) -> AssuranceActivity:
    """Record a spot check or programmatic visit done on a signed grant: its date (not in the future, not before the
    signature), who did it, and a short summary."""
    _require_officer(actor)
    if kind not in AssuranceKind.values:
        raise DomainError(_("Choose a spot check or a programmatic visit."), code="invalid_kind", field="kind")
    if not isinstance(done_on, date):
        raise DomainError(_("Give the date."), code="date_required", field="done_on")
    if done_on > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."), code="future_date", field="done_on")
    done_by = _text(done_by, "done_by", required=True, max_length=255)
    summary = _text(summary, "summary", required=True, max_length=ACTIVITY_SUMMARY_MAX)
    with transaction.atomic():
        grant = Grant.objects.select_for_update().get(pk=grant.pk)
        if grant.status not in ASSURED_STATUSES:
            raise DomainError(
                _("Spot checks and visits are recorded on signed grants that are running (this one is %(status)s).")
                % {"status": AgreementStatus(grant.status).label.lower()},
                code="not_running", field="kind",
            )
        if grant.signed_on and done_on < grant.signed_on:
            raise DomainError(_("The date cannot be before the agreement was signed."), code="before_signature", field="done_on")
        return _activity_create(actor=actor, grant=grant, kind=kind, done_on=done_on, done_by=done_by, summary=summary)


def _activity_create(*, actor, grant, kind, done_on, done_by, summary, source="") -> AssuranceActivity:
    activity = AssuranceActivity.objects.create(
        grant=grant, kind=kind, done_on=done_on, done_by=done_by, summary=summary, recorded_by=actor,
    )
    data = {"activity": activity.pk, "done_on": done_on.isoformat(), "done_by": done_by}
    if source:
        data["source"] = source
    audit_record(actor=actor, verb=f"assurance.{kind}", target=grant, data=data)
    return activity


def spot_check_from_verification(*, actor, grant, reference, done_on, done_by, conclusion) -> AssuranceActivity:
    """Count a spot check closed on the grant's checks page (disbursements.verification) as done on the assurance
    plan, so the officer does not record it twice. Called inside the caller's transaction with the grant locked; the
    check was planned on a running grant, so the grant's status is not checked again. The summary starts with the
    check's reference (where the activity came from); who and the summary are cut to the fields' limits."""
    _require_officer(actor)
    return _activity_create(
        actor=actor, grant=grant, kind=AssuranceKind.SPOT_CHECK, done_on=done_on, done_by=done_by[:255],
        summary=f"{reference}: {conclusion}"[:ACTIVITY_SUMMARY_MAX], source=reference,
    )
