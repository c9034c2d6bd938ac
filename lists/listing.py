"""Staff lists: paged, sorted, searched and filtered from the query string, so a view can be bookmarked, shared,
saved under a name, exported and acted on in bulk.

A list is described once by a `ListSpec` (its columns, filters and search fields); `list_page` reads the request
and returns what the templates `lists/controls.html`, `lists/header.html` and `lists/pager.html` draw. A page costs a
count, the page's rows, one query per filter with choices from the database and one for the saved views, whatever
the number of rows.
"""
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from .search import search

PAGE_SIZES = (25, 50, 100, 200)
SEARCH_MAX = 200
RESERVED = ("q", "sort", "page", "per_page")


@dataclass(frozen=True)
class Column:
    """A column of the list and of its exports. `value(obj)` gives the exported cell; `kind` its type in a
    spreadsheet (text, money, number, date, datetime); `sort` the fields it sorts by (none: not sortable)."""

    key: str
    label: Any
    value: Callable[[Any], Any]
    kind: str = "text"
    sort: tuple = ()


@dataclass(frozen=True)
class Filter:
    """A filter of the list: `choices()` gives (value, label) pairs; `apply(queryset, value)` narrows it. A value
    not among the choices is ignored, so a hand-made URL cannot reach anything the filter does not offer."""

    name: str
    label: Any
    choices: Callable[[], list]
    apply: Callable[[Any, str], Any]


@dataclass(frozen=True)
class ListSpec:
    name: str
    columns: tuple
    filters: tuple = ()
    search_fields: tuple = ()
    search_label: Any = _("Search")
    default_sort: str = ""
    tie_break: tuple = ("pk",)
    default_page_size: int = 50

    def column(self, key):
        return next((c for c in self.columns if c.key == key), None)


@dataclass
class FilterState:
    filter: Filter
    value: str
    choices: list


@dataclass
class ListState:
    """What the query string asked for, each part checked against the spec."""

    spec: ListSpec
    values: dict = field(default_factory=dict)  # filter name -> chosen value
    q: str = ""
    sort: str = ""  # a column key, "-" in front for descending
    per_page: int = 50
    page: str = "1"

    def params(self, **changes):
        """The state as query-string pairs (defaults left out), with `changes` applied (None removes a key)."""
        pairs = {name: value for name, value in self.values.items() if value}
        pairs.update({"q": self.q, "sort": self.sort if self.sort != self.spec.default_sort else ""})
        if self.per_page != self.spec.default_page_size:
            pairs["per_page"] = str(self.per_page)
        pairs.update(changes)
        return {key: value for key, value in pairs.items() if value not in (None, "")}

    def query(self, **changes):
        return urlencode(self.params(**changes))

    @property
    def filtered(self):
        return bool(self.q or any(self.values.values()))


def read_state(spec: ListSpec, data: QueryDict, choices: dict) -> ListState:
    """The list's state from `data` (a request's GET); `choices` maps each filter to its allowed values."""
    state = ListState(spec=spec, per_page=spec.default_page_size)
    for f in spec.filters:
        value = data.get(f.name, "").strip()
        state.values[f.name] = value if value in choices[f.name] else ""
    state.q = " ".join(data.get("q", "").split())[:SEARCH_MAX]
    sort = data.get("sort", "")
    column = spec.column(sort.removeprefix("-"))
    state.sort = sort if column is not None and column.sort else spec.default_sort
    try:
        per_page = int(data.get("per_page", ""))
    except ValueError:
        per_page = spec.default_page_size
    state.per_page = per_page if per_page in PAGE_SIZES else spec.default_page_size
    state.page = data.get("page", "1")
    return state


def apply_state(state: ListState, queryset):
    """The rows the state matches, in its order."""
    spec = state.spec
    for f in spec.filters:
        if state.values.get(f.name):
            queryset = f.apply(queryset, state.values[f.name])
    queryset = search(queryset, spec.search_fields, state.q)
    order = []
    if state.sort:
        column = spec.column(state.sort.removeprefix("-"))
        prefix = "-" if state.sort.startswith("-") else ""
        order = [f"{prefix}{name}" for name in column.sort]
    return queryset.order_by(*order, *spec.tie_break)


@dataclass
class HeaderCell:
    column: Column
    sortable: bool
    direction: str  # "ascending", "descending" or "" (aria-sort)
    query: str  # the list sorted by this column (reversed when it already is)


@dataclass
class ListPage:
    state: ListState
    page: Any
    filters: list
    headers: list
    saved_views: list
    export_name: str = ""

    @property
    def count(self):
        return self.page.paginator.count

    @property
    def rows(self):
        return self.page.object_list

    @property
    def page_sizes(self):
        return PAGE_SIZES

    @property
    def query(self):
        """The list's state without the page: for the pager, the exports and saving the view."""
        return self.state.query(page=None)

    @property
    def page_query(self):
        """The list's state with the page shown: for a form on the page that comes back to it."""
        return self.state.query(page=str(self.page.number) if self.page.number > 1 else None)


def _choices(spec):
    return {f.name: [(str(value), label) for value, label in f.choices()] for f in spec.filters}


def state_for(spec: ListSpec, data: QueryDict):
    """The checked state and the filters' choices (one query per filter with database choices)."""
    choices = _choices(spec)
    return read_state(spec, data, {name: {v for v, _label in pairs} for name, pairs in choices.items()}), choices


def list_page(spec: ListSpec, request, queryset, params: QueryDict | None = None) -> ListPage:
    """The page of `queryset` that the query string (or `params`, the state a refused POST came from) asks for."""
    from .models import SavedView

    state, choices = state_for(spec, request.GET if params is None else params)
    rows = apply_state(state, queryset)
    page = Paginator(rows, state.per_page).get_page(state.page)
    headers = []
    for column in spec.columns:
        current = state.sort.removeprefix("-") == column.key
        descending = state.sort.startswith("-")
        direction = ("descending" if descending else "ascending") if current else ""
        headers.append(HeaderCell(
            column=column, sortable=bool(column.sort), direction=direction,
            query=state.query(sort=("" if descending else "-") + column.key if current else column.key, page=None),
        ))
    filters = [FilterState(f, state.values[f.name], choices[f.name]) for f in spec.filters]
    saved = list(SavedView.objects.filter(owner=request.user, list_name=spec.name).only("name", "query"))
    return ListPage(state=state, page=page, filters=filters, headers=headers, saved_views=saved)
