"""The 360Giving CSV, from the download and from the command, writes text that starts like a formula as text and
keeps its amounts plain numbers."""
import csv
import io

import pytest
from django.core.management import call_command

from opendata.threesixty import grants_csv

from ..factories import OrganisationFactory
from ..grant_helpers import signed_grant

pytestmark = pytest.mark.django_db


def test_360giving_csv_neutralises_formulas(programme, tmp_path):
    organisation = OrganisationFactory(legal_name="=cmd|' /C calc'!A0")
    signed_grant(programme=programme, amount="123456.78", organisation=organisation, title="+Shelters")
    [row] = list(csv.DictReader(io.StringIO(grants_csv(programme))))
    assert row["Recipient Org:Name"] == "'=cmd|' /C calc'!A0" and row["Title"] == "'+Shelters"
    assert (row["Amount Awarded"], row["Amount Disbursed"]) == ("123456.78", "0.00")
    call_command("export_360giving", "--out", str(tmp_path / "grants.csv"), "--programme", programme.code, stdout=io.StringIO())
    with open(tmp_path / "grants.csv", encoding="utf-8", newline="") as sheet:
        assert list(csv.DictReader(sheet)) == [row]
