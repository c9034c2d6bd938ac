"""Spot checks and expenditure verification in the demo: GLO.ACT adopts the verification rule (PRAG, a grant above
EUR 100,000 receives its balance only after a closed expenditure verification), and

- Lahore Women's Shelter Network (cso9), whose balance is waiting for finance, has its expenditure verification
  closed by an external firm without findings, so the balance stays payable;
- Réseau Nigérien pour la Protection de l'Enfance (cso10), a running grant with its pre-financing paid, has a spot
  check in progress with one finding (a missing invoice, EUR 620 ineligible); cso10 has answered it with a
  document, and the answer waits for the officer's decision.

Idempotent: nothing is done once the programme has its verification rule."""
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from disbursements.verification.models import CheckKind, VerificationRule
from disbursements.verification.services import (
    check_close, check_plan, check_start, finding_record, finding_respond, verification_rule_set,
)
from grants.models import Grant, Programme
from grants.periods import grant_periods

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _first_period(grant):
    period = grant_periods(grant)[0]
    return period.start, min(period.end, timezone.localdate() - timedelta(days=1)), period.number


def seed_verification(*, programme_code="GLOACT", say=lambda text: None):
    programme = Programme.objects.filter(code=programme_code).first()
    if programme is None or VerificationRule.objects.filter(programme=programme).exists():
        return
    officer = User.objects.get(email="officer@demo.test")
    grants = {g.organisation.acronym: g for g in Grant.objects.filter(call__programme=programme).select_related("organisation")}

    if "LWSN" in grants:
        grant = grants["LWSN"]
        final = grant_periods(grant)[-1]
        check = check_plan(actor=officer, grant=grant, kind=CheckKind.VERIFICATION, period_start=grant.start_date,
                           period_end=final.end, period_number=final.number,
                           verifier="Demo Audit Partners", sample="All expenditure of the action",
                           amount_covered=grant.payments.first().amount)
        check_start(actor=officer, check=check)
        check_close(actor=officer, check=check, conclusion="Expenditure verified without findings (ISRS 4400).")

    if "RNPE" in grants:
        grant = grants["RNPE"]
        start, end, number = _first_period(grant)
        check = check_plan(actor=officer, grant=grant, kind=CheckKind.SPOT_CHECK, period_start=start, period_end=end,
                           period_number=number, staff=officer, sample="14 vouchers of 96: travel, shelter supplies",
                           amount_covered="21500.00")
        check_start(actor=officer, check=check)
        finding = finding_record(actor=officer, check=check, category="missing_support", priority="medium",
                                 description="The invoice for the shelter's bedding (voucher 41) is missing.",
                                 ineligible_amount="620.00")
        finding_respond(actor=User.objects.get(email="cso10@demo.test"), finding=finding,
                        text="The supplier's invoice for voucher 41, found in the Zinder office's files.",
                        document=SimpleUploadedFile("invoice-voucher-41.pdf", PDF, content_type="application/pdf"))

    verification_rule_set(actor=officer, programme=programme)
    say("GLO.ACT applies the verification rule: one expenditure verification closed, a spot check with a finding "
        "answered by the grantee")
