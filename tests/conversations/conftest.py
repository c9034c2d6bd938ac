import pytest

from accounts import roles as R
from accounts.models import MemberRole
from accounts.services import membership_set
from applications import services as application_services

from ..applications.helpers import complete_draft, rules_call
from ..conftest import make_user
from ..factories import GrantFactory


@pytest.fixture
def submitted(cso_user, programme, organisation):
    """The organisation's application, submitted."""
    application = complete_draft(actor=cso_user, call=rules_call(programme), organisation=organisation)
    application_services.application_submit(actor=cso_user, application=application)
    application.refresh_from_db()
    return application


@pytest.fixture
def grant(organisation, call):
    return GrantFactory(organisation=organisation, call=call)


@pytest.fixture
def viewer(organisation):
    """A member who may read the organisation's things but not write."""
    user = make_user(R.APPLICANT)
    membership_set(actor=None, organisation=organisation, user=user, role=MemberRole.VIEWER)
    return user
