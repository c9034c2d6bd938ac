"""The officer's pages for a call's evaluation grids: see them, copy one from a template, edit them until scored."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms.models import model_to_dict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import roles as R
from accounts.access import require_role
from core.errors import DomainError

from . import grids
from .grid_forms import CriterionForm, GridCopyForm, PassMarkForm, SectionForm
from .models import Call, Criterion, EvaluationGrid, GridSection

GRID_EDITORS = (R.PROGRAMME_OFFICER, R.ADMINISTRATOR)


def _call(request, pk):
    require_role(request.user, *GRID_EDITORS)
    return get_object_or_404(Call.objects.select_related("programme"), pk=pk)


def _grid_url(call, grid=None):
    return reverse("call_grid", args=[call.pk]) + (f"#grid-{grid.pk}" if grid else "")


def _add_error(form, exc):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _pass_mark_form(grid, data=None):
    return PassMarkForm(data, prefix=f"grid{grid.pk}", initial={"pass_mark": grid.pass_mark})


def _render_page(request, call, *, copy_form=None, pass_mark_forms=None, status=200):
    """The grid page; `copy_form` and `pass_mark_forms` ({grid pk: form}) are bound forms to show with their errors."""
    pass_mark_forms = pass_mark_forms or {}
    rows = [
        {
            "grid": grid,
            "sections": [(section, grids.section_max(section)) for section in grid.sections.all()],
            "total": grids.grid_max(grid),
            "pass_mark_form": pass_mark_forms.get(grid.pk) or _pass_mark_form(grid),
        }
        for grid in grids.call_grids(call)
    ]
    return render(
        request,
        "grants/grid.html",
        {"call": call, "grids": rows, "copy_form": copy_form or GridCopyForm(call=call)},
        status=status,
    )


@login_required
def call_grid(request, pk):
    """The call's grids with each section's maximum and the total, and the forms that change them."""
    return _render_page(request, _call(request, pk))


@login_required
@require_POST
def call_grid_copy(request, pk):
    call = _call(request, pk)
    form = GridCopyForm(request.POST, call=call)
    if form.is_valid():
        data = form.cleaned_data
        try:
            grid = grids.grid_copy(actor=request.user, template=data["source"], call=call, stage=data["stage"])
        except DomainError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("The grid was copied to this call. You can now adapt it."))
            return redirect(_grid_url(call, grid))
    return _render_page(request, call, copy_form=form, status=400)


@login_required
@require_POST
def call_grid_pass_mark(request, pk, grid_pk):
    call = _call(request, pk)
    grid = get_object_or_404(EvaluationGrid, pk=grid_pk, call=call)
    form = _pass_mark_form(grid, request.POST)
    if form.is_valid():
        try:
            grids.grid_set_pass_mark(actor=request.user, grid=grid, pass_mark=form.cleaned_data["pass_mark"])
        except DomainError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("The pass mark was saved."))
            return redirect(_grid_url(call, grid))
    return _render_page(request, call, pass_mark_forms={grid.pk: form}, status=400)


def _edit_page(request, call, grid, *, form, save, heading, delete_url=None, delete_label=None):
    """A form page for a section or criterion of an unscored grid; after saving, back to the grid."""
    if grids.grid_is_scored(grid):
        messages.error(request, _("Reviewers have already scored against this grid, so it can no longer be changed."))
        return redirect(_grid_url(call, grid))
    if request.method == "POST":
        if form.is_valid():
            try:
                save(form.cleaned_data)
            except DomainError as exc:
                _add_error(form, exc)
            else:
                messages.success(request, _("The grid was saved."))
                return redirect(_grid_url(call, grid))
    context = {"call": call, "grid": grid, "form": form, "heading": heading, "delete_url": delete_url, "delete_label": delete_label}
    return render(request, "grants/grid_form.html", context, status=400 if form.is_bound else 200)


def _section(call, section_pk):
    return get_object_or_404(GridSection.objects.select_related("grid"), pk=section_pk, grid__call=call)


def _criterion(call, criterion_pk):
    return get_object_or_404(Criterion.objects.select_related("section__grid"), pk=criterion_pk, section__grid__call=call)


@login_required
def section_add(request, pk, grid_pk):
    call = _call(request, pk)
    grid = get_object_or_404(EvaluationGrid, pk=grid_pk, call=call)
    form = SectionForm(request.POST or None)
    return _edit_page(
        request, call, grid, form=form, heading=_("Add a section"),
        save=lambda data: grids.grid_section_save(actor=request.user, grid=grid, **data),
    )


@login_required
def section_edit(request, pk, section_pk):
    call = _call(request, pk)
    section = _section(call, section_pk)
    form = SectionForm(request.POST or None, initial=model_to_dict(section, fields=["title", "threshold", "position"]))
    return _edit_page(
        request, call, section.grid, form=form, heading=_("Change the section"),
        delete_url=reverse("call_grid_section_delete", args=[call.pk, section.pk]),
        delete_label=_("Remove this section and its criteria"),
        save=lambda data: grids.grid_section_save(actor=request.user, grid=section.grid, section=section, **data),
    )


@login_required
def criterion_add(request, pk, section_pk):
    call = _call(request, pk)
    section = _section(call, section_pk)
    form = CriterionForm(request.POST or None)
    return _edit_page(
        request, call, section.grid, form=form,
        heading=_("Add a criterion to “%(section)s”") % {"section": section.title},
        save=lambda data: grids.grid_criterion_save(actor=request.user, section=section, **data),
    )


@login_required
def criterion_edit(request, pk, criterion_pk):
    call = _call(request, pk)
    criterion = _criterion(call, criterion_pk)
    form = CriterionForm(request.POST or None, initial=model_to_dict(criterion, fields=grids.CRITERION_FIELDS))
    return _edit_page(
        request, call, criterion.section.grid, form=form,
        heading=_("Change the criterion"),
        delete_url=reverse("call_grid_criterion_delete", args=[call.pk, criterion.pk]),
        delete_label=_("Remove this criterion"),
        save=lambda data: grids.grid_criterion_save(actor=request.user, section=criterion.section, criterion=criterion, **data),
    )


def _delete(request, call, grid, remove):
    try:
        remove()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Removed from the grid."))
    return redirect(_grid_url(call, grid))


@login_required
@require_POST
def section_delete(request, pk, section_pk):
    call = _call(request, pk)
    section = _section(call, section_pk)
    return _delete(request, call, section.grid, lambda: grids.grid_section_delete(actor=request.user, section=section))


@login_required
@require_POST
def criterion_delete(request, pk, criterion_pk):
    call = _call(request, pk)
    criterion = _criterion(call, criterion_pk)
    return _delete(request, call, criterion.section.grid, lambda: grids.grid_criterion_delete(actor=request.user, criterion=criterion))
