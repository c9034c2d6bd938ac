"""A newly registered organisation is screened against the sanctions lists at once."""
from accounts.diligence.services import sanctions_import
from accounts.models import FlagStatus
from accounts.sanctions import SanctionsRow
from accounts.services import cso_register


def test_registration_screens_the_new_organisation(db):
    sanctions_import(actor=None, rows=[SanctionsRow(name="Crimson Passage Foundation", list_name="Test list", reference="T-1", country="")])
    user, organisation = cso_register(
        email="lead@crimson.example", password="a-long-unusual-passphrase", full_name="Lead Person",
        legal_name="Crimson Passage", country="NP", registration_number="CP-1", org_type="22",
        base_url="http://testserver",
    )
    flag = organisation.flags.get()
    assert flag.level == "red" and flag.status == FlagStatus.OPEN and flag.sanctions_entry.name == "Crimson Passage Foundation"
    organisation.refresh_from_db()
    assert organisation.sanctions_screened_at is not None
