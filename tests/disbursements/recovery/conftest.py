from datetime import date

import pytest

from tests.grant_helpers import signed_grant


@pytest.fixture
def grant(call, organisation, cso_user):
    """The 36-month EUR 300,000 grant the recovery tests compute by hand (start 1 January 2025)."""
    return signed_grant(call=call, amount="300000.00", start=date(2025, 1, 1), end=date(2027, 12, 31),
                        signed_on=date(2025, 1, 1), organisation=organisation)
