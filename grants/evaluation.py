"""The grid a call's proposals are scored against, as the public call page shows it."""
from django.db.models import F, Q

from .grids import PRAG_FULL_APPLICATION, GridData, grid_data_of
from .models import EvaluationGrid, GridStage


def grid_for(call) -> GridData:
    """The call's full-application grid; else the PRAG full-application template (the database's copy if it has one)."""
    candidates = EvaluationGrid.objects.filter(
        Q(call=call, stage=GridStage.FULL_APPLICATION) | Q(call=None, name=PRAG_FULL_APPLICATION.name)
    )
    return grid_data_of(candidates, F("call_id").asc(nulls_last=True)) or PRAG_FULL_APPLICATION
