"""Applicant pages (apply, edit, submit, withdraw, receipt) and the officer's eligibility screening."""
import hashlib
from dataclasses import dataclass
from datetime import timezone as dt_timezone

from babel.numbers import get_decimal_symbol, get_group_symbol

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts import roles as R
from accounts.access import can_on, has_role, require_role
from accounts.decorators import verified_email_required
from accounts.diligence.services import diligence_status
from core.converters import as_id
from core.documents import pdf_response
from core.errors import DomainError
from core.formats import locale_name, utc_text
from core.money import format_amount, round_money
from core.uploads import serve_upload
from grants.models import Call, CallStatus
from grants.selectors import open_calls

from . import selectors, services
from grants.budget import cap, summarise

from .forms import (
    ApplicationForm, AttachmentForm, BudgetLineForm, BudgetLineFormSet, LogframeFormSet, LogframeRowForm, ScreeningForm,
    WithdrawForm,
)
from .models import Application, ApplicationStatus
from .pdf import application_pdf
from .review.selectors import application_for_reviewer
from .rules import submission_problems
from .services import LINE_FIELDS, ROW_FIELDS, SubmissionRefused

# ---- applicant side -------------------------------------------------------------------------------------------


def _published_call(code, reference):
    return get_object_or_404(
        Call.objects.select_related("programme"),
        programme__code=code, reference=reference, status__in=[CallStatus.PUBLISHED, CallStatus.CLOSED],
    )


@verified_email_required
def apply(request, code, reference):
    """Start (or reopen) the organisation's application to a call."""
    call = _published_call(code, reference)
    organisations = list(selectors.member_organisations(request.user, "edit_applications").order_by("legal_name"))
    existing = {
        a.organisation_id: a
        for a in Application.objects.filter(call=call, organisation__in=organisations).exclude(status=ApplicationStatus.WITHDRAWN)
    }
    error = None
    if request.method == "POST":
        chosen = next((o for o in organisations if str(o.pk) == request.POST.get("organisation")), None)
        if chosen is None:
            error = _("Choose the organisation that applies.")
        else:
            try:
                application = services.application_start(actor=request.user, call=call, organisation=chosen)
            except DomainError as exc:
                error = exc.message
            else:
                return redirect("application_edit", pk=application.pk)
    return render(
        request,
        "applications/apply.html",
        {
            "call": call, "organisations": organisations, "error": error,
            "choices": [(o, existing.get(o.pk)) for o in organisations],
            "is_open": call.is_open_at(timezone.now()),
        },
        status=400 if error else 200,
    )


@login_required
def dashboard(request):
    """The applicant's home for applications: each one with where it stands and what comes next."""
    applications = list(selectors.applications_of_member(request.user).order_by("-updated_at"))
    return render(request, "applications/dashboard.html", {"applications": applications, "open_calls": open_calls()})


def _details(application):
    return selectors.with_details(Application.objects.select_related(*selectors.LIST_RELATED, "submitted_by", "objective")).get(pk=application.pk)


@login_required
def application_detail(request, pk):
    application = _details(selectors.application_for_member(request.user, pk))
    return render(request, "applications/detail.html", _detail_context(request, application))


def _detail_context(request, application):
    lines = list(application.budget_lines.all())
    return {
        "application": application,
        "call": application.call,
        "lines": lines,
        "rows": list(application.logframe_rows.all()),
        "budget": summarise(application, lines),
        "can_edit": application.is_editable and can_on(request.user, "edit_applications", application.organisation),
        "can_withdraw": application.status in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED)
        and timezone.now() < application.deadline
        and can_on(request.user, "edit_applications", application.organisation),
        "screening": getattr(application, "screening", None),
    }


def _initial_rows(queryset, fields):
    return [{name: getattr(obj, name) for name in fields} for obj in queryset]


def _bind_forms(request, application, data=None, extra=None):
    call = application.call
    form = ApplicationForm(data, instance=application, call=call)
    lines = BudgetLineFormSet(data, prefix="lines", initial=None if data else _initial_rows(application.budget_lines.all(), LINE_FIELDS))
    rows = LogframeFormSet(data, prefix="rows", initial=None if data else _initial_rows(application.logframe_rows.all(), ROW_FIELDS))
    if extra:
        lines.extra = rows.extra = extra
    return form, lines, rows


def _show_problems(form, lines, rows, line_index, row_index, problems):
    """Put each submission problem beside its field: on the form, or on the right row of a formset."""
    general = []
    for p in problems:
        if p.section == "budget_lines" and p.row is not None:
            lines.forms[line_index[p.row]].add_error(p.field, p.message)
        elif p.section == "logframe_rows" and p.row is not None:
            rows.forms[row_index[p.row]].add_error(p.field, p.message)
        elif p.section:
            general.append((p.section, p.message))
        elif p.field in form.fields:
            form.add_error(p.field, p.message)
        else:
            general.append((p.field, p.message))
    return general


def _save_and_act(request, application, form, lines, rows, attachment_form, action):
    """Save the draft, then do what the button asked. Returns a redirect, or (problems, status) to re-render."""
    filled_lines, filled_rows = lines.filled_rows(), rows.filled_rows()
    services.application_save_draft(
        actor=request.user, application=application,
        fields={k: v for k, v in form.cleaned_data.items() if k != "countries"},
        countries=form.cleaned_data["countries"], lines=[d for _, d in filled_lines], rows=[d for _, d in filled_rows],
    )
    edit_url = reverse("application_edit", args=[application.pk])
    # A file chosen goes in with whatever button was pressed: "Save draft" or "Submit" never drops it.
    attached = False
    if action == "attach" or attachment_form.is_bound:
        if not attachment_form.is_valid():
            messages.error(request, _("Your draft is saved, but the document was not attached: see the file field."))
            return [], 400
        try:
            services.attachment_add(
                actor=request.user, application=application,
                title=attachment_form.cleaned_data["title"], uploaded_file=attachment_form.cleaned_data["file"],
            )
        except (DomainError, ValidationError) as exc:
            attachment_form.add_error("file", exc.message if isinstance(exc, DomainError) else exc.messages[0])
            return [], 400
        attached = True
    if action == "attach" or (attached and action == "save"):
        messages.success(request, _("Draft saved and document attached."))
        return redirect(f"{edit_url}#attachments")
    if action.startswith("remove:"):
        pk = as_id(action.removeprefix("remove:"))
        attachment = application.attachments.filter(pk=pk).first() if pk is not None else None
        if attachment is not None:
            services.attachment_remove(actor=request.user, attachment=attachment)
            messages.success(request, _("Draft saved and document removed."))
        return redirect(f"{edit_url}#attachments")
    if action == "submit":
        # Saved. What still stops a submission is shown beside its field, here where it is corrected; otherwise the
        # review page shows everything that will be sent, and submits only when the applicant confirms there.
        if timezone.now() >= application.deadline:
            messages.error(request, _("The deadline for this call passed at %(deadline)s UTC: applications can no longer be submitted.")
                           % {"deadline": utc_text(application.deadline, zone=False)})
            return [], 400
        problems = _problems(application)
        if problems:
            messages.error(request, _("Your draft is saved, but it cannot be submitted yet: see the points marked below."))
            return _show_problems(form, lines, rows, [i for i, _ in filled_lines], [i for i, _ in filled_rows], problems), 400
        return redirect("application_submit", pk=application.pk)
    messages.success(request, _("Draft saved at %(time)s.") % {"time": f"{timezone.now().astimezone(dt_timezone.utc):%H:%M} UTC"})
    return redirect(f"{edit_url}?more=1#budget" if action == "add_rows" else edit_url)


@verified_email_required
def application_edit(request, pk):
    """The whole application on one page: save the draft, attach documents and submit from the same form,
    so nothing typed is lost whichever button is pressed."""
    application = selectors.application_for_member(request.user, pk, edit=True)
    if not application.is_editable:
        return redirect("application_detail", pk=application.pk)
    call = application.call
    general_problems, status = [], 200
    if request.method == "POST":
        form, lines, rows = _bind_forms(request, application, request.POST)
        action = request.POST.get("action", "save")
        attachment_form = _attachment_form(request, bound=action == "attach" or bool(request.FILES.get("att-file")))
        if form.is_valid() and lines.is_valid() and rows.is_valid():
            try:
                outcome = _save_and_act(request, application, form, lines, rows, attachment_form, action)
            except DomainError as exc:
                messages.error(request, exc.message)
                outcome = ([], 400)
            if not isinstance(outcome, tuple):
                return outcome
            general_problems, status = outcome
        else:
            messages.error(request, _("Nothing was saved yet: correct the fields marked below, then save again."))
            status = 400
    else:
        form, lines, rows = _bind_forms(request, application, extra=5 if request.GET.get("more") else None)
        attachment_form = _attachment_form(request, bound=False)
        if request.GET.get("check"):
            # Sent back from the review page: the saved draft, checked, with each problem beside its field.
            form, lines, rows = _bind_forms(request, application, _saved_data(form, lines, rows))
            if form.is_valid() and lines.is_valid() and rows.is_valid():
                general_problems = _show_problems(
                    form, lines, rows, [i for i, _ in lines.filled_rows()], [i for i, _ in rows.filled_rows()],
                    _problems(application),
                )
    budget = summarise(application, list(application.budget_lines.all()))
    return render(
        request,
        "applications/edit.html",
        {
            "application": application, "call": call, "form": form, "lines": lines, "rows": rows,
            "budget": budget, "general_problems": general_problems,
            "summary": _error_summary(form, lines, rows, general_problems, attachment_form),
            "attachment_form": attachment_form, "attachments": application.attachments.all(),
            "deadline_passed": timezone.now() >= application.deadline,
            "sections": section_statuses(application, _problems(application)),
            "line_rows": list(zip(lines.forms, _line_totals(lines))), "live": _live_budget_settings(call, budget),
        },
        status=status,
    )


def _saved_data(form, lines, rows):
    """The values the unbound forms show, as if posted, so the saved draft can be checked with its messages placed
    on the fields."""
    data = QueryDict(mutable=True)
    for part in (form, lines.management_form, *lines.forms, rows.management_form, *rows.forms):
        for field in part:
            value = field.value()
            if isinstance(value, (list, tuple)):
                data.setlist(field.html_name, [str(getattr(v, "pk", v)) for v in value])
            elif isinstance(value, bool):
                if value:
                    data[field.html_name] = "on"
            elif value is not None:
                data[field.html_name] = str(getattr(value, "pk", value))
    return data


def _problems(application):
    """What still stops the saved draft from being submitted (`rules.submission_problems`, as the service checks)."""
    return submission_problems(
        application, call=application.call, lines=list(application.budget_lines.all()),
        rows=list(application.logframe_rows.all()), needs_logframe=not application.is_concept_note,
        country_ids=list(application.countries.values_list("pk", flat=True)), today=timezone.now().date(),
    )


# The sections of the form, in order, with the fields each holds (problems are tied to fields or row sections).
SECTIONS = (
    ("action", _lazy("The action"), {"title", "summary", "objective", "countries", "start_date", "end_date"}),
    ("beneficiaries", _lazy("Beneficiaries"), {"women", "men", "girls", "boys", "victims_of_trafficking", "smuggled_migrants"}),
    ("logframe", _lazy("Logical framework"), {"logframe_rows"}),
    ("budget", _lazy("Budget"), {
        "budget_lines", "indirect_costs", "contingency", "own_contribution", "third_party_contribution", "requested_amount",
    }),
    ("attachments", _lazy("Attachments"), set()),
)


def _section_of(problem):
    key = problem.section or problem.field
    return next((anchor for anchor, _label, keys in SECTIONS if key in keys), "action")


@dataclass(frozen=True)
class SectionStatus:
    anchor: str
    number: int
    label: str
    state: str  # "complete", "missing" or "optional"
    problems: tuple = ()


def section_statuses(application, problems):
    """Each section of the form, complete or missing (from the submission rules, on what is saved); attachments,
    which the rules do not require, are optional until one is attached."""
    by_section = {}
    for problem in problems:
        by_section.setdefault(_section_of(problem), []).append(problem)
    statuses = []
    for number, (anchor, label, _keys) in enumerate(SECTIONS, start=1):
        found = tuple(by_section.get(anchor, ()))
        if found:
            state = "missing"
        elif anchor == "attachments" and not application.attachments.exists():
            state = "optional"
        elif anchor == "logframe" and application.is_concept_note and not application.logframe_rows.exists():
            state = "optional"
        else:
            state = "complete"
        statuses.append(SectionStatus(anchor, number, str(label), state, found))
    return statuses


def _line_totals(lines):
    """Each budget row's total as typed (quantity x unit cost, rounded once), or None: shown before any script runs."""
    totals = []
    for row in lines.forms:
        try:
            quantity = row.fields["quantity"].to_python(row["quantity"].value())
            unit_cost = row.fields["unit_cost"].to_python(row["unit_cost"].value())
        except ValidationError:
            quantity = unit_cost = None
        totals.append(round_money(quantity * unit_cost) if quantity is not None and unit_cost is not None else None)
    return totals


def _live_budget_settings(call, budget):
    """What budget-totals.js needs to recompute the totals as the applicant types: the locale's separators and the
    call's caps and range, in the plain machine form."""
    low, high = call.min_grant.amount, call.max_grant.amount
    if not budget.direct:
        range_state = "empty"
    elif budget.requested < low:
        range_state = "below"
    elif budget.requested > high:
        range_state = "above"
    else:
        range_state = "within"
    indirect_max = cap(budget.direct, call.indirect_cap_percent)
    contingency_max = cap(budget.direct, call.contingency_cap_percent)
    cofinancing_floor = cap(budget.total, call.min_cofinancing_percent)
    return {
        "decimal": get_decimal_symbol(locale_name()), "group": get_group_symbol(locale_name()),
        "indirect_cap": format_amount(call.indirect_cap_percent), "contingency_cap": format_amount(call.contingency_cap_percent),
        "cofinancing_min": format_amount(call.min_cofinancing_percent),
        "low": format_amount(low), "high": format_amount(high), "range_state": range_state,
        "indirect_max": indirect_max, "indirect_over": budget.indirect > indirect_max,
        "contingency_max": contingency_max, "contingency_over": budget.contingency > contingency_max,
        "cofinancing_floor": cofinancing_floor,
        "cofinancing_off": budget.cofinancing < cofinancing_floor or budget.cofinancing > budget.total,
    }


def _review_anchor(problem):
    """Where the edit page shows a problem: the field (or the row's field), or the section."""
    if problem.section == "budget_lines" and problem.row is not None:
        return f"id_lines-{problem.row}-{problem.field}"
    if problem.section == "logframe_rows" and problem.row is not None:
        return f"id_rows-{problem.row}-{problem.field}"
    if problem.section:
        return _SECTION_ANCHORS.get(problem.section, problem.section)
    if problem.field == "requested_amount":
        return "requested"
    if problem.field == "countries":
        return "id_countries_0"  # a group of boxes: its first one
    return f"id_{problem.field}"


def _review_message(problem):
    if problem.row is None:
        if problem.field in ApplicationForm.base_fields:
            return _("%(field)s: %(problem)s") % {"field": ApplicationForm.base_fields[problem.field].label or problem.field, "problem": problem.message}
        return problem.message
    form_class, legend = (BudgetLineForm, _("Budget line")) if problem.section == "budget_lines" else (LogframeRowForm, _("Result"))
    label = form_class.base_fields[problem.field].label if problem.field in form_class.base_fields else problem.field
    return _("%(row)s %(number)s, %(field)s: %(problem)s") % {"row": legend, "number": problem.row + 1, "field": label, "problem": problem.message}


def _draft_version(application):
    """A fingerprint of the saved draft as the review page showed it: if it changed since (another tab, another
    member), the applicant checks it again before it is submitted."""
    attachments = ",".join(str(pk) for pk in application.attachments.order_by("pk").values_list("pk", flat=True))
    return hashlib.sha256(f"{application.updated_at.isoformat()}|{attachments}".encode()).hexdigest()[:20]


@verified_email_required
def application_submit(request, pk):
    """The review page: everything that will be submitted, read-only, with what still stops it, and the one button
    that submits. Submitting twice (a double click, another tab, a retried request) lands on the same receipt."""
    application = selectors.application_for_member(request.user, pk, edit=True)
    if application.submitted_at is not None and application.status != ApplicationStatus.WITHDRAWN:
        return redirect("application_receipt", pk=application.pk)
    if not application.is_editable:
        return redirect("application_detail", pk=application.pk)
    status = 200
    if request.method == "POST":
        if request.POST.get("version") != _draft_version(application):
            messages.error(request, _("The draft was changed since this page was shown. Check it again, then submit."))
            status = 409
        else:
            try:
                application, newly = services.application_submit(actor=request.user, application=application)
            except SubmissionRefused:
                messages.error(request, _("The application cannot be submitted yet: see the points listed below."))
                status = 400
            except DomainError as exc:
                messages.error(request, exc.message)
                status = 400
            else:
                if newly:
                    messages.success(request, _("Your application was submitted. Keep its reference: %(ref)s.") % {"ref": application.reference})
                return redirect("application_receipt", pk=application.pk)
        application = selectors.application_for_member(request.user, pk, edit=True)
    application = _details(application)
    problems = _problems(application)
    context = _detail_context(request, application)
    context.update({
        "problems": [(_review_anchor(p), _review_message(p)) for p in problems],
        "sections": section_statuses(application, problems),
        "deadline_passed": timezone.now() >= application.deadline,
        "version": _draft_version(application),
    })
    return render(request, "applications/submit.html", context, status=status)


def _attachment_form(request, *, bound):
    """Checked only when there is something to attach: otherwise a file left empty is no error (the title typed is
    kept)."""
    if bound:
        return AttachmentForm(request.POST, request.FILES, prefix="att", use_required_attribute=False)
    return AttachmentForm(prefix="att", use_required_attribute=False, initial={"title": request.POST.get("att-title", "")})


# Where each general problem is shown on the page.
_SECTION_ANCHORS = {"budget_lines": "budget", "logframe_rows": "logframe", "requested_amount": "budget"}


def _error_summary(form, lines, rows, general_problems, attachment_form):
    """Every problem on the page, each with the anchor of its field, so a phone user jumps to it instead of scrolling."""
    found = [(_SECTION_ANCHORS.get(section, section), message) for section, message in general_problems]
    for name, errors in form.errors.items():
        anchor = form[name].id_for_label if name in form.fields else "application-form"
        label = form.fields[name].label if name in form.fields else ""
        found += [(anchor, _("%(field)s: %(problem)s") % {"field": label, "problem": error} if label else error) for error in errors]
    for formset, legend in ((rows, _("Result")), (lines, _("Budget line"))):
        found += [("budget" if formset is lines else "logframe", error) for error in formset.non_form_errors()]
        for number, row in enumerate(formset.forms, start=1):
            for name, errors in row.errors.items():
                label = row.fields[name].label if name in row.fields else ""
                anchor = row[name].id_for_label if name in row.fields else ("budget" if formset is lines else "logframe")
                found += [
                    (anchor, _("%(row)s %(number)s, %(field)s: %(problem)s") % {"row": legend, "number": number, "field": label, "problem": error})
                    for error in errors
                ]
    if attachment_form.is_bound:
        found += [(attachment_form[name].id_for_label, error) for name, errors in attachment_form.errors.items() for error in errors]
    return found


def _readable_application(user, pk, *, reviewers=False):
    """Members of the organisation, and programme staff once submitted; with `reviewers`, also a reviewer with an
    active assignment and a "no conflict" declaration. Everyone else 404."""
    readers = [selectors.application_for_member]
    if reviewers and has_role(user, R.REVIEWER):
        readers.insert(0, application_for_reviewer)
    if has_role(user, *R.STAFF_ROLES):
        readers.insert(0, selectors.application_for_staff)
    for read in readers[:-1]:
        try:
            return read(user, pk)
        except Http404:
            continue
    return readers[-1](user, pk)


@login_required
def attachment_download(request, pk, attachment_pk):
    application = _readable_application(request.user, pk, reviewers=True)
    attachment = get_object_or_404(application.attachments, pk=attachment_pk)
    return serve_upload(attachment.file, filename=attachment.original_name, kind=attachment.kind)


@login_required
def application_pdf_download(request, pk):
    application = _readable_application(request.user, pk, reviewers=True)
    if application.submitted_at is None:
        raise Http404
    return pdf_response(application_pdf(_details(application)), f"{application.reference}.pdf")


@login_required
def application_receipt(request, pk):
    application = selectors.application_for_member(request.user, pk)
    if application.submitted_at is None:
        return redirect("application_detail", pk=application.pk)
    return render(request, "applications/receipt.html", {"application": application, "call": application.call})


@verified_email_required
def application_withdraw(request, pk):
    application = selectors.application_for_member(request.user, pk, edit=True)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_withdraw(actor=request.user, application=application, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The application was withdrawn."))
        return redirect("application_detail", pk=application.pk)
    return render(request, "applications/withdraw.html", {"application": application, "form": form})


# ---- officer side: eligibility screening ---------------------------------------------------------------------


@login_required
def screening_calls(request):
    """Calls with their applications counted by status: staff open the lists; donor observers see the numbers only."""
    require_role(request.user, *R.ENVELOPE_READERS)
    calls = list(
        Call.objects.exclude(status=CallStatus.DRAFT).select_related("programme").order_by("-closes_at")
    )
    counts = {}
    for row in Application.objects.filter(call__in=calls).values("call_id", "status").annotate(n=Count("id")):
        counts.setdefault(row["call_id"], {})[row["status"]] = row["n"]
    statuses = [s for s in ApplicationStatus if s != ApplicationStatus.DRAFT]
    table = [
        {"call": c, "counts": [(s.label, counts.get(c.pk, {}).get(s.value, 0)) for s in statuses], "drafts": counts.get(c.pk, {}).get("draft", 0)}
        for c in calls
    ]
    return render(
        request, "applications/screening_calls.html",
        {"rows": table, "statuses": statuses, "can_open": has_role(request.user, *R.STAFF_ROLES)},
    )


@login_required
def screening_detail(request, pk):
    require_role(request.user, *R.STAFF_ROLES)
    application = _details(selectors.application_for_staff(request.user, pk))
    screening = getattr(application, "screening", None)
    can_screen = has_role(request.user, R.PROGRAMME_OFFICER, R.ADMINISTRATOR)
    if request.method == "POST":
        if not can_screen:
            raise PermissionDenied
        form = ScreeningForm(request.POST)
        if form.is_valid():
            try:
                services.screening_record(actor=request.user, application=application, **form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("The screening of %(ref)s was recorded.") % {"ref": application.reference})
                return redirect("screening_list", call_pk=application.call_id)
    else:
        initial = {
            name: getattr(screening, name) for name in ScreeningForm.base_fields
        } if screening else {"on_time": application.submitted_at < application.deadline}
        form = ScreeningForm(initial=initial)
    context = _detail_context(request, application)
    context.update({"form": form, "can_screen": can_screen, "diligence": diligence_status(application.organisation)})
    return render(request, "applications/screening_detail.html", context, status=400 if form.errors else 200)
