"""Evaluation grids: the PRAG templates, copying, editing until scored, validation and the public call page's grid."""
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext

from applications.models import Application, Assignment, Review, Score
from audit.models import AuditEvent
from core.errors import DomainError
from grants import grids
from grants.evaluation import grid_for
from grants.models import Criterion, EvaluationGrid, GridSection, GridStage

from ..factories import CallFactory

FULL, CONCEPT = grids.PRAG_FULL_APPLICATION, grids.PRAG_CONCEPT_NOTE


def install_templates():
    """The data migration's rows. Tests that empty the database (live-server tests) take them away, so put them back."""
    for data in grids.PRAG_TEMPLATES:
        if not EvaluationGrid.objects.filter(call=None, name=data.name).exists():
            grids.rows_create(data)
    return {d.stage: EvaluationGrid.objects.get(call=None, name=d.name) for d in grids.PRAG_TEMPLATES}


@pytest.fixture
def templates(db):
    return install_templates()


@pytest.fixture
def grid(officer, call, templates):
    return grids.grid_copy(actor=officer, template=templates[GridStage.FULL_APPLICATION], call=call)


def score(grid, reviewer, organisation):
    """A reviewer's score on the grid's first criterion: from now on the grid is fixed."""
    application = Application.objects.create(call=grid.call, organisation=organisation, created_by=reviewer, title="Shelter")
    review = Review.objects.create(assignment=Assignment.objects.create(application=application, reviewer=reviewer))
    criterion = Criterion.objects.filter(section__grid=grid).first()
    return Score.objects.create(review=review, criterion=criterion, value=3, comment="Adequate.")


def content(grid):
    """Everything a grid holds but ids, to compare two grids."""
    return grids.grid_data_of(EvaluationGrid.objects.filter(pk=grid.pk))


def maxima_of(grid):
    """Each section's maximum and the total, of a prefetched grid."""
    return [grids.section_max(s) for s in grid.sections.all()], grids.grid_max(grid)


def maxima(grid):
    return maxima_of(grids.with_content(EvaluationGrid.objects.filter(pk=grid.pk)).get())


# --- the templates (data migration) ---------------------------------------------------------------------------


def migration():
    return importlib.import_module("grants.migrations.0004_prag_grid_templates")


def test_the_data_migration_follows_the_review_settings_migration():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    node = loader.graph.nodes[("grants", "0004_prag_grid_templates")]
    assert ("grants", "0003_review_settings_and_grids") in node.dependencies


def test_the_data_migration_writes_the_two_prag_templates_once(db):
    EvaluationGrid.objects.filter(call=None).delete()
    migration().create_templates(apps, None)
    migration().create_templates(apps, None)  # run again (e.g. after a partial rollback): nothing doubled

    full = EvaluationGrid.objects.get(call=None, name="PRAG full application (out of 100)")
    concept = EvaluationGrid.objects.get(call=None, name="PRAG concept note (out of 50)")
    assert EvaluationGrid.objects.filter(call=None).count() == 2
    assert (full.stage, concept.stage) == (GridStage.FULL_APPLICATION, GridStage.CONCEPT_NOTE)
    assert maxima(full) == ([20, 30, 20, 15, 15], 100)
    assert maxima(concept) == ([20, 15, 15], 50)
    assert full.pass_mark is None and concept.pass_mark is None

    sections = list(full.sections.order_by("position"))
    assert [s.title for s in sections] == [
        "Financial and operational capacity", "Relevance of the action", "Effectiveness and feasibility of the action",
        "Sustainability of the action", "Budget and cost-effectiveness of the action",
    ]
    assert [s.threshold for s in sections] == [Decimal("12.00"), None, None, None, None]
    criteria = {
        f"{s.position}.{c.position}": c for s in sections for c in s.criteria.order_by("position")
    }
    assert list(criteria) == ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3", "3.4",
                              "4.1", "4.2", "4.3", "5.1", "5.2"]
    assert {k for k, c in criteria.items() if c.multiplier == 2} == {"2.1", "2.2", "5.2"}
    assert {k for k, c in criteria.items() if c.allows_not_applicable} == {"3.4"}
    assert all((c.scale_min, c.scale_max) == (1, 5) for c in criteria.values())
    assert "project management" in criteria["1.1"].title and "sources of finance" in criteria["1.4"].title
    assert "necessary for the implementation" in criteria["5.2"].title

    migration().remove_templates(apps, None)
    assert not EvaluationGrid.objects.filter(call=None).exists()


def test_the_templates_as_data_add_up():
    assert [s.max_points for s in FULL.sections] == [20, 30, 20, 15, 15] and FULL.total == 100
    assert [s.max_points for s in CONCEPT.sections] == [20, 15, 15] and CONCEPT.total == 50
    assert FULL.scale == (1, 5)


# --- copying --------------------------------------------------------------------------------------------------


def test_copy_is_deep_and_independent_of_the_template(officer, call, templates):
    template = templates[GridStage.FULL_APPLICATION]
    grid = grids.grid_copy(actor=officer, template=template, call=call)

    assert grid.call == call and grid.stage == GridStage.FULL_APPLICATION and grid.name == template.name
    assert content(grid) == content(template)
    template_sections = set(template.sections.values_list("pk", flat=True))
    assert not template_sections & set(grid.sections.values_list("pk", flat=True))
    assert not Criterion.objects.filter(section__grid=grid, section__in=template_sections).exists()

    copied = grid.sections.get(position=1)
    grids.grid_section_save(actor=officer, grid=grid, section=copied, title="Capacity", threshold=Decimal("10"))
    grids.grid_criterion_delete(actor=officer, criterion=copied.criteria.first())
    assert content(template) == grids.grid_data_of(EvaluationGrid.objects.filter(call=None, name=FULL.name))
    assert maxima(template) == ([20, 30, 20, 15, 15], 100)
    assert maxima(grid) == ([15, 30, 20, 15, 15], 95)

    original = template.sections.get(position=2)
    grids.grid_section_save(actor=officer, grid=template, section=original, title="Changed in the template")
    assert grid.sections.get(position=2).title == "Relevance of the action"

    event = AuditEvent.objects.get(verb="grid.copy")
    assert event.actor == officer and event.target_id == str(grid.pk)
    assert event.data == {"call": call.pk, "stage": "full", "source": template.pk, "source_name": template.name, "replaced": None}


def test_copy_takes_the_template_stage_unless_told(officer, call, templates):
    concept = grids.grid_copy(actor=officer, template=templates[GridStage.CONCEPT_NOTE], call=call)
    assert concept.stage == GridStage.CONCEPT_NOTE
    full = grids.grid_copy(actor=officer, template=templates[GridStage.CONCEPT_NOTE], call=call, stage=GridStage.FULL_APPLICATION)
    assert full.stage == GridStage.FULL_APPLICATION and maxima(full)[1] == 50
    assert list(call.grids.order_by("stage").values_list("stage", flat=True)) == ["concept_note", "full"]


def test_copy_from_another_calls_grid(officer, call, grid):
    grids.grid_set_pass_mark(actor=officer, grid=grid, pass_mark=Decimal("65"))
    other = CallFactory(programme=call.programme)
    copy = grids.grid_copy(actor=officer, template=grid, call=other)
    assert copy.call == other and copy.pass_mark == Decimal("65.00")
    assert content(copy) == content(grid)


def test_copy_replaces_an_unscored_grid(officer, call, grid, templates):
    old_sections = list(grid.sections.values_list("pk", flat=True))
    new = grids.grid_copy(actor=officer, template=templates[GridStage.CONCEPT_NOTE], call=call, stage="full")
    assert list(call.grids.values_list("pk", flat=True)) == [new.pk]
    assert not GridSection.objects.filter(pk__in=old_sections).exists()
    assert maxima(new)[1] == 50
    assert AuditEvent.objects.filter(verb="grid.copy").order_by("pk").last().data["replaced"] == grid.pk


def test_copy_refused_over_a_scored_grid(officer, reviewer, organisation, call, grid, templates):
    score(grid, reviewer, organisation)
    before = content(grid)
    with pytest.raises(DomainError) as exc:
        grids.grid_copy(actor=officer, template=templates[GridStage.CONCEPT_NOTE], call=call, stage="full")
    assert exc.value.code == "grid_scored"
    assert list(call.grids.all()) == [grid] and content(grid) == before
    assert AuditEvent.objects.filter(verb="grid.copy").count() == 1


def test_a_grid_is_not_copied_onto_itself(officer, call, grid):
    with pytest.raises(DomainError) as exc:
        grids.grid_copy(actor=officer, template=grid, call=call)
    assert exc.value.code == "same_grid"
    assert EvaluationGrid.objects.filter(pk=grid.pk).exists()


def test_prag_full_copy_for_the_demo_is_idempotent(officer, call, templates):
    grid = grids.grid_copy_prag_full(actor=officer, call=call)
    assert maxima(grid) == ([20, 30, 20, 15, 15], 100)
    assert grids.grid_copy_prag_full(actor=officer, call=call).pk == grid.pk
    assert AuditEvent.objects.filter(verb="grid.copy").count() == 1


def test_prag_full_copy_restores_a_missing_template(officer, call):
    EvaluationGrid.objects.filter(call=None).delete()
    grid = grids.grid_copy_prag_full(actor=officer, call=call)
    assert maxima(grid)[1] == 100
    assert EvaluationGrid.objects.filter(call=None, name=FULL.name).exists()
    assert AuditEvent.objects.filter(verb="grid.template_create").count() == 1


# --- editing, and its refusal once scored ---------------------------------------------------------------------


def test_sections_and_criteria_are_added_changed_and_removed(officer, call, grid):
    section = grids.grid_section_save(actor=officer, grid=grid, title="  Gender equality  ")
    assert (section.title, section.position, section.threshold) == ("Gender equality", 6, None)
    first = grids.grid_criterion_save(actor=officer, section=section, title="Does the action address gender?")
    second = grids.grid_criterion_save(
        actor=officer, section=section, title="Are women's organisations involved?", scale_min=0, scale_max=4,
        multiplier=2, allows_not_applicable=True, guidance="Count partners.",
    )
    assert (first.position, second.position) == (1, 2)
    assert maxima(grid) == ([20, 30, 20, 15, 15, 13], 113)

    grids.grid_section_save(actor=officer, grid=grid, section=section, title="Gender", threshold=Decimal("6.5"), position=0)
    grids.grid_criterion_save(actor=officer, section=section, criterion=first, title="Gender?", scale_max=10)
    grids.grid_set_pass_mark(actor=officer, grid=grid, pass_mark=Decimal("70"))
    grid.refresh_from_db()
    section.refresh_from_db()
    assert grid.pass_mark == Decimal("70.00") and section.position == 0 and section.threshold == Decimal("6.50")
    assert maxima(grid)[0][0] == 18  # now first: 10 + 4 x 2

    grids.grid_criterion_delete(actor=officer, criterion=second)
    grids.grid_section_delete(actor=officer, section=section)
    assert maxima(grid) == ([20, 30, 20, 15, 15], 100)
    verbs = list(AuditEvent.objects.filter(verb__startswith="grid.").order_by("pk").values_list("verb", flat=True))
    assert verbs == [
        "grid.copy", "grid.section_add", "grid.criterion_add", "grid.criterion_add", "grid.section_change",
        "grid.criterion_change", "grid.pass_mark", "grid.criterion_delete", "grid.section_delete",
    ]


EDITS = {
    "section_add": lambda o, g: grids.grid_section_save(actor=o, grid=g, title="New"),
    "section_change": lambda o, g: grids.grid_section_save(actor=o, grid=g, section=g.sections.first(), title="Renamed"),
    "section_delete": lambda o, g: grids.grid_section_delete(actor=o, section=g.sections.last()),
    "criterion_add": lambda o, g: grids.grid_criterion_save(actor=o, section=g.sections.first(), title="New"),
    "criterion_change": lambda o, g: grids.grid_criterion_save(
        actor=o, section=g.sections.last(), criterion=g.sections.last().criteria.first(), title="Renamed"
    ),
    "criterion_delete": lambda o, g: grids.grid_criterion_delete(actor=o, criterion=g.sections.last().criteria.first()),
    "pass_mark": lambda o, g: grids.grid_set_pass_mark(actor=o, grid=g, pass_mark=Decimal("50")),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_edits_are_refused_once_scored(officer, reviewer, organisation, grid, edit):
    score(grid, reviewer, organisation)
    before, events = content(grid), AuditEvent.objects.count()
    with pytest.raises(DomainError) as exc:
        EDITS[edit](officer, grid)
    assert exc.value.code == "grid_scored"
    assert "already scored" in exc.value.message
    assert content(grid) == before and AuditEvent.objects.count() == events


def test_a_score_on_another_grid_does_not_lock_this_one(officer, reviewer, organisation, call, grid, templates):
    other = grids.grid_copy(actor=officer, template=templates[GridStage.FULL_APPLICATION], call=CallFactory(programme=call.programme))
    score(other, reviewer, organisation)
    assert grids.grid_is_scored(other) and not grids.grid_is_scored(grid)
    grids.grid_set_pass_mark(actor=officer, grid=grid, pass_mark=Decimal("50"))


# --- validation -----------------------------------------------------------------------------------------------


def _capacity(grid):
    return grid.sections.get(position=1)


INVALID = [
    ("threshold below zero", lambda o, g: grids.grid_section_save(actor=o, grid=g, section=_capacity(g), title="C", threshold=Decimal("-1")), "threshold"),
    ("threshold above the section maximum", lambda o, g: grids.grid_section_save(actor=o, grid=g, section=_capacity(g), title="C", threshold=Decimal("20.01")), "threshold"),
    ("threshold on a section without criteria", lambda o, g: grids.grid_section_save(actor=o, grid=g, title="Empty", threshold=Decimal("1")), "threshold"),
    ("blank section title", lambda o, g: grids.grid_section_save(actor=o, grid=g, title="   "), "title"),
    ("scale not ordered", lambda o, g: grids.grid_criterion_save(actor=o, section=_capacity(g), title="Q", scale_min=3, scale_max=3), "scale_max"),
    ("negative scale", lambda o, g: grids.grid_criterion_save(actor=o, section=_capacity(g), title="Q", scale_min=-1), "scale_min"),
    ("multiplier below one", lambda o, g: grids.grid_criterion_save(actor=o, section=_capacity(g), title="Q", multiplier=0), "multiplier"),
    ("criterion title too long", lambda o, g: grids.grid_criterion_save(actor=o, section=_capacity(g), title="x" * 501), "title"),
    ("pass mark above the total", lambda o, g: grids.grid_set_pass_mark(actor=o, grid=g, pass_mark=Decimal("100.5")), "pass_mark"),
    ("pass mark below zero", lambda o, g: grids.grid_set_pass_mark(actor=o, grid=g, pass_mark=Decimal("-1")), "pass_mark"),
]


@pytest.mark.parametrize(("case", "change", "field"), INVALID, ids=[case for case, _, _ in INVALID])
def test_invalid_changes_are_refused_and_change_nothing(officer, grid, case, change, field):
    before, events = content(grid), AuditEvent.objects.count()
    with pytest.raises(DomainError) as exc:
        change(officer, grid)
    assert exc.value.field == field
    assert content(grid) == before and AuditEvent.objects.count() == events


def test_criterion_changes_that_would_put_the_threshold_out_of_reach_are_refused(officer, grid):
    capacity = _capacity(grid)
    grids.grid_section_save(actor=officer, grid=grid, section=capacity, title=capacity.title, threshold=Decimal("20"))
    first = capacity.criteria.first()
    attempts = [
        (lambda: grids.grid_criterion_save(actor=officer, section=capacity, criterion=first, title=first.title, scale_max=4), 19),
        (lambda: grids.grid_criterion_delete(actor=officer, criterion=first), 15),
    ]
    for attempt, would_be in attempts:
        with pytest.raises(DomainError) as exc:
            attempt()
        assert exc.value.code == "threshold_above_maximum"
        assert exc.value.message == (
            f"The threshold of “Financial and operational capacity” (20) cannot be above the section's maximum of {would_be} points."
        )
    assert maxima(grid)[0][0] == 20


def test_removal_refused_when_the_pass_mark_would_be_out_of_reach(officer, grid):
    grids.grid_set_pass_mark(actor=officer, grid=grid, pass_mark=Decimal("90"))
    with pytest.raises(DomainError) as exc:
        grids.grid_section_delete(actor=officer, section=grid.sections.get(position=2))
    assert exc.value.code == "pass_mark_above_total"
    assert exc.value.message == "The pass mark (90) cannot be above the grid's total of 70 points."
    assert maxima(grid)[1] == 100


def test_pass_mark_up_to_the_total_and_cleared(officer, grid):
    grids.grid_set_pass_mark(actor=officer, grid=grid, pass_mark=Decimal("100"))
    grids.grid_set_pass_mark(actor=officer, grid=grid, pass_mark=None)
    grid.refresh_from_db()
    assert grid.pass_mark is None
    assert [e.data for e in AuditEvent.objects.filter(verb="grid.pass_mark").order_by("pk")] == [{"from": None, "to": "100"}, {"from": "100.00", "to": None}]


# --- reads ----------------------------------------------------------------------------------------------------


def test_grid_of_reads_sections_and_criteria_in_three_queries(officer, call, grid):
    assert grids.grid_of(call, GridStage.CONCEPT_NOTE) is None
    with CaptureQueriesContext(connection) as queries:
        read = grids.grid_of(call)
        totals = maxima_of(read)
    assert len(queries) == 3
    assert totals == ([20, 30, 20, 15, 15], 100)


def test_grid_for_is_the_calls_grid_else_the_template_else_the_builtin(officer, call, templates):
    assert grid_for(call) == FULL  # the template, as the migration wrote it
    templates[GridStage.FULL_APPLICATION].sections.filter(position=5).update(title="Value for money")
    assert grid_for(call).sections[4].title == "Value for money"

    grid = grids.grid_copy(actor=officer, template=templates[GridStage.CONCEPT_NOTE], call=call, stage="full")
    grids.grid_set_pass_mark(actor=officer, grid=grid, pass_mark=Decimal("30"))
    shown = grid_for(call)
    assert shown.total == 50 and shown.pass_mark == Decimal("30.00") and shown.name == CONCEPT.name
    assert [s.title for s in shown.sections] == [s.title for s in CONCEPT.sections]

    EvaluationGrid.objects.all().delete()
    assert grid_for(call) is FULL


def test_grid_for_keeps_sections_without_criteria(officer, call, grid):
    grids.grid_section_save(actor=officer, grid=grid, title="To be written")
    shown = grid_for(call)
    assert shown.sections[-1].title == "To be written" and shown.sections[-1].max_points == 0
    assert shown.total == 100


def test_grid_for_is_one_query(call, templates):
    with CaptureQueriesContext(connection) as queries:
        grid_for(call)
    assert len(queries) == 1
