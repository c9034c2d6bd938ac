"""A lower budget-transfer threshold set on the programme rules page applies to the programme's reports from then
on: an overspend accepted with an explanation under 25 % needs an amendment under 20 %."""
import pytest

from grants.programme_rules import transfer_threshold_set
from reports import budget_lines as bl
from reports import selectors, services

from .test_budget_lines import _first_period_approved, _save, lined_grant  # noqa: F401 (lined_grant: a fixture)


def test_lowering_the_threshold_turns_a_note_into_an_amendment(lined_grant, cso_user, officer):  # noqa: F811
    grant, lines = lined_grant
    _first_period_approved(cso_user, officer, grant, lines)
    report = services.report_open(actor=cso_user, grant=grant, period_number=2)
    # Human resources: 12,500 spent of 10,000, 25 % over.
    version = _save(cso_user, report, [(lines["Staff"], "3000.00"), (lines["Coordinator"], "1500.00")],
                    transfer_note="Staff costs rose; travel was cheaper.")

    services.report_submit(actor=cso_user, report=report)  # accepted: 25 % over, with the explanation

    def status():
        heading = selectors.budget_table(selectors.report_for(officer, report.pk), version).headings[0]
        return heading.status, heading.variance_percent

    assert status() == (bl.NOTE, 25)
    transfer_threshold_set(actor=officer, programme=grant.call.programme, percent="20")
    assert status() == (bl.AMENDMENT, 25)
    # Sent back for another reason, the same overspend can no longer be submitted without an amendment.
    services.report_request_changes(actor=officer, report=report, comment="Add the training dates.")
    with pytest.raises(services.ReportIncomplete) as refused:
        services.report_submit(actor=cso_user, report=report)
    assert list(refused.value.problems) == ["transfer-1"]
    assert "more than the 20.00 %" in refused.value.problems["transfer-1"]
