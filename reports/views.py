"""Report pages: the grantee's periods and report form, the officer's queue and review."""
from datetime import timezone as dt_timezone

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts import roles as R
from accounts.access import has_role, require_role
from core.converters import as_id
from core.errors import DomainError
from core.personal_data import PersonalDataFound
from core.uploads import serve_upload
from grants.access import can_report_for, grant_for
from grants.budget import summarise
from grants.models import BudgetHeading, Grant
from lists.export import list_export
from lists.listing import list_page

from . import budget_csv, selectors, services
from .forms import AttachmentForm, ExpenditureForm, IndicatorFormSet, ReportForm, ReviewForm
from .models import ReportAttachment, ReportStatus
from .report_list import REPORT_LIST, submitted_reports

GRANTEE_ROLES = (R.APPLICANT, *R.ENVELOPE_READERS)


def _budget(grant):
    return summarise(grant, list(grant.budget_lines.all()))


def _budget_rows(budget, version):
    """(heading, agreement budget, EUR expenditure of the version) for every heading either one has."""
    planned = dict(budget.by_heading)
    spent = {line.get_heading_display(): line.amount_eur for line in version.expenditure_lines.all()}
    return [(label, planned.get(label), spent.get(label)) for _value, label in BudgetHeading.choices if label in planned or label in spent]


def _table_fields(table, expenditure):
    """[(heading, [(line row, its form field or None)])] for the edit page's table."""
    return [(heading, [(row, expenditure.line_field(row.key) if expenditure is not None and row.key else None)
                       for row in heading.lines])
            for heading in table.headings]


@login_required
def report_list(request, reference):
    """The grant's reporting periods with due dates and where each report stands; members start or continue them."""
    require_role(request.user, *GRANTEE_ROLES)
    grant = grant_for(request.user, reference, Grant.objects.select_related("call__programme", "organisation"))
    can_write = can_report_for(request.user, grant)
    error = None
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied
        try:
            report = services.report_open(actor=request.user, grant=grant, period_number=int(request.POST.get("period", "0")))
        except ValueError:
            error = _("Choose a reporting period.")
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("report_edit", pk=report.pk)
    rows = selectors.period_rows([grant], timezone.localdate())
    return render(
        request, "reports/list.html",
        {"grant": grant, "rows": rows, "can_write": can_write and grant.status in services.REPORTING_STATUSES, "error": error},
        status=400 if error else 200,
    )


def _member_report(request, pk):
    """The report for its grantee's members; staff and donors go to the review page, other roles get 403."""
    if has_role(request.user, *R.ENVELOPE_READERS):
        return None
    require_role(request.user, R.APPLICANT)
    return selectors.report_for(request.user, pk)


def _bind(version, data=None, files=None, budget_lines=()):
    indicators = list(version.indicators.all())
    form = ReportForm(data, instance=version)
    rows = IndicatorFormSet(
        data, prefix="indicators",
        initial=None if data else [{"id": i.pk, "actual": i.actual, "comment": i.comment} for i in indicators],
    )
    initial = None
    if not data:
        initial = {
            f"line_{line.budget_line_id}" if line.budget_line_id else f"expenditure_{line.heading}": line.amount
            for line in version.expenditure_lines.all()
        }
    expenditure = ExpenditureForm(data, initial=initial, budget_lines=budget_lines)
    attachment = AttachmentForm(data, files, prefix="att", use_required_attribute=False, version=version)
    return form, rows, expenditure, attachment, indicators


def _indicator_form(rows, field):
    """The indicator row a field name such as "indicators-2-actual" points to, if the page has it."""
    index = int(field.split("-")[1])
    return rows.forms[index] if index < len(rows.forms) else None


def _show_error(exc, form, rows, expenditure, attachment):
    """Put a refusal beside its field(s)."""
    if isinstance(exc, services.ReportIncomplete):
        for field, message in exc.problems.items():
            row = _indicator_form(rows, field) if field.startswith("indicators-") else None
            if row is not None:
                row.add_error("actual", message)
            elif field == "expenditure" or field.startswith("transfer-"):
                expenditure.add_error(None, message)
            else:
                form.add_error(field if field in form.fields else None, message)
        return
    field = exc.field or None
    row = _indicator_form(rows, field) if field and field.startswith("indicators-") else None
    if row is not None:
        row.add_error("actual", exc.message)
    elif field and (field.startswith("expenditure") or field.startswith("line_")):
        expenditure.add_error(field if field in expenditure.fields else None, exc.message)
    elif field == "file":
        if not isinstance(exc, PersonalDataFound):  # its warning is already on the field (AttachmentForm.warn)
            attachment.add_error("file", exc.message)
    else:
        form.add_error(field if field in form.fields else None, exc.message)


def _save_and_act(request, report, version, form, rows, expenditure, attachment, action):
    """Save the draft, then do what the button asked; returns a redirect. Refusals raise DomainError."""
    services.report_save(
        actor=request.user, version=version, data=form.cleaned_data,
        indicators=[f.cleaned_data for f in rows.forms if f.cleaned_data], expenditure=expenditure.amounts(),
        line_amounts=expenditure.line_amounts(),
    )
    edit_url = reverse("report_edit", args=[report.pk])
    if action == "attach":
        upload = attachment.cleaned_data.get("file")
        if upload is None:
            raise DomainError(_("Choose a file to attach."), field="file")
        try:
            services.report_attach(actor=request.user, version=version, title=attachment.cleaned_data["title"], upload=upload,
                                   personal_data_confirmed=attachment.confirms(upload))
        except ValidationError as exc:
            raise DomainError(exc.messages[0], field="file") from exc
        except PersonalDataFound as exc:
            attachment.warn(upload, exc)  # the draft is saved; the file waits for the confirmation
            raise
        messages.success(request, _("Draft saved and document attached."))
        return redirect(f"{edit_url}#attachments")
    if action.startswith("remove:"):
        pk = as_id(action.removeprefix("remove:"))
        target = version.attachments.filter(pk=pk).first() if pk is not None else None
        if target is not None:
            services.report_detach(actor=request.user, attachment=target)
            messages.success(request, _("Draft saved and document removed."))
        return redirect(f"{edit_url}#attachments")
    if action == "submit":
        services.report_submit(actor=request.user, report=report)
        messages.success(request, _("Your report was submitted. The programme officer will review it."))
        return redirect(edit_url)
    messages.success(request, _("Draft saved at %(time)s.") % {"time": f"{timezone.now().astimezone(dt_timezone.utc):%H:%M} UTC"})
    return redirect(edit_url)


@login_required
def report_edit(request, pk):
    """The report on one page: every button saves the draft first; submitted versions are read-only."""
    report = _member_report(request, pk)
    if report is None:
        return redirect("report_review", pk=pk)
    versions = selectors.versions_of(report)
    version = versions[0]
    editable = version.status == ReportStatus.DRAFT and can_report_for(request.user, report.grant)
    if request.method == "POST" and not editable:
        raise PermissionDenied
    status = 200
    budget_lines = list(report.grant.budget_lines.all())
    if request.method == "POST":
        form, rows, expenditure, attachment, indicators = _bind(version, request.POST, request.FILES, budget_lines)
        if all([form.is_valid(), rows.is_valid(), expenditure.is_valid(), attachment.is_valid()]):
            try:
                return _save_and_act(request, report, version, form, rows, expenditure, attachment, request.POST.get("action", "save"))
            except DomainError as exc:
                _show_error(exc, form, rows, expenditure, attachment)
                messages.error(request, _("See the points marked below.") if isinstance(exc, services.ReportIncomplete) else exc.message)
        else:
            messages.error(request, _("Nothing was saved yet: correct the fields marked below, then save again."))
        status = 400
    else:
        form, rows, expenditure, attachment, indicators = _bind(version, budget_lines=budget_lines)
    if request.method == "POST":
        getattr(version, "_prefetched_objects_cache", {}).pop("expenditure_lines", None)  # the draft as just saved
    table = selectors.budget_table(report, version, lines=budget_lines)
    return render(
        request, "reports/edit.html",
        {
            "report": report, "grant": report.grant, "version": version, "editable": editable,
            "previous": versions[1:], "comments": [v for v in versions if v.review_comment],
            "form": form, "rows": list(zip(rows.forms, indicators)), "formset": rows,
            "expenditure": expenditure, "expenditure_rows": expenditure.rows(_budget(report.grant)) if not expenditure.by_line else [],
            "table": table, "table_fields": _table_fields(table, expenditure if editable else None), "attachment_form": attachment,
        },
        status=status,
    )


def _readable_version(request, pk, number):
    """(report, version) for the grantee's members (any version), and for staff and donors once submitted."""
    if has_role(request.user, *R.ENVELOPE_READERS):
        report = selectors.report_for(request.user, pk)
    else:
        report = _member_report(request, pk)
    readable = selectors.versions_of(report, drafts=not has_role(request.user, *R.ENVELOPE_READERS))
    version = next((v for v in readable if v.number == number), None)
    if version is None:
        raise Http404
    return report, version


@login_required
def report_version(request, pk, number):
    """One version, read-only: for the grantee's members, and for staff and donors once submitted."""
    report, version = _readable_version(request, pk, number)
    return render(request, "reports/version.html", {
        "report": report, "grant": report.grant, "version": version, "budget": _budget(report.grant),
        "table": (table := selectors.budget_table(report, version)), "table_fields": _table_fields(table, None),
    })


@require_GET
@login_required
def report_budget_csv(request, pk, number):
    """The version's expenditure against the budget lines as CSV, for whoever may read the version."""
    report, version = _readable_version(request, pk, number)
    filename = f"{report.grant.reference}-report-{report.period_number}-v{version.number}-budget-lines"
    return budget_csv.csv_response(selectors.budget_table(report, version), version, filename)


@login_required
def report_attachment(request, pk, attachment_pk):
    if has_role(request.user, *R.ENVELOPE_READERS):
        report = selectors.report_for(request.user, pk)
        versions = report.versions.exclude(status=ReportStatus.DRAFT)
    else:
        report = _member_report(request, pk)
        versions = report.versions.all()
    attachment = get_object_or_404(ReportAttachment, pk=attachment_pk, version__in=versions)
    return serve_upload(attachment.file, filename=attachment.original_name, kind=attachment.kind)


@require_GET
@login_required
def report_queue(request):
    """Submitted reports as a list (by default oldest submission first), then periods overdue without a submitted
    report."""
    require_role(request.user, *R.ENVELOPE_READERS)
    listing = list_page(REPORT_LIST, request, submitted_reports())
    overdue_count, overdue = selectors.overdue_summary(timezone.localdate())
    return render(request, "reports/queue.html", {
        "listing": listing, "overdue": overdue, "overdue_count": overdue_count, "export_url": reverse("report_queue_export"),
        "waiting": ReportStatus.SUBMITTED,
    })


@require_GET
@login_required
def report_queue_export(request):
    require_role(request.user, *R.ENVELOPE_READERS)
    return list_export(REPORT_LIST, request, submitted_reports(), "reports")


@login_required
def report_review(request, pk):
    """The submitted version read-only with its EUR conversion, budget and indicators; approve or request changes."""
    require_role(request.user, *R.ENVELOPE_READERS)
    report = selectors.report_for(request.user, pk)
    versions = selectors.versions_of(report, drafts=False)
    version = versions[0]
    budget = _budget(report.grant)
    can_review = has_role(request.user, *services.REVIEWER_ROLES) and report.status == ReportStatus.SUBMITTED
    form, status = ReviewForm(), 200
    if request.method == "POST":
        if not can_review:
            raise PermissionDenied
        form = ReviewForm(request.POST)
        form.is_valid()
        comment = form.cleaned_data.get("comment", "")
        try:
            if request.POST.get("action") == "approve":
                services.report_approve(actor=request.user, report=report, comment=comment)
                messages.success(request, _("The report is approved; its expenditure counts for the payment schedule."))
            else:
                services.report_request_changes(actor=request.user, report=report, comment=comment)
                messages.success(request, _("Changes requested: the grantee can edit a new version."))
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            status = 400
        else:
            return redirect("report_review", pk=report.pk)
    return render(
        request, "reports/review.html",
        {"report": report, "grant": report.grant, "version": version, "previous": versions[1:], "budget": budget,
         "budget_rows": _budget_rows(budget, version), "form": form, "can_review": can_review,
         "table": (table := selectors.budget_table(report, version)), "table_fields": _table_fields(table, None)},
        status=status,
    )
