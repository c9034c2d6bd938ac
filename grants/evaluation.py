"""Evaluation grids as plain data. Every call uses the PRAG full-application default until calls get their own grids."""
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    max_points: int
    # A proposal scoring below this in the section is eliminated, whatever its total.
    threshold: int | None = None


@dataclass(frozen=True)
class Grid:
    title: str
    sections: tuple[Section, ...]

    @property
    def total(self) -> int:
        return sum(s.max_points for s in self.sections)


PRAG_FULL_APPLICATION = Grid(
    title=_("Full application (PRAG)"),
    sections=(
        Section("capacity", _("Financial and operational capacity"), 20, threshold=12),
        Section("relevance", _("Relevance of the action"), 30),
        Section("effectiveness", _("Effectiveness and feasibility of the action"), 20),
        Section("sustainability", _("Sustainability of the action"), 15),
        Section("budget", _("Budget and cost-effectiveness of the action"), 15),
    ),
)


def grid_for(call) -> Grid:
    """The grid proposals to `call` are scored against."""
    return PRAG_FULL_APPLICATION
