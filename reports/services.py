"""Grantee reports: open a period's report, save the draft, submit it (converting expenditure to EUR), and the
officer's review (approve, feeding disbursements; or request changes, opening a new draft version).

Lock order is the grant row, then the report row; approval then goes through disbursements.services, which
locks the grant again (the same row, already held).
"""
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from moneyed import CURRENCIES

from accounts import roles as R
from accounts.access import has_role, require_verified_email_to_upload
from applications.models import LogframeRow
from audit.services import audit_record
from core.errors import DomainError
from core.formats import number_text
from core.money import EUR, MoneyValueError, exact_cents, to_decimal
from core.personal_data import check_upload
from core.uploads import validate_upload
from disbursements.fx import convert_to_eur
from disbursements.services import expenditure_accept
from grants.access import can_report_for
from grants.models import AgreementBudgetLine, AgreementStatus, BudgetHeading, FxBasis, Grant
from grants.periods import grant_periods
from notifications.kinds import report_param
from notifications.services import notify

from .models import REPORT_TRANSITIONS, ExpenditureLine, IndicatorProgress, Report, ReportAttachment, ReportStatus, ReportVersion

# Agreements whose grantee reports: signed and not yet closed or terminated.
REPORTING_STATUSES = {
    AgreementStatus.SIGNED, AgreementStatus.IN_IMPLEMENTATION, AgreementStatus.SUSPENDED, AgreementStatus.CLOSING,
}
REVIEWER_ROLES = (R.PROGRAMME_OFFICER, R.ADMINISTRATOR)
TEXT_FIELDS = ("summary", "activities", "challenges", "safeguarding_follow_up", "lessons_learned", "transfer_note")
COUNT_FIELDS = ("women", "men", "girls", "boys", "victims_of_trafficking", "smuggled_migrants")
# What a new version copies from the previous one.
COPIED_FIELDS = TEXT_FIELDS + COUNT_FIELDS + ("safeguarding_incidents", "currency")
INDICATOR_FIELDS = ("position", "level", "statement", "indicator", "baseline", "target", "actual", "comment")
MAX_ATTACHMENTS = 20
MAX_COUNT = 2_147_483_647


class ReportIncomplete(DomainError):
    """Submission refused: `problems` maps each field to what it still needs; `field` lists the field names."""

    def __init__(self, problems: dict):
        super().__init__(
            ngettext(
                "The report cannot be submitted yet: %(n)s point needs attention.",
                "The report cannot be submitted yet: %(n)s points need attention.",
                len(problems),
            ) % {"n": len(problems)},
            code="incomplete", field=list(problems),
        )
        self.problems = problems


# ---- helpers ----------------------------------------------------------------------------------------------------


def _require_writer(actor, grant):
    if not can_report_for(actor, grant):
        raise DomainError(_("Only the grantee's administrators and editors may write its reports."), code="forbidden")


def _require_reviewer(actor):
    if not has_role(actor, *REVIEWER_ROLES):
        raise DomainError(_("Only programme officers may review reports."), code="forbidden")


def _check_transition(report, status):
    if status not in REPORT_TRANSITIONS[ReportStatus(report.status)]:
        raise DomainError(
            _("This report is %(status)s: it cannot be changed that way.") % {"status": report.get_status_display().lower()},
            code="invalid_status",
        )


def _locked_report(report):
    """Lock the grant, then the report; both returned fresh."""
    grant = Grant.objects.select_for_update().select_related("call__programme", "organisation").get(pk=report.grant_id)
    report = Report.objects.select_for_update().get(pk=report.pk)
    report.grant = grant
    return report


def _latest(report):
    return report.versions.order_by("-number").first()


def _editable_version(actor, version):
    """Lock and return the version if `actor` may edit it now: the latest version of its report, still a draft."""
    report = _locked_report(version.report)
    _require_writer(actor, report.grant)
    version = ReportVersion.objects.select_for_update().get(pk=version.pk)
    version.report = report
    if version.status != ReportStatus.DRAFT or _latest(report).pk != version.pk:
        raise DomainError(_("This version has been submitted and can no longer be changed."), code="read_only")
    return version


def _officers():
    return get_user_model().objects.filter(is_active=True, groups__name=R.PROGRAMME_OFFICER).distinct()


def _grantees(grant):
    return get_user_model().objects.filter(memberships__organisation_id=grant.organisation_id, is_active=True).distinct()


def _report_params(report):
    return {"grant": report.grant.reference, "report": report_param(is_final=report.is_final, number=report.period_number)}


def _period(grant, period_number):
    period = next((p for p in grant_periods(grant) if p.number == period_number), None)
    if period is None:
        raise DomainError(_("This grant has no reporting period %(n)s.") % {"n": period_number}, code="no_period", field="period_number")
    return period


# ---- opening and editing ------------------------------------------------------------------------------------------


def report_open(*, actor, grant, period_number) -> Report:
    """The report of a reporting period, created (version 1, a draft) the first time; opening it again returns it."""
    with transaction.atomic():
        grant = Grant.objects.select_for_update().select_related("call__programme").get(pk=grant.pk)
        _require_writer(actor, grant)
        existing = Report.objects.filter(grant=grant, period_number=period_number).first()
        if existing is not None:
            return existing
        if grant.status not in REPORTING_STATUSES:
            raise DomainError(_("Reports are written for signed agreements that are not closed."), code="not_reporting")
        period = _period(grant, period_number)
        if period.is_final and timezone.localdate() < period.start:
            raise DomainError(
                _("The final report can be started once its period has begun (%(d)s).") % {"d": period.start},
                code="too_early", field="period_number",
            )
        report = Report.objects.create(
            grant=grant, period_number=period.number, is_final=period.is_final, period_start=period.start,
            period_end=period.end, due_date=period.due,
        )
        version = ReportVersion.objects.create(report=report, number=1, currency=grant.reporting_currency, created_by=actor)
        rows = LogframeRow.objects.filter(application__award_decision__grant=grant).order_by("position", "id")
        IndicatorProgress.objects.bulk_create(
            IndicatorProgress(
                version=version, position=i, level=row.level, statement=row.statement, indicator=row.indicator,
                baseline=row.baseline, target=row.target,
            )
            for i, row in enumerate(r for r in rows if r.statement or r.indicator)
        )
        audit_record(actor=actor, verb="report.open", target=grant, data={"report": report.pk, "period": report.period_number, "final": report.is_final})
    return report


def _count(value, field):
    if value in (None, ""):
        return None
    try:
        number = to_decimal(value)
    except MoneyValueError:
        number = None
    if number is None or number != number.to_integral_value() or not 0 <= number <= MAX_COUNT:
        raise DomainError(_("Enter a whole number, zero or more."), code="invalid_number", field=field)
    return int(number)


def _decimal(value, field):
    if value in (None, ""):
        return None
    try:
        return exact_cents(value)
    except MoneyValueError as exc:
        raise DomainError(_("Enter a number with at most two decimals."), code="invalid_number", field=field) from exc


def _currency(value):
    code = (value or "").strip().upper()
    if code != EUR and code not in CURRENCIES:
        raise DomainError(_("Enter an ISO 4217 currency code, such as EUR or NPR."), code="invalid_currency", field="currency")
    return code


def _clean_data(data):
    """The version's own fields from `data`, checked; blanks are allowed in a draft."""
    cleaned = {}
    for name in TEXT_FIELDS:
        if name in data:
            cleaned[name] = (data[name] or "").strip()
    for name in COUNT_FIELDS:
        if name in data:
            cleaned[name] = _count(data[name], name)
    if "safeguarding_incidents" in data:
        value = data["safeguarding_incidents"]
        if value not in (None, True, False):
            raise DomainError(_("Answer yes or no."), code="invalid_choice", field="safeguarding_incidents")
        cleaned["safeguarding_incidents"] = value
    if "currency" in data:
        cleaned["currency"] = _currency(data["currency"])
    return cleaned


def _clean_expenditure(expenditure):
    """{heading: amount} with blanks dropped; amounts in cents, zero or more."""
    cleaned = {}
    for heading, value in (expenditure or {}).items():
        if heading not in BudgetHeading.values:
            raise DomainError(_("Unknown budget heading %(h)s.") % {"h": heading}, code="invalid_heading", field="expenditure")
        amount = _decimal(value, f"expenditure_{heading}")
        if amount is not None and amount < 0:
            raise DomainError(_("Expenditure cannot be negative."), code="invalid_amount", field=f"expenditure_{heading}")
        if amount is not None:
            cleaned[heading] = amount
    return cleaned


def _clean_line_amounts(line_amounts):
    """{agreement budget line id: amount} with blanks dropped; amounts in cents, zero or more."""
    cleaned = {}
    for key, value in (line_amounts or {}).items():
        field = f"line_{key}"
        amount = _decimal(value, field)
        if amount is not None and amount < 0:
            raise DomainError(_("Expenditure cannot be negative."), code="invalid_amount", field=field)
        if amount is not None:
            cleaned[int(key)] = amount
    return cleaned


def _save_by_line(version, by_line):
    """Replace the version's expenditure with one line per agreement budget line given (heading copied)."""
    budget_lines = {line.pk: line for line in AgreementBudgetLine.objects.filter(grant_id=version.report.grant_id)}
    unknown = [key for key in by_line if key not in budget_lines or not budget_lines[key].heading]
    if unknown:
        raise DomainError(_("This budget line is not in the agreement."), code="invalid_line", field=f"line_{unknown[0]}")
    version.expenditure_lines.all().delete()
    ExpenditureLine.objects.bulk_create(
        ExpenditureLine(version=version, heading=budget_lines[key].heading, budget_line_id=key,
                        description=budget_lines[key].description[:255], amount=amount)
        for key, amount in by_line.items()
    )


def report_save(*, actor, version, data: dict, indicators: list, expenditure: dict | None,
                line_amounts: dict | None = None) -> ReportVersion:
    """Save the draft version: narrative and beneficiaries (`data`, only the keys given), each indicator's actual
    value and comment (`indicators`: [{"id", "actual", "comment"}]), and the expenditure: per agreement budget
    line (`line_amounts`: {line id: amount}, the whole set, replacing every line) or, when `line_amounts` is None,
    per heading (`expenditure`, the whole set: a heading left out or blank has no line; None leaves the lines as
    they are)."""
    cleaned = _clean_data(data)
    lines = _clean_expenditure(expenditure) if line_amounts is None else {}
    by_line = _clean_line_amounts(line_amounts) if line_amounts is not None else None
    progress = {}
    for i, row in enumerate(indicators or []):
        if row.get("id") is None:
            continue
        progress[int(row["id"])] = {
            "actual": _decimal(row.get("actual"), f"indicators-{i}-actual"), "comment": (row.get("comment") or "").strip(),
        }
    with transaction.atomic():
        version = _editable_version(actor, version)
        for name, value in cleaned.items():
            setattr(version, name, value)
        version.save(update_fields=[*cleaned, "updated_at"])
        for item in version.indicators.filter(pk__in=progress):
            item.actual, item.comment = progress[item.pk]["actual"], progress[item.pk]["comment"]
            item.save(update_fields=["actual", "comment"])
        if by_line is not None:
            _save_by_line(version, by_line)
        elif expenditure is not None:
            version.expenditure_lines.all().delete()
            ExpenditureLine.objects.bulk_create(
                ExpenditureLine(version=version, heading=heading, amount=amount) for heading, amount in lines.items()
            )
        audit_record(
            actor=actor, verb="report.save", target=version.report.grant,
            data={"report": version.report_id, "version": version.number, "fields": sorted(cleaned),
                  "expenditure": {h: str(a) for h, a in lines.items()} if expenditure is not None and by_line is None else None,
                  "lines": {str(k): str(a) for k, a in by_line.items()} if by_line is not None else None},
        )
    return version


def report_attach(*, actor, version, title, upload, personal_data_confirmed=False) -> ReportAttachment:
    """Attach a document to the draft. A file that seems to hold personal data (core.personal_data) is refused with
    PersonalDataFound until the uploader confirms; the confirmation is audited with what was found, masked."""
    require_verified_email_to_upload(actor)
    kind = validate_upload(upload)  # raises ValidationError with a message for the file field
    scan = check_upload(upload, kind, confirmed=personal_data_confirmed)
    with transaction.atomic():
        version = _editable_version(actor, version)
        if version.attachments.count() >= MAX_ATTACHMENTS:
            raise DomainError(_("A report can have at most %(n)s attachments.") % {"n": MAX_ATTACHMENTS}, code="too_many", field="file")
        attachment = ReportAttachment.objects.create(
            version=version, title=(title or "").strip() or upload.name[:255], file=upload, original_name=upload.name[:255],
            kind=kind, size=upload.size, uploaded_by=actor,
        )
        audit_record(actor=actor, verb="report.attach", target=version.report.grant,
                     data={"report": version.report_id, "attachment": attachment.pk, "name": attachment.original_name})
        if scan.findings:
            audit_record(actor=actor, verb="report.personal_data_confirmed", target=version.report.grant,
                         data={"report": version.report_id, "attachment": attachment.pk, "name": attachment.original_name,
                               "findings": [f.as_data() for f in scan.findings]})
    return attachment


def report_detach(*, actor, attachment):
    """Remove an attachment from the draft; the file stays while an earlier version still lists it."""
    with transaction.atomic():
        version = _editable_version(actor, attachment.version)
        attachment = ReportAttachment.objects.get(pk=attachment.pk, version=version)
        audit_record(actor=actor, verb="report.detach", target=version.report.grant,
                     data={"report": version.report_id, "attachment": attachment.pk, "name": attachment.original_name})
        shared = ReportAttachment.objects.filter(file=attachment.file.name).exclude(pk=attachment.pk).exists()
        file = attachment.file
        attachment.delete()
        if not shared:
            transaction.on_commit(lambda: file.delete(save=False))


# ---- submission ---------------------------------------------------------------------------------------------------


def submission_problems(version, indicators, lines) -> dict:
    """What the version still needs before it can be submitted: {field: message}."""
    problems = {}
    for name in ("summary", "activities"):
        if not getattr(version, name).strip():
            problems[name] = _("This field is required to submit the report.")
    if version.safeguarding_incidents is None:
        problems["safeguarding_incidents"] = _("Say whether there were safeguarding incidents in the period.")
    elif version.safeguarding_incidents and not version.safeguarding_follow_up.strip():
        problems["safeguarding_follow_up"] = _("Describe the follow-up of the incidents.")
    for i, item in enumerate(indicators):
        if item.actual is None:
            problems[f"indicators-{i}-actual"] = _("Give the actual value reached.")
    if not lines:
        problems["expenditure"] = _("Report the expenditure of the period under at least one heading (zero if none).")
    return problems


def _convert(version, lines):
    """Convert each line to EUR (rounded once per line) with the programme's basis; returns the conversion used."""
    report = version.report
    basis = report.grant.call.programme.fx_basis
    conversion = None
    for line in lines:
        conversion = convert_to_eur(
            amount=line.amount, currency=version.currency, month=report.period_end, basis=basis,
            period=(report.period_start, report.period_end) if basis == FxBasis.AVERAGE else None,
        )
        line.amount_eur = conversion.eur
    return conversion


def _check_transfers(report, version, lines):
    """A version reported by budget line (converted to EUR): refused when a heading's cumulative expenditure exceeds
    its budget by more than the programme's threshold (an amendment is needed), or by less without the grantee's
    explanation. Returns {heading: status} of the headings over budget, for the audit event."""
    if not any(line.budget_line_id for line in lines):
        return {}  # reported by heading only (written before reporting by line): no comparison with lines
    from .selectors import budget_table  # selectors import this module

    version._prefetched_objects_cache = {"expenditure_lines": lines}
    table = budget_table(report, version)
    problems = {}
    for heading in table.amendments_needed:
        problems[f"transfer-{heading.heading}"] = _(
            "%(heading)s: cumulative expenditure exceeds its budget by %(percent)s, more than the %(threshold)s %% "
            "the programme allows without an amendment. Request a budget amendment from your programme officer "
            "before submitting this report."
        ) % {"heading": heading.label, "percent": heading.variance_percent_text if heading.budget else "—",
             "threshold": number_text(table.threshold, 2)}
    if table.notes_needed and not version.transfer_note.strip():
        problems["transfer_note"] = _(
            "Cumulative expenditure exceeds the budget of %(headings)s: explain the transfer between headings."
        ) % {"headings": ", ".join(str(h.label) for h in table.notes_needed)}
    if problems:
        raise ReportIncomplete(problems)
    return {h.heading: h.status for h in table.headings if h.status != "within"}


def report_submit(*, actor, report) -> ReportVersion:
    """Submit the latest version: checked complete, expenditure converted to EUR with the rate kept, then locked."""
    with transaction.atomic():
        report = _locked_report(report)
        _require_writer(actor, report.grant)
        _check_transition(report, ReportStatus.SUBMITTED)
        version = ReportVersion.objects.select_for_update().get(pk=_latest(report).pk)
        version.report = report
        indicators = list(version.indicators.all())
        lines = list(version.expenditure_lines.all())
        problems = submission_problems(version, indicators, lines)
        if problems:
            raise ReportIncomplete(problems)
        conversion = _convert(version, lines)
        transfers = _check_transfers(report, version, lines)
        ExpenditureLine.objects.bulk_update(lines, ["amount_eur"])
        now = timezone.now()
        if version.currency != EUR:
            version.fx_rate = conversion.rate
            version.fx_months = ", ".join(f"{m:%Y-%m}" for m in conversion.months)
            version.fx_source = conversion.source[:255]
        version.total_eur = sum((line.amount_eur for line in lines), Decimal("0.00"))
        version.status = ReportStatus.SUBMITTED
        version.submitted_at, version.submitted_by = now, actor
        version.save(update_fields=["fx_rate", "fx_months", "fx_source", "total_eur", "status", "submitted_at", "submitted_by", "updated_at"])
        report.status, report.submitted_at = ReportStatus.SUBMITTED, now
        report.save(update_fields=["status", "submitted_at"])
        audit_record(
            actor=actor, verb="report.submit", target=report.grant, amount=version.total_eur, currency=EUR,
            data={"report": report.pk, "version": version.number, "currency": version.currency,
                  "fx_rate": str(version.fx_rate) if version.fx_rate else None, "fx_months": version.fx_months,
                  "transfers": transfers},
        )
        notify(_officers(), "report_submitted", url=reverse("report_review", args=[report.pk]),
               params={**_report_params(report), "organisation": report.grant.organisation.legal_name})
    return version


# ---- review -------------------------------------------------------------------------------------------------------


def _review(actor, report, status, comment):
    """Lock the report, check the transition, and mark its submitted version reviewed with `status`."""
    report = _locked_report(report)
    _check_transition(report, status)
    version = ReportVersion.objects.select_for_update().get(pk=_latest(report).pk)
    version.report = report
    version.status, version.review_comment = status, comment
    version.reviewed_at, version.reviewed_by = timezone.now(), actor
    version.save(update_fields=["status", "review_comment", "reviewed_at", "reviewed_by", "updated_at"])
    report.status = status
    return report, version


def report_request_changes(*, actor, report, comment) -> ReportVersion:
    """Send the report back: the submitted version keeps its content with the comment; a new draft version copied
    from it is opened for the grantee. Returns the new draft."""
    _require_reviewer(actor)
    comment = (comment or "").strip()
    if not comment:
        raise DomainError(_("Say what needs to change."), code="comment_required", field="comment")
    with transaction.atomic():
        report, version = _review(actor, report, ReportStatus.CHANGES_REQUESTED, comment)
        report.save(update_fields=["status"])
        draft = ReportVersion.objects.create(
            report=report, number=version.number + 1, created_by=actor, **{f: getattr(version, f) for f in COPIED_FIELDS},
        )
        IndicatorProgress.objects.bulk_create(
            IndicatorProgress(version=draft, **{f: getattr(i, f) for f in INDICATOR_FIELDS}) for i in version.indicators.all()
        )
        ExpenditureLine.objects.bulk_create(
            ExpenditureLine(version=draft, heading=line.heading, budget_line_id=line.budget_line_id, description=line.description,
                            amount=line.amount)
            for line in version.expenditure_lines.all()
        )
        ReportAttachment.objects.bulk_create(
            ReportAttachment(version=draft, title=a.title, file=a.file.name, original_name=a.original_name, kind=a.kind,
                             size=a.size, uploaded_by=a.uploaded_by)
            for a in version.attachments.all()
        )
        audit_record(actor=actor, verb="report.changes", target=report.grant,
                     data={"report": report.pk, "version": version.number, "comment": comment})
        notify(_grantees(report.grant), "report_changes_requested", url=reverse("report_edit", args=[report.pk]),
               params=_report_params(report))
    return draft


def report_approve(*, actor, report, comment="") -> ReportVersion:
    """Approve the submitted version; its EUR expenditure is accepted for the payment schedule at once."""
    _require_reviewer(actor)
    comment = (comment or "").strip()
    with transaction.atomic():
        report, version = _review(actor, report, ReportStatus.APPROVED, comment)
        report.approved_at, report.approved_by = version.reviewed_at, actor
        report.save(update_fields=["status", "approved_at", "approved_by"])
        grant = report.grant
        expenditure_accept(
            actor=actor, grant=grant, period_number=report.period_number, is_final=report.is_final,
            amount=version.total_eur, period_end=report.period_end,
            source=f"{grant.reference} report {report.period_number} v{version.number}",
        )
        audit_record(actor=actor, verb="report.approve", target=grant, amount=version.total_eur, currency=EUR,
                     data={"report": report.pk, "version": version.number, "comment": comment})
        notify(_grantees(grant), "report_approved", url=reverse("report_edit", args=[report.pk]),
               params=_report_params(report))
    return version
