from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import MemberRole
from accounts.services import membership_set
from tests.applications.helpers import PDF_BYTES
from tests.conftest import make_user
from accounts import roles as R
from tests.grant_helpers import signed_grant


@pytest.fixture
def grant(call, organisation, cso_user):
    return signed_grant(call=call, organisation=organisation, amount="300000.00", start=date(2025, 1, 1),
                        end=date(2027, 12, 31), signed_on=date(2025, 1, 1))


@pytest.fixture
def viewer(organisation):
    user = make_user(R.APPLICANT, email_verified_at=timezone.now())
    membership_set(actor=None, organisation=organisation, user=user, role=MemberRole.VIEWER)
    return user


def statement(name="statement.pdf", data=PDF_BYTES):
    return SimpleUploadedFile(name, data, content_type="application/pdf")
