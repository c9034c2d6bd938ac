import io
import json
import re

import pytest
from django.core.management import CommandError, call_command

from accounts import roles as R
from accounts.access import roles_of
from accounts.models import Organisation, User
from audit.models import AuditEvent
from disbursements.models import Payment
from disbursements.recovery.models import RecoverySettlement
from grants.models import Call, Country, Grant, LedgerEntry, Objective, Programme


def _envelope_json():
    out = io.StringIO()
    call_command("envelope", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_seed_demo_builds_the_glo_act_programme(demo):
    data = _envelope_json()
    assert data["envelope"] == "10000000.00"
    assert data["currency"] == "EUR"
    # C00 900,000 (grants in implementation), C01 2,000,000 (open), C02 600,000 (closed, under review)
    assert data["allocated"] == "3500000.00"
    assert data["available"] == "6500000.00"
    grants = Grant.objects.all()
    assert grants.count() == 3 and {g.status for g in grants} == {"implementation", "closing"}
    assert data["committed"] == f"{sum(g.amount for g in grants):.2f}"
    # Disbursed net: the payments less the refund received on the Bishkek grant's recovery order.
    refunded = sum(s.amount for s in RecoverySettlement.objects.all())
    assert refunded and data["disbursed"] == f"{sum(p.amount for p in Payment.objects.all()) - refunded:.2f}"
    assert [c["reference"] for c in data["calls"]] == ["C00", "C01", "C02"]
    assert Country.objects.count() == 13
    assert set(Country.objects.values_list("code", flat=True)) >= {"BY", "KG", "LA", "ZA", "UA"}
    assert Objective.objects.count() == 6
    call = Call.objects.get(reference="C01")
    assert call.status == "published" and call.countries.count() == 13
    assert Organisation.objects.count() == 10


def test_demo_accounts_have_their_roles(demo):
    expected = {
        "admin@demo.test": R.ADMINISTRATOR, "officer@demo.test": R.PROGRAMME_OFFICER,
        "finance@demo.test": R.FINANCE_OFFICER, "donor@demo.test": R.DONOR_OBSERVER,
        "reviewer1@demo.test": R.REVIEWER, "reviewer3@demo.test": R.REVIEWER, "cso1@demo.test": R.APPLICANT,
        "cso2@demo.test": R.APPLICANT,
    }
    for email, role in expected.items():
        assert role in roles_of(User.objects.get(email=email)), email
    assert User.objects.get(email="cso1@demo.test").organisations.get().legal_name == "Safe Journeys Nepal"


def test_seed_demo_twice_changes_nothing(demo):
    counts = lambda: [m.objects.count() for m in (User, Organisation, Programme, Call, LedgerEntry, AuditEvent)]  # noqa: E731
    before = counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == before


def test_envelope_command_without_data_says_what_to_do(db):
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("envelope", "--json", stdout=io.StringIO())


def test_envelope_command_text_output(demo):
    out = io.StringIO()
    call_command("envelope", stdout=out)
    assert "10000000.00" in out.getvalue() and "C01" in out.getvalue()


def test_role_groups_exist_from_the_migration(db):
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= set(R.ALL_ROLES)


def test_seed_lists_every_demo_account_with_its_role_and_organisation(demo):
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    listed = re.findall(r"^  (\S+@demo\.test)", out.getvalue(), flags=re.M)
    assert set(listed) == set(User.objects.filter(email__endswith="@demo.test").values_list("email", flat=True))
    assert len(listed) == User.objects.filter(email__endswith="@demo.test").count() == 17
    assert listed[:2] == ["admin@demo.test", "officer@demo.test"] and listed[-1] == "cso10@demo.test"
    assert re.search(r"cso8@demo\.test\s+applicant\s+Bishkek Safe Migration Centre", out.getvalue())


def test_demo_csos_work_in_their_own_languages(demo):
    languages = dict(User.objects.filter(email__endswith="@demo.test").values_list("email", "language"))
    assert {email: languages[email] for email in ("cso3@demo.test", "cso6@demo.test", "cso7@demo.test", "cso10@demo.test")} == {
        "cso3@demo.test": "pt", "cso6@demo.test": "ar", "cso7@demo.test": "fr", "cso10@demo.test": "fr"}
    assert languages["officer@demo.test"] == languages["cso8@demo.test"] == "en"
