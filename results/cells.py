"""Disaggregation cells: one category per dimension of an indicator, named by a canonical key.

The key lists the indicator's dimensions in their programme order (position, then code), each as
"dimension=category", joined by "|": "sex=female|age=12-17". The same cell of two grants has the same key, so cells
add up across grants by key. An indicator without dimensions has no cells, only its total.
"""
from itertools import product


def dimensions_of(indicator) -> list:
    """The indicator's dimensions in canonical order (prefetch `dimensions__categories` to read them for free)."""
    return sorted(indicator.dimensions.all(), key=lambda d: (d.position, d.code))


def cell_key(choice) -> str:
    """The key of a cell from (dimension code, category code) pairs already in canonical order."""
    return "|".join(f"{dimension}={category}" for dimension, category in choice)


def parse_cell_key(key: str) -> dict[str, str]:
    """{"sex": "female", "age": "12-17"} from "sex=female|age=12-17"."""
    return dict(part.split("=", 1) for part in key.split("|")) if key else {}


def indicator_cells(indicator) -> list[str]:
    """Every cell key of the indicator, in the order a table shows them (the first dimension varies slowest)."""
    dimensions = dimensions_of(indicator)
    if not dimensions:
        return []
    axes = [[(d.code, c.code) for c in sorted(d.categories.all(), key=lambda c: (c.position, c.code))] for d in dimensions]
    return [cell_key(choice) for choice in product(*axes)]
