"""Evaluation grids: the PRAG templates as data, reads at a fixed number of queries, and the services that change grids.

A grid can be changed (copied over, sections and criteria edited, pass mark set) only until a reviewer has scored
against it; from then on the scores must keep meaning what they meant when given.
"""
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.errors import DomainError

from .models import Call, Criterion, EvaluationGrid, GridSection, GridStage

# ---- grids as plain data: the templates, and what the public call page shows ------------------------------------


@dataclass(frozen=True)
class CriterionData:
    title: str
    multiplier: int = 1
    scale_min: int = 1
    scale_max: int = 5
    allows_not_applicable: bool = False
    guidance: str = ""

    @property
    def max_points(self) -> int:
        return self.scale_max * self.multiplier


@dataclass(frozen=True)
class SectionData:
    title: str
    criteria: tuple[CriterionData, ...]
    # A proposal scoring below this in the section is eliminated, whatever its total.
    threshold: Decimal | None = None

    @property
    def max_points(self) -> int:
        return sum(c.max_points for c in self.criteria)


@dataclass(frozen=True)
class GridData:
    name: str
    stage: str
    sections: tuple[SectionData, ...]
    pass_mark: Decimal | None = None

    @property
    def total(self) -> int:
        return sum(s.max_points for s in self.sections)

    @property
    def scale(self):
        """(lowest, highest) when every criterion uses the same scale, else None."""
        scales = {(c.scale_min, c.scale_max) for s in self.sections for c in s.criteria}
        return scales.pop() if len(scales) == 1 else None


_C = CriterionData
_PARTNERS = "the applicant and, if applicable, co-applicant(s) and affiliated entity(ies)"

PRAG_FULL_APPLICATION = GridData(
    name="PRAG full application (out of 100)",
    stage=GridStage.FULL_APPLICATION.value,
    sections=(
        SectionData("Financial and operational capacity", threshold=Decimal("12"), criteria=(
            _C(f"Do {_PARTNERS} have sufficient experience of project management?"),
            _C(f"Do {_PARTNERS} have sufficient technical expertise, notably knowledge of the issues to be addressed?"),
            _C(f"Do {_PARTNERS} have sufficient management capacity, including staff, equipment and the ability "
               "to handle the budget for the action?"),
            _C("Does the lead applicant have stable and sufficient sources of finance?"),
        )),
        SectionData("Relevance of the action", criteria=(
            _C("How relevant is the proposal to the objectives and priorities of the call for proposals?", multiplier=2),
            _C("How relevant is the proposal to the particular needs and constraints of the target countries or regions?",
               multiplier=2),
            _C("How clearly defined and strategically chosen are the stakeholders and target groups?"),
            _C("Have the needs of the target groups been clearly defined, and does the proposal address them appropriately?"),
        )),
        SectionData("Effectiveness and feasibility of the action", criteria=(
            _C("Are the activities proposed appropriate, practical and consistent with the objectives and expected results?"),
            _C("Is the action plan clear and feasible?"),
            _C("Does the proposal contain objectively verifiable indicators for the outcome of the action?"),
            _C("Is the level of involvement and participation of the co-applicant(s) and affiliated entity(ies) "
               "in the action satisfactory?", allows_not_applicable=True),
        )),
        SectionData("Sustainability of the action", criteria=(
            _C("Is the action likely to have a tangible impact on its target groups?"),
            _C("Is the proposal likely to have multiplier effects, including scope for replication, extension and "
               "information sharing?"),
            _C("Are the expected results sustainable: financially, institutionally, at policy level and environmentally?"),
        )),
        SectionData("Budget and cost-effectiveness of the action", criteria=(
            _C("Is the ratio between the estimated costs and the expected results satisfactory?"),
            _C("Is the proposed expenditure necessary for the implementation of the action?", multiplier=2),
        )),
    ),
)

PRAG_CONCEPT_NOTE = GridData(
    name="PRAG concept note (out of 50)",
    stage=GridStage.CONCEPT_NOTE.value,
    sections=(
        SectionData("Relevance of the action", criteria=(
            _C("How relevant is the proposal to the objectives and priorities of the call for proposals?", multiplier=2),
            _C("How relevant is the proposal to the particular needs and constraints of the target countries or regions?",
               multiplier=2),
        )),
        SectionData("Design of the action", criteria=(
            _C("How coherent is the overall design of the action?"),
            _C("Is the action feasible, given the objectives, the expected results and the context?"),
            _C("How well are the stakeholders and target groups involved in the action?"),
        )),
        SectionData("Expected results", criteria=(
            _C("Are the expected results realistic?"),
            _C("Are the results likely to be sustainable after the action ends?"),
            _C("Are the action and its results made sufficiently visible?"),
        )),
    ),
)

PRAG_TEMPLATES = (PRAG_FULL_APPLICATION, PRAG_CONCEPT_NOTE)


def rows_create(data: GridData, *, call=None, models=(EvaluationGrid, GridSection, Criterion)):
    """Write `data` as a grid (a template when `call` is None). `models` are historical ones in a data migration."""
    grid_model, section_model, criterion_model = models
    grid = grid_model.objects.create(call=call, name=data.name, stage=data.stage, pass_mark=data.pass_mark)
    for position, section in enumerate(data.sections, start=1):
        row = section_model.objects.create(grid=grid, position=position, title=section.title, threshold=section.threshold)
        criterion_model.objects.bulk_create(
            criterion_model(
                section=row, position=number, title=c.title, guidance=c.guidance, scale_min=c.scale_min,
                scale_max=c.scale_max, multiplier=c.multiplier, allows_not_applicable=c.allows_not_applicable,
            )
            for number, c in enumerate(section.criteria, start=1)
        )
    return grid


_CRITERION_VALUES = ("title", "multiplier", "scale_min", "scale_max", "allows_not_applicable", "guidance")


def grid_data_of(grids, *preference) -> GridData | None:
    """The first of `grids` (ordered by `preference`, then pk) as plain data, in one query; None if there is none."""
    rows = (
        grids.order_by(*preference, "pk", "sections__position", "sections__pk", "sections__criteria__position", "sections__criteria__pk")
        .values("pk", "name", "stage", "pass_mark", "sections__pk", "sections__title", "sections__threshold",
                "sections__criteria__pk", *(f"sections__criteria__{f}" for f in _CRITERION_VALUES))
    )
    first, sections = None, {}
    for row in rows:
        first = first or row
        if row["pk"] != first["pk"] or row["sections__pk"] is None:
            continue
        _, _, criteria = sections.setdefault(row["sections__pk"], (row["sections__title"], row["sections__threshold"], []))
        if row["sections__criteria__pk"] is not None:
            criteria.append(CriterionData(**{f: row[f"sections__criteria__{f}"] for f in _CRITERION_VALUES}))
    if first is None:
        return None
    return GridData(
        name=first["name"], stage=first["stage"], pass_mark=first["pass_mark"],
        sections=tuple(SectionData(title, tuple(criteria), threshold) for title, threshold, criteria in sections.values()),
    )


# ---- reads ------------------------------------------------------------------------------------------------------


def with_content(queryset):
    """Grids with their sections and criteria: three queries however many criteria."""
    return queryset.prefetch_related("sections__criteria")


def grid_of(call, stage=GridStage.FULL_APPLICATION):
    """The call's grid for `stage`, prefetched, or None."""
    return with_content(EvaluationGrid.objects.filter(call=call, stage=stage)).first()


def _scored(grid_ref):
    return Criterion.objects.filter(section__grid=grid_ref, scores__isnull=False)


def call_grids(call):
    """The call's grids (concept note first), prefetched, each with `is_scored`."""
    return list(with_content(EvaluationGrid.objects.filter(call=call).annotate(is_scored=Exists(_scored(OuterRef("pk"))))))


def grid_is_scored(grid) -> bool:
    """Whether any score refers to a criterion of `grid`: it can then no longer be changed."""
    return _scored(grid).exists()


def copy_sources(call):
    """Grids a call can copy: the templates first, then other calls' grids."""
    return (
        EvaluationGrid.objects.exclude(call=call)
        .select_related("call__programme")
        .order_by(F("call_id").asc(nulls_first=True), "stage", "name")
    )


def section_max(section) -> int:
    """The most points a section can give (from its prefetched criteria)."""
    return sum(c.max_points for c in section.criteria.all())


def grid_max(grid) -> int:
    """The most points a grid can give (from its prefetched sections and criteria)."""
    return sum(section_max(s) for s in grid.sections.all())


# ---- services ---------------------------------------------------------------------------------------------------


def _points(value):
    return floatformat(value, "-2")


def _locked_editable(grid_pk):
    grid = EvaluationGrid.objects.select_for_update().get(pk=grid_pk)
    if grid_is_scored(grid):
        raise DomainError(
            _("Reviewers have already scored against this grid, so it can no longer be changed."), code="grid_scored"
        )
    return grid


def _check_limits(grid_pk):
    """After a change: each section's threshold within its maximum, the pass mark within the total."""
    grid = with_content(EvaluationGrid.objects.filter(pk=grid_pk)).get()
    for section in grid.sections.all():
        maximum = section_max(section)
        if section.threshold is not None and section.threshold > maximum:
            raise DomainError(
                _("The threshold of “%(section)s” (%(threshold)s) cannot be above the section's maximum of %(max)s points.")
                % {"section": section.title, "threshold": _points(section.threshold), "max": maximum},
                code="threshold_above_maximum", field="threshold",
            )
    total = grid_max(grid)
    if grid.pass_mark is not None and grid.pass_mark > total:
        raise DomainError(
            _("The pass mark (%(mark)s) cannot be above the grid's total of %(total)s points.")
            % {"mark": _points(grid.pass_mark), "total": total},
            code="pass_mark_above_total", field="pass_mark",
        )


def _not_negative(value, field):
    if value is not None and value < 0:
        raise DomainError(_("Enter a number of points that is zero or more."), code="negative", field=field)


def _title(title, model):
    title = (title or "").strip()
    limit = model._meta.get_field("title").max_length
    if not title:
        raise DomainError(_("Enter a title."), code="required", field="title")
    if len(title) > limit:
        raise DomainError(_("The title is too long (at most %(max)d characters).") % {"max": limit}, code="too_long", field="title")
    return title


def _next_position(queryset):
    return (queryset.aggregate(last=Max("position"))["last"] or 0) + 1


def grid_copy(*, actor, template, call, stage=None) -> EvaluationGrid:
    """Copy a template (or another call's grid) onto `call`, sections and criteria included.

    The copy belongs to the call: later changes to either grid do not touch the other. A grid the call already has
    for that stage is replaced, unless it has been scored.
    """
    stage = GridStage(stage or template.stage)
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        source = EvaluationGrid.objects.get(pk=template.pk)
        existing = EvaluationGrid.objects.select_for_update().filter(call=call, stage=stage).first()
        replaced = existing.pk if existing else None
        if existing is not None:
            if existing.pk == source.pk:
                raise DomainError(_("A grid cannot be copied onto itself."), code="same_grid", field="source")
            if grid_is_scored(existing):
                raise DomainError(
                    _("Reviewers have already scored against this call's %(stage)s grid: it can no longer be replaced.")
                    % {"stage": stage.label.lower()},
                    code="grid_scored", field="source",
                )
            existing.delete()
        data = grid_data_of(EvaluationGrid.objects.filter(pk=source.pk))
        grid = rows_create(GridData(name=data.name, stage=stage.value, sections=data.sections, pass_mark=data.pass_mark), call=call)
        audit_record(
            actor=actor, verb="grid.copy", target=grid,
            data={"call": call.pk, "stage": stage.value, "source": source.pk, "source_name": source.name,
                  "replaced": replaced},
        )
    return grid


def grid_copy_prag_full(*, actor, call) -> EvaluationGrid:
    """Give `call` the PRAG full-application grid unless it has a full-application grid already (idempotent)."""
    with transaction.atomic():
        Call.objects.select_for_update().get(pk=call.pk)
        existing = grid_of(call, GridStage.FULL_APPLICATION)
        if existing is not None:
            return existing
        template = EvaluationGrid.objects.filter(call=None, name=PRAG_FULL_APPLICATION.name).first()
        if template is None:
            # The data migration writes it; a database emptied since (tests flush tables) no longer has it.
            template = rows_create(PRAG_FULL_APPLICATION)
            audit_record(actor=actor, verb="grid.template_create", target=template)
        return grid_copy(actor=actor, template=template, call=call)


def grid_set_pass_mark(*, actor, grid, pass_mark) -> EvaluationGrid:
    """Set (or clear, with None) the overall pass mark: between zero and the grid's total."""
    _not_negative(pass_mark, "pass_mark")
    with transaction.atomic():
        grid = _locked_editable(grid.pk)
        before = grid.pass_mark
        grid.pass_mark = pass_mark
        grid.save(update_fields=["pass_mark"])
        _check_limits(grid.pk)
        audit_record(actor=actor, verb="grid.pass_mark", target=grid, data={"from": before, "to": pass_mark})
    return grid


def grid_section_save(*, actor, grid, title, threshold=None, position=None, section=None) -> GridSection:
    """Add a section to `grid` (appended unless `position` is given), or change `section` of it."""
    title = _title(title, GridSection)
    _not_negative(threshold, "threshold")
    with transaction.atomic():
        grid = _locked_editable(grid.pk)
        if section is None:
            section = GridSection(grid=grid, position=_next_position(grid.sections.all()) if position is None else position)
            verb = "grid.section_add"
        else:
            section = GridSection.objects.select_for_update().get(pk=section.pk, grid=grid)
            if position is not None:
                section.position = position
            verb = "grid.section_change"
        section.title, section.threshold = title, threshold
        if section.pk is None:
            section.save()
        else:
            section.save(update_fields=["title", "threshold", "position"])
        _check_limits(grid.pk)
        audit_record(
            actor=actor, verb=verb, target=grid,
            data={"section": section.pk, "title": title, "threshold": threshold, "position": section.position},
        )
    return section


def grid_section_delete(*, actor, section):
    """Remove a section and its criteria."""
    with transaction.atomic():
        grid = _locked_editable(section.grid_id)
        section = GridSection.objects.get(pk=section.pk, grid=grid)
        details = {"section": section.pk, "title": section.title, "criteria": section.criteria.count()}
        section.delete()
        _check_limits(grid.pk)
        audit_record(actor=actor, verb="grid.section_delete", target=grid, data=details)


CRITERION_FIELDS = ("title", "guidance", "scale_min", "scale_max", "multiplier", "allows_not_applicable", "position")


def grid_criterion_save(
    *, actor, section, title, guidance="", scale_min=1, scale_max=5, multiplier=1, allows_not_applicable=False,
    position=None, criterion=None,
) -> Criterion:
    """Add a criterion to `section` (appended unless `position` is given), or change `criterion` of it."""
    title = _title(title, Criterion)
    if scale_min < 0:
        raise DomainError(_("The lowest score cannot be below zero."), code="negative", field="scale_min")
    if scale_max <= scale_min:
        raise DomainError(_("The highest score must be above the lowest score."), code="scale_order", field="scale_max")
    if multiplier < 1:
        raise DomainError(_("The multiplier must be at least 1."), code="multiplier", field="multiplier")
    with transaction.atomic():
        grid = _locked_editable(section.grid_id)
        section = GridSection.objects.get(pk=section.pk, grid=grid)
        if criterion is None:
            criterion = Criterion(section=section, position=_next_position(section.criteria.all()) if position is None else position)
            verb = "grid.criterion_add"
        else:
            criterion = Criterion.objects.select_for_update().get(pk=criterion.pk, section=section)
            if position is not None:
                criterion.position = position
            verb = "grid.criterion_change"
        criterion.title, criterion.guidance = title, guidance or ""
        criterion.scale_min, criterion.scale_max, criterion.multiplier = scale_min, scale_max, multiplier
        criterion.allows_not_applicable = allows_not_applicable
        if criterion.pk is None:
            criterion.save()
        else:
            criterion.save(update_fields=list(CRITERION_FIELDS))
        _check_limits(grid.pk)
        audit_record(
            actor=actor, verb=verb, target=grid,
            data={"section": section.pk, "criterion": criterion.pk, **{f: getattr(criterion, f) for f in CRITERION_FIELDS}},
        )
    return criterion


def grid_criterion_delete(*, actor, criterion):
    """Remove a criterion (refused if that would leave its section's threshold or the pass mark out of reach)."""
    with transaction.atomic():
        grid = _locked_editable(criterion.section.grid_id)
        criterion = Criterion.objects.get(pk=criterion.pk, section__grid=grid)
        details = {"section": criterion.section_id, "criterion": criterion.pk, "title": criterion.title}
        criterion.delete()
        _check_limits(grid.pk)
        audit_record(actor=actor, verb="grid.criterion_delete", target=grid, data=details)
