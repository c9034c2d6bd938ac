"""The demo with spot checks: GLO.ACT adopts the verification rule (EUR 100,000); the Lahore grant, whose balance
waits for finance, has its expenditure verification closed, so the balance stays payable; the Niger grant has a
spot check in progress whose finding cso10 answered with a document, waiting for the officer. Seeding again adds
nothing."""
import io

import pytest
from django.core.management import call_command

from disbursements.schedule import schedule_status
from disbursements.verification.models import CheckKind, CheckStatus, ExpenditureCheck, FindingOutcome, FindingResponse
from disbursements.verification.services import balance_blocked_reason, threshold_for
from grants.models import Grant, Programme

pytestmark = pytest.mark.django_db


def test_demo_adopts_the_rule_keeps_the_balance_payable_and_shows_an_answer_waiting(demo):
    assert threshold_for(Programme.objects.get(code="GLOACT")) == 100000
    lahore = Grant.objects.get(organisation__acronym="LWSN")
    assert lahore.amount > 100000 and balance_blocked_reason(lahore) == ""
    assert any(s.tranche.kind == "balance" and s.payable > 0 for s in schedule_status(lahore))
    assert ExpenditureCheck.objects.get(grant=lahore).kind == CheckKind.VERIFICATION

    check = ExpenditureCheck.objects.get(grant__organisation__acronym="RNPE")
    assert check.kind == CheckKind.SPOT_CHECK and check.status == CheckStatus.IN_PROGRESS
    assert check.grant.payments.exists()
    finding = check.findings.get()
    assert finding.outcome == FindingOutcome.OPEN and finding.ineligible_amount == 620
    answer = finding.responses.get()
    assert answer.accepted is None and answer.document and answer.sent_by.email == "cso10@demo.test"

    call_command("seed_demo", stdout=io.StringIO())
    assert ExpenditureCheck.objects.count() == 2 and FindingResponse.objects.count() == 1
