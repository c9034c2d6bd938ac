"""Partner-risk and assurance pages: an organisation's risk profile (officers record and import assessments and rate
the PSEA self-assessment; its members fill the self-assessment), a grant's assurance (spot checks and visits done),
the coverage page for officers and donors, and the programme's risk rules."""
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import roles as R
from accounts.access import can_on, is_officer, is_programme_staff, organisation_for, require_officer, require_role
from core import csvfiles
from core.converters import as_id
from core.errors import DomainError
from core.uploads import serve_upload

from ..access import grant_for
from ..models import Grant, Programme
from . import selectors, services
from .forms import ActivityForm, AssessmentForm, ImportForm, PseaForm, PseaRateForm, RuleForm
from .models import MicroAssessment, PseaAssessment, PseaCapacity, RiskRating
from .rules import ORDER, rules_for

OVERDUE_PER_PAGE = 50  # the coverage page's overdue grants, most overdue first


def _form_error(form, exc: DomainError):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _profile_organisation(request, pk):
    """Programme staff and the organisation's own members read its risk profile (another organisation: 404; a donor
    observer or a reviewer: 403)."""
    organisation = organisation_for(request.user, pk)
    if not (is_programme_staff(request.user) or can_on(request.user, "view_organisation", organisation)):
        raise PermissionDenied
    return organisation


def _officer_organisation(request, pk):
    require_officer(request.user)
    return organisation_for(request.user, pk)


def _form_page(request, organisation, form_class, save, template, done):
    """A form on an organisation's risk profile: on a valid POST `save(form)` calls the service; done, back to the
    profile with the `done` message; refused, the page again with the refusal on its field (400)."""
    status = 200
    if request.method == "POST":
        form = form_class(request.POST, request.FILES)
        if form.is_valid():
            try:
                save(form)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, done)
                return redirect("risk_profile", pk=organisation.pk)
        status = 400
    else:
        form = form_class()
    return render(request, template, {"organisation": organisation, "form": form}, status=status)


def _render_profile(request, organisation, *, rate_forms=None, status=200):
    profile = selectors.risk_profile(organisation)
    officer = is_officer(request.user)
    rate_forms = rate_forms or {}
    psea = profile.psea_latest
    return render(request, "risk/profile.html", {
        "organisation": organisation,
        "profile": profile,
        "staff_view": is_programme_staff(request.user),
        "officer": officer,
        "can_fill_psea": services.can_fill_psea(request.user, organisation),
        "questions": services.PSEA_QUESTIONS,
        "rate_form": (rate_forms.get(psea.pk) or PseaRateForm(prefix="rate")) if officer and psea else None,
        "today": timezone.localdate(),
    }, status=status)


@login_required
@require_GET
def risk_profile(request, pk):
    return _render_profile(request, _profile_organisation(request, pk))


@login_required
@require_http_methods(["GET", "POST"])
def assessment_new(request, pk):
    organisation = _officer_organisation(request, pk)

    def save(form):
        data = form.cleaned_data
        services.assessment_record(
            actor=request.user, organisation=organisation, assessed_on=data["assessed_on"], overall=data["overall"],
            area_ratings=form.area_ratings(), assessor_user=data["assessor_user"],
            assessor_firm=data["assessor_firm"], expires_on=data["expires_on"], summary=data["summary"],
        )

    return _form_page(request, organisation, AssessmentForm, save, "risk/assessment_form.html",
                      _("The micro-assessment is recorded."))


@login_required
@require_http_methods(["GET", "POST"])
def assessment_import(request, pk):
    organisation = _officer_organisation(request, pk)

    def save(form):
        data = form.cleaned_data
        services.assessment_import(
            actor=request.user, organisation=organisation, assessed_on=data["assessed_on"],
            source_agency=data["source_agency"], overall=data["overall"], report=data["report"],
            expires_on=data["expires_on"], summary=data["summary"],
        )

    return _form_page(request, organisation, ImportForm, save, "risk/import_form.html",
                      _("The earlier assessment is imported."))


@login_required
@require_GET
def assessment_report(request, pk, assessment_pk):
    organisation = _profile_organisation(request, pk)
    if not is_programme_staff(request.user):
        raise PermissionDenied
    assessment = get_object_or_404(MicroAssessment, pk=assessment_pk, organisation=organisation)
    if not assessment.report:
        raise Http404
    return serve_upload(assessment.report, filename=assessment.report_name, kind=assessment.report_kind)


@login_required
@require_http_methods(["GET", "POST"])
def psea_self_assessment(request, pk):
    organisation = _profile_organisation(request, pk)
    if not services.can_fill_psea(request.user, organisation):
        raise PermissionDenied

    def save(form):
        services.psea_submit(actor=request.user, organisation=organisation, answers=form.answers(),
                             comment=form.cleaned_data["comment"])

    return _form_page(request, organisation, PseaForm, save, "risk/psea_form.html",
                      _("The PSEA self-assessment is sent: the programme team will rate it."))


@login_required
@require_POST
def psea_rate(request, pk, psea_pk):
    organisation = _officer_organisation(request, pk)
    assessment = get_object_or_404(PseaAssessment, pk=psea_pk, organisation=organisation)
    form = PseaRateForm(request.POST, prefix="rate")
    if form.is_valid():
        try:
            services.psea_rate(actor=request.user, assessment=assessment, rating=form.cleaned_data["rating"],
                               note=form.cleaned_data["rating_note"])
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("The PSEA capacity is rated %(rating)s.")
                             % {"rating": PseaCapacity(form.cleaned_data["rating"]).label.lower()})
            return redirect(reverse("risk_profile", args=[organisation.pk]) + "#psea")
    return _render_profile(request, organisation, rate_forms={assessment.pk: form}, status=400)


def _year(request):
    today = timezone.localdate()
    year = as_id(request.GET.get("year"))
    return year if year and today.year - 10 <= year <= today.year + 1 else today.year


def _plan_csv(rows, year):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="assurance-plan-{year}.csv"'
    writer = csvfiles.writer(response)
    writer.writerow([_("Grant"), _("Partner"), _("Rating"), _("Spot checks done"), _("Spot checks planned"),
                     _("Visits done"), _("Visits planned"), _("Overdue"), _("Audit due")])
    writer.writerows([
        row.grant.reference, row.grant.organisation.acronym or row.grant.organisation.legal_name,
        RiskRating(row.rating).label, row.spot_checks.done, row.spot_checks.planned, row.visits.done,
        row.visits.planned, row.overdue, _("Yes") if row.audit_due else _("No"),
    ] for row in rows)
    return response


@login_required
@require_GET
def coverage(request):
    require_role(request.user, *R.ENVELOPE_READERS)
    year = _year(request)
    if request.GET.get("format") == "csv":
        return _plan_csv(selectors.plan_rows(Grant.objects.all(), year), year)
    result = selectors.coverage(Grant.objects.all(), year)
    overdue = Paginator(result.overdue_rows, OVERDUE_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "risk/coverage.html", {
        "coverage": result, "ratings": [RiskRating(r) for r in ORDER], "year": year,
        "overdue": overdue, "overdue_rows": selectors.with_grants(overdue.object_list), "query": urlencode({"year": year}),
        "years": list(range(timezone.localdate().year, timezone.localdate().year - 3, -1)),
        "programmes": Programme.objects.order_by("code") if is_officer(request.user) else [],
    })


@login_required
@require_http_methods(["GET", "POST"])
def grant_assurance(request, reference):
    require_role(request.user, *R.ENVELOPE_READERS)
    grant = grant_for(request.user, reference, queryset=Grant.objects.select_related("organisation", "country", "call"))
    officer = is_officer(request.user)
    status = 200
    form = None
    if request.method == "POST":
        if not officer:
            raise PermissionDenied
        form = ActivityForm(request.POST)
        if form.is_valid():
            try:
                services.activity_record(actor=request.user, grant=grant, **form.cleaned_data)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("The spot check or visit is recorded."))
                return redirect("grant_assurance", reference=grant.reference)
        status = 400
    elif officer:
        form = ActivityForm(initial={"done_on": timezone.localdate()})
    rows = selectors.assurance_rows(Grant.objects.filter(pk=grant.pk))
    return render(request, "risk/grant_assurance.html", {
        "grant": grant, "plan": rows[0] if rows else None, "activities": selectors.grant_activities(grant), "form": form,
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def risk_rules(request, code):
    require_officer(request.user)
    programme = get_object_or_404(Programme, code=code)
    status = 200
    rules, adopted = rules_for(programme.pk)
    forms_by_rating = {}
    if request.method == "POST" and "adopt" in request.POST:
        services.rules_adopt(actor=request.user, programme=programme)
        messages.success(request, _("The programme now applies its risk rules."))
        return redirect("risk_rules", code=programme.code)
    if request.method == "POST":
        rating = request.POST.get("rating")
        if rating not in RiskRating.values:
            raise Http404
        form = RuleForm(request.POST, prefix=rating)
        if form.is_valid():
            try:
                services.rule_set(actor=request.user, programme=programme, rating=rating, **form.cleaned_data)
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("The rule for %(rating)s is saved.") % {"rating": RiskRating(rating).label.lower()})
                return redirect("risk_rules", code=programme.code)
        forms_by_rating[rating] = form
        status = 400
    rows = []
    for rating in ORDER:
        rule = rules[rating]
        form = forms_by_rating.get(rating) or RuleForm(prefix=rating, initial={
            "max_advance_percent": rule.max_advance_percent, "spot_checks_per_year": rule.spot_checks_per_year,
            "visits_per_year": rule.visits_per_year, "audit_due": rule.audit_due,
        })
        rows.append((RiskRating(rating), form))
    return render(request, "risk/rules.html", {"programme": programme, "rows": rows, "adopted": adopted}, status=status)
