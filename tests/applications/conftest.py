import pytest

from .helpers import complete_draft, rules_call


@pytest.fixture
def open_call(programme):
    return rules_call(programme)


@pytest.fixture
def draft(cso_user, open_call, organisation):
    return complete_draft(actor=cso_user, call=open_call, organisation=organisation)
