"""Services for applications: drafts, attachments, submission, withdrawal and eligibility screening."""
from functools import partial

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.access import can_on, require_verified_email_to_upload
from audit.services import audit_record
from core.errors import DomainError
from core.formats import utc_text
from core.uploads import validate_upload

from grants.budget import summarise
from notifications.services import notify
from grants.models import GridStage

from .models import (
    APPLICATION_TRANSITIONS,
    Application,
    ApplicationStatus,
    Attachment,
    BudgetLine,
    LogframeRow,
    ReferenceCounter,
    Screening,
    ScreeningDecision,
)
from .rules import submission_problems

MAX_ATTACHMENTS = 15
DRAFT_FIELDS = (
    "title", "summary", "objective", "start_date", "end_date", "women", "men", "girls", "boys",
    "victims_of_trafficking", "smuggled_migrants", "indirect_costs", "contingency", "own_contribution",
    "third_party_contribution",
)
LINE_FIELDS = ("heading", "description", "unit", "quantity", "unit_cost")
ROW_FIELDS = ("level", "statement", "indicator", "baseline", "target")
NUMBER_FIELDS = {"quantity", "unit_cost", "baseline", "target"}


def _row_values(data, fields):
    """A row's values for the model: text left blank is "", numbers left blank are None."""
    return {k: data.get(k) if k in NUMBER_FIELDS else (data.get(k) or "") for k in fields}


class SubmissionRefused(DomainError):
    """The application is not complete or breaks a rule; `problems` says where (applications.rules.Problem)."""

    def __init__(self, problems):
        super().__init__(_("The application cannot be submitted yet: correct the points marked below."), code="incomplete")
        self.problems = problems


def _require_editor(actor, application):
    if not can_on(actor, "edit_applications", application.organisation):
        raise DomainError(_("Only the organisation's administrators and editors can change its applications."), code="forbidden")


def _transition(application, status):
    current = ApplicationStatus(application.status)
    if ApplicationStatus(status) not in APPLICATION_TRANSITIONS[current]:
        raise DomainError(
            _("A %(current)s application cannot become %(new)s.") % {"current": current.label.lower(), "new": ApplicationStatus(status).label.lower()},
            code="invalid_transition",
        )


def _locked(application):
    # Only the application's row: with select_related, FOR UPDATE would also lock its call, programme and organisation,
    # and every applicant of the call would queue on the call's row (seen in the deadline surge).
    return Application.objects.select_for_update(of=("self",)).select_related("call", "call__programme", "organisation").get(pk=application.pk)


def application_start(*, actor, call, organisation) -> Application:
    """The organisation's live application to `call`, started as a draft if it has none. Clicking Apply twice opens
    the same one. With a concept-note stage, a concept note is started until its deadline; after it, only an
    organisation whose concept note was shortlisted may start its full application."""
    if not can_on(actor, "edit_applications", organisation):
        raise DomainError(_("Only the organisation's administrators and editors can apply on its behalf."), code="forbidden")
    now = timezone.now()
    if not call.is_open_at(now):
        raise DomainError(_("This call is not open for applications."), code="call_not_open")
    stage, concept_note = GridStage.FULL_APPLICATION, None
    if call.has_concept_note_stage:
        if now < call.concept_note_deadline:
            stage = GridStage.CONCEPT_NOTE
        else:
            concept_note = Application.objects.filter(
                call=call, organisation=organisation, stage=GridStage.CONCEPT_NOTE, status=ApplicationStatus.SHORTLISTED
            ).first()
            if concept_note is None:
                raise DomainError(
                    _("The concept-note stage of this call is over: only organisations whose concept note was shortlisted may now apply in full."),
                    code="not_shortlisted",
                )
    live = Application.objects.filter(call=call, organisation=organisation, stage=stage).exclude(status=ApplicationStatus.WITHDRAWN)
    existing = live.first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            application = Application.objects.create(
                call=call, organisation=organisation, created_by=actor, stage=stage, concept_note=concept_note,
                **({"title": concept_note.title, "summary": concept_note.summary, "objective": concept_note.objective} if concept_note else {}),
            )
            application.countries.set(concept_note.countries.all() if concept_note else call.countries.filter(code=organisation.country.code))
            audit_record(actor=actor, verb="application.start", target=application, data={"call": call.reference, "stage": stage})
    except IntegrityError:  # the same organisation started one in another tab a moment ago
        return live.get(status=ApplicationStatus.DRAFT)
    return application


def application_save_draft(*, actor, application, fields, countries, lines, rows) -> Application:
    """Save what the applicant typed. Anything may be blank; rules are checked only at submission.

    `fields` maps DRAFT_FIELDS to values; `lines` and `rows` are lists of dicts (LINE_FIELDS, ROW_FIELDS) that
    replace the budget lines and logframe rows in the given order.
    """
    with transaction.atomic():
        application = _locked(application)
        _require_editor(actor, application)
        if not application.is_editable:
            raise DomainError(_("This application has been submitted and can no longer be changed."), code="read_only")
        changed = sorted(name for name in DRAFT_FIELDS if name in fields and getattr(application, name) != fields[name])
        for name in DRAFT_FIELDS:
            if name in fields:
                setattr(application, name, fields[name])
        application.save(update_fields=[*DRAFT_FIELDS, "updated_at"])
        application.countries.set(countries)
        application.budget_lines.all().delete()
        BudgetLine.objects.bulk_create(
            BudgetLine(application=application, position=i, **_row_values(line, LINE_FIELDS)) for i, line in enumerate(lines)
        )
        application.logframe_rows.all().delete()
        LogframeRow.objects.bulk_create(
            LogframeRow(application=application, position=i, **_row_values(row, ROW_FIELDS)) for i, row in enumerate(rows)
        )
        audit_record(
            actor=actor, verb="application.save_draft", target=application,
            data={"fields": changed, "budget_lines": len(lines), "logframe_rows": len(rows)},
        )
    return application


def attachment_add(*, actor, application, title, uploaded_file) -> Attachment:
    require_verified_email_to_upload(actor)
    kind = validate_upload(uploaded_file)  # raises ValidationError with a message for the file field
    with transaction.atomic():
        application = _locked(application)
        _require_editor(actor, application)
        if not application.is_editable:
            raise DomainError(_("This application has been submitted and can no longer be changed."), code="read_only")
        if application.attachments.count() >= MAX_ATTACHMENTS:
            raise DomainError(_("An application can have at most %(n)s attachments.") % {"n": MAX_ATTACHMENTS}, code="too_many", field="file")
        attachment = Attachment.objects.create(
            application=application, title=title.strip() or uploaded_file.name, file=uploaded_file,
            original_name=uploaded_file.name[:255], kind=kind, size=uploaded_file.size, uploaded_by=actor,
        )
        audit_record(actor=actor, verb="application.attach", target=application, data={"attachment": attachment.pk, "name": attachment.original_name, "size": attachment.size})
    return attachment


def attachment_remove(*, actor, attachment):
    with transaction.atomic():
        application = _locked(attachment.application)
        _require_editor(actor, application)
        if not application.is_editable:
            raise DomainError(_("This application has been submitted and can no longer be changed."), code="read_only")
        audit_record(actor=actor, verb="application.detach", target=application, data={"attachment": attachment.pk, "name": attachment.original_name})
        attachment.file.delete(save=False)
        attachment.delete()


def _next_reference(application):
    counter, _ = ReferenceCounter.objects.get_or_create(call=application.call)
    counter = ReferenceCounter.objects.select_for_update().get(pk=counter.pk)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    call = application.call
    return counter.last_number, f"{call.programme.code}-{call.opens_at.year}-{call.reference}-{counter.last_number:04d}"


def application_submit(*, actor, application, now=None) -> tuple[Application, bool]:
    """Submit a draft before the deadline (by the server's clock). Returns (application, newly_submitted).

    Submitting an already submitted application changes nothing and returns it (two tabs, a retried request).
    The reference number is taken from the call's counter inside the same transaction, so numbers are gapless.
    """
    now = now or timezone.now()
    with transaction.atomic():
        application = _locked(application)
        _require_editor(actor, application)
        if application.status != ApplicationStatus.DRAFT and application.submitted_at is not None:
            return application, False
        _transition(application, ApplicationStatus.SUBMITTED)
        call = application.call
        if now >= application.deadline:
            raise DomainError(
                _("The deadline for this call passed at %(deadline)s UTC: applications can no longer be submitted.")
                % {"deadline": utc_text(application.deadline, zone=False)},
                code="deadline_passed",
            )
        if not call.is_open_at(now):
            raise DomainError(_("This call is not open for applications."), code="call_not_open")
        lines = list(application.budget_lines.all())
        problems = submission_problems(
            application, call=call, lines=lines, rows=list(application.logframe_rows.all()), needs_logframe=not application.is_concept_note,
            country_ids=list(application.countries.values_list("pk", flat=True)), today=now.date(),
        )
        if problems:
            raise SubmissionRefused(problems)
        application.sequence, application.reference = _next_reference(application)
        application.requested_amount = summarise(application, lines).requested
        application.status = ApplicationStatus.SUBMITTED
        application.submitted_at, application.submitted_by = now, actor
        application.save(update_fields=["sequence", "reference", "requested_amount", "status", "submitted_at", "submitted_by", "updated_at"])
        audit_record(
            actor=actor, verb="application.submit", target=application, amount=application.requested_amount,
            currency="EUR", data={"reference": application.reference},
        )
        notify([actor], "application_received", url=reverse("application_detail", args=[application.pk]),
               params={"reference": application.reference, "title": application.title},
               attachments=partial(_receipt_pdf, application.pk))
    return application, True


def _receipt_pdf(application_id, person):
    """The receipt's PDF copy of what was submitted, in the applicant's language."""
    from .pdf import application_pdf

    application = Application.objects.select_related("call", "organisation", "submitted_by").get(pk=application_id)
    return [(f"{application.reference}.pdf", application_pdf(application), "application/pdf")]


def application_withdraw(*, actor, application, reason="", now=None) -> Application:
    """Withdraw a draft or a submitted application, before the deadline only."""
    now = now or timezone.now()
    with transaction.atomic():
        application = _locked(application)
        _require_editor(actor, application)
        _transition(application, ApplicationStatus.WITHDRAWN)
        if now >= application.deadline:
            raise DomainError(_("The deadline has passed: the application can no longer be withdrawn."), code="deadline_passed")
        previous = application.status
        application.status = ApplicationStatus.WITHDRAWN
        application.withdrawn_at = now
        application.save(update_fields=["status", "withdrawn_at", "updated_at"])
        audit_record(actor=actor, verb="application.withdraw", target=application, data={"from": previous, "reason": reason.strip()})
    return application


def screening_record(*, actor, application, on_time, complete, applicant_eligible, action_eligible, costs_eligible, reason="") -> Screening:
    """Record the administrative and eligibility check. Eligible only if every check passes; otherwise a reason is required."""
    checks = dict(on_time=on_time, complete=complete, applicant_eligible=applicant_eligible, action_eligible=action_eligible, costs_eligible=costs_eligible)
    decision = ScreeningDecision.ELIGIBLE if all(checks.values()) else ScreeningDecision.INELIGIBLE
    reason = (reason or "").strip()
    if decision == ScreeningDecision.INELIGIBLE and not reason:
        raise DomainError(_("Explain to the applicant why the application is not eligible."), code="reason_required", field="reason")
    with transaction.atomic():
        application = _locked(application)
        new_status = ApplicationStatus(decision.value)
        if application.status != new_status:
            _transition(application, new_status)
        previous = Screening.objects.filter(application=application).first()
        screening, _created = Screening.objects.update_or_create(
            application=application,
            defaults={**checks, "decision": decision, "reason": reason, "screened_by": actor, "screened_at": timezone.now()},
        )
        application.status = new_status
        application.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor, verb="application.screen", target=application,
            data={**checks, "decision": decision.value, "reason": reason, "previous": previous.decision if previous else None},
        )
        notify([application.submitted_by], "application_screened",
               url=reverse("application_detail", args=[application.pk]),
               params={"reference": application.reference, "outcome": decision.value, "reason": reason})
    return screening


SCREENING_CHECKS = ("on_time", "complete", "applicant_eligible", "action_eligible", "costs_eligible")


def screening_record_outcome(*, actor, application, eligible, failed_check="", reason="") -> Screening:
    """Screening in one decision (a bulk action): eligible passes every check, and only if the application came in
    on time (a late one is screened on its own page, where the officer looks at why); not eligible names the check
    that failed and the reason the applicant reads."""
    on_time = application.submitted_at is not None and application.submitted_at <= application.deadline
    if eligible:
        if not on_time:
            raise DomainError(_("%(ref)s came in after the deadline: screen it on its own page.") % {"ref": application.reference}, code="late")
        checks = dict.fromkeys(SCREENING_CHECKS, True)
    else:
        if failed_check not in SCREENING_CHECKS:
            raise DomainError(_("Choose the check that failed."), field="failed_check", code="check_required")
        checks = {**dict.fromkeys(SCREENING_CHECKS, True), "on_time": on_time, failed_check: False}
    return screening_record(actor=actor, application=application, reason=reason, **checks)
