"""The budget-transfer threshold's service: who may change it, the bounds and decimals with a message on the field,
the audit event with the old and new value, and no event for the same value."""
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from core.errors import DomainError
from grants.programme_rules import transfer_threshold_set


def _events():
    return list(AuditEvent.objects.filter(verb="programme.transfer_threshold_set").order_by("id").values_list("actor_email", "data"))


@pytest.mark.parametrize("typed, code", [
    ("100.01", "percent_out_of_range"), ("-0.01", "percent_out_of_range"), ("1E+999", "percent_out_of_range"),
    ("12.345", "too_many_decimals"), ("twelve", "invalid_percent"), ("", "invalid_percent"), (None, "invalid_percent"),
    (12.5, "invalid_percent"),  # a float: never
])
def test_bad_percent_is_refused_on_the_field(officer, programme, typed, code):
    with pytest.raises(DomainError) as refused:
        transfer_threshold_set(actor=officer, programme=programme, percent=typed)
    assert (refused.value.code, refused.value.field) == (code, "transfer_threshold_percent")
    programme.refresh_from_db()
    assert programme.transfer_threshold_percent == Decimal("25.00") and not _events()


@pytest.mark.parametrize("typed, stored", [("0", "0.00"), ("100", "100.00"), ("12.5", "12.50"), (Decimal("7.25"), "7.25")])
def test_bounds_are_inclusive_and_stored_with_two_decimals(officer, programme, typed, stored):
    transfer_threshold_set(actor=officer, programme=programme, percent=typed)
    programme.refresh_from_db()
    assert str(programme.transfer_threshold_percent) == stored


def test_change_is_audited_with_old_and_new_value_and_same_value_writes_nothing(officer, administrator, programme):
    transfer_threshold_set(actor=officer, programme=programme, percent="15")
    transfer_threshold_set(actor=administrator, programme=programme, percent="15.00")
    transfer_threshold_set(actor=administrator, programme=programme, percent="20")
    assert _events() == [(officer.email, {"from": "25.00", "to": "15.00"}), (administrator.email, {"from": "15.00", "to": "20.00"})]
    event = AuditEvent.objects.filter(verb="programme.transfer_threshold_set").first()
    assert event.target_id == str(programme.pk)


def test_only_officers_and_administrators_change_it(finance, donor, reviewer, cso_user, programme):
    for actor in (finance, donor, reviewer, cso_user):
        with pytest.raises(DomainError) as refused:
            transfer_threshold_set(actor=actor, programme=programme, percent="10")
        assert refused.value.code == "forbidden"
    programme.refresh_from_db()
    assert programme.transfer_threshold_percent == Decimal("25.00") and not _events()
