"""The demo's grants in implementation: call C00, held more than a year ago, reviewed and awarded; its three
agreements signed, pre-financing paid, one final report approved. Everything goes through the services, so the
ledger, the schedules and the audit trail read as they would in real use; only the calendar is simulated (the
call's dates are moved into the past, payments and signatures carry past dates).

- Bishkek Safe Migration Centre (cso8@demo.test): 24 months, started 13 months ago; the interim report of year 1
  is due soon and not yet written: submit it as cso8, approve it as the officer, pay tranche 2 as finance.
- Lahore Women's Shelter Network (cso9@demo.test): 12 months, ended three months ago; final report approved, the
  agreement closing, the balance waiting for finance.
- Réseau Nigérien pour la Protection de l'Enfance (cso10@demo.test): 24 months, started 11 months ago;
  pre-financing paid, nothing reported yet (an ageing advance on the dashboard). It reports in CFA francs (XOF):
  its bank credited the pre-financing at its buying rate, below the fixed parity of 655.957 the programme's
  InforEuro rate gives, so the dashboard shows an exchange loss (demo.finance_demo records the rates).
"""
from datetime import datetime, time, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from applications.awards import award_decide
from applications.models import Application, AwardDecision
from applications.review.services import assignments_auto, conflict_declare, panel_set_members
from applications.services import application_save_draft, application_start, application_submit, screening_record
from core.money import round_money
from demo.review_call import LENIENCY, _applicant, _budget, _verify, score_all
from disbursements.agreements import agreement_set_status, agreement_sign, agreement_update
from disbursements.models import TrancheKind
from disbursements.services import payment_record
from grants import ledger
from grants.grids import grid_copy_prag_full
from grants.models import AgreementStatus, Call, CallStatus, Country
from grants.periods import add_months, grant_periods
from grants.services import call_create, call_set_status
from reports.services import report_approve, report_open, report_save, report_submit

ALLOCATION = Decimal("900000.00")

# Grantees reporting in their local currency: (currency, the rate their bank credited the pre-financing at).
LOCAL_CURRENCY = {"cso10@demo.test": ("XOF", Decimal("652.35"))}

# (e-mail, organisation, acronym, country, registration, budget scale, months, started months ago)
GRANTEES = [
    ("cso8@demo.test", "Bishkek Safe Migration Centre", "BSMC", "KG", "KG-ORG-118532", Decimal("1.3"), 24, 13),
    ("cso9@demo.test", "Lahore Women's Shelter Network", "LWSN", "PK", "PK-SECP-0074521", Decimal("0.8"), 12, 15),
    ("cso10@demo.test", "Réseau Nigérien pour la Protection de l'Enfance", "RNPE", "NE", "NE-ONG-2231", Decimal("1.1"), 24, 11),
]


def seed_grants_call(*, programme, admin, officer, finance, password, say):
    if Call.objects.filter(programme=programme, reference="C00").exists():
        return
    now = timezone.now()
    today = timezone.localdate()
    call = call_create(
        actor=admin, programme=programme, reference="C00",
        title="First call: direct assistance to victims of trafficking and smuggled migrants",
        description="The programme's first call, awarded last year; its grants are in implementation.",
        opens_at=now - timedelta(days=520), closes_at=now + timedelta(hours=1),
        min_grant=Decimal("50000.00"), max_grant=Decimal("300000.00"), min_duration_months=12, max_duration_months=24,
        min_cofinancing_percent=Decimal("5.00"), objectives=programme.objectives.filter(number__in=[5, 6]),
        countries=Country.objects.all(),
    )
    call.reviewers_per_application = 2
    call.save(update_fields=["reviewers_per_application"])
    ledger.allocation_add(actor=admin, call=call, amount=ALLOCATION, memo="Demo allocation")
    grid_copy_prag_full(actor=admin, call=call)
    call = call_set_status(actor=admin, call=call, status=CallStatus.PUBLISHED)

    submitted_at = now - timedelta(days=500)
    applications = []
    for email, name, acronym, country, registration, scale, months, ago in GRANTEES:
        user, organisation = _applicant(email, name, acronym, country, registration, password, admin)
        _verify(organisation, user, officer)
        application = application_start(actor=user, call=call, organisation=organisation)
        lines, amounts = _budget(scale)
        start = (submitted_at + timedelta(days=60)).date()
        application_save_draft(
            actor=user, application=application,
            fields={
                "title": f"Assistance and protection for victims of trafficking and smuggled migrants ({acronym})",
                "summary": f"{name} identifies, shelters and assists victims of trafficking and smuggled migrants, children first.",
                "objective": call.objectives.get(number=6), "start_date": start,
                "end_date": add_months(start, months) - timedelta(days=1),
                "women": 60, "men": 40, "girls": 120, "boys": 90, "victims_of_trafficking": 150, "smuggled_migrants": 110, **amounts,
            },
            countries=Country.objects.filter(code=country), lines=lines,
            rows=[
                {"level": "outcome", "statement": "Victims recover and are reintegrated safely", "indicator": "People reintegrated", "baseline": Decimal("0"), "target": Decimal("180")},
                {"level": "output", "statement": "Victims identified and assisted", "indicator": "People assisted", "baseline": Decimal("0"), "target": Decimal("300")},
            ],
        )
        application, _new = application_submit(actor=user, application=application, now=submitted_at)
        screening_record(actor=officer, application=application, on_time=True, complete=True, applicant_eligible=True, action_eligible=True, costs_eligible=True)
        applications.append(application)
    Call.objects.filter(pk=call.pk).update(closes_at=now - timedelta(days=480))
    call = call_set_status(actor=admin, call=Call.objects.get(pk=call.pk), status=CallStatus.CLOSED)

    reviewers = list(User.objects.filter(email__in=LENIENCY).order_by("email"))
    panel_set_members(actor=officer, call=call, reviewers=reviewers)
    for reviewer in reviewers:
        for application in applications:
            conflict_declare(actor=reviewer, application=application, has_conflict=False)
    assignments_auto(actor=officer, call=call)
    score_all(call, {a.pk: Decimal("4.2") for a in applications})

    first_of_month = today.replace(day=1)
    for application, (email, *_rest, months, ago) in zip(applications, GRANTEES, strict=True):
        decision = award_decide(actor=officer, application=Application.objects.get(pk=application.pk), outcome="award",
                                justification="Ranked within the call's allocation by the evaluation committee.")
        grant = decision.grant
        start = add_months(first_of_month, -ago)
        agreement_update(actor=officer, grant=grant, data={
            "start_date": start, "end_date": add_months(start, months) - timedelta(days=1),
            "special_conditions": "Beneficiaries are counted, never named, in every report.",
            "reporting_currency": LOCAL_CURRENCY.get(email, ("EUR",))[0],
        }, lines=[
            {"heading": line.heading, "description": line.description, "unit": line.unit, "quantity": line.quantity, "unit_cost": line.unit_cost}
            for line in grant.budget_lines.all()
        ])
        grant.refresh_from_db()
        member = User.objects.get(email=email)
        agreement_sign(actor=officer, grant=grant, signed_on=start - timedelta(days=3), grantee_signatory=f"{member.get_full_name()}, director")
        # The decision belongs to the call's past, like its deadline above: two weeks before the signature.
        AwardDecision.objects.filter(pk=decision.pk).update(
            decided_at=datetime.combine(start - timedelta(days=17), time(10, 0), tzinfo=dt_timezone.utc)
        )
        grant.refresh_from_db()
        first = grant.tranches.get(number=1)
        local = {}
        if email in LOCAL_CURRENCY:
            currency, bank_rate = LOCAL_CURRENCY[email]
            local = {"local_amount": round_money(first.planned_amount * bank_rate), "local_currency": currency}
        payment_record(actor=finance, tranche=first, amount=first.planned_amount, value_date=start + timedelta(days=7),
                       bank_reference=f"DEMO-{grant.reference}-1", **local)
        if email == "cso9@demo.test":
            _final_report(grant, member, officer)
    say("created call C00 with three grants in implementation: agreements signed, pre-financing paid, a final report approved")


def _final_report(grant, member, officer):
    """Casa de Acolhida Esperança's final report, approved: its balance is what finance has to pay next."""
    final = grant_periods(grant)[-1]
    report = report_open(actor=member, grant=grant, period_number=final.number)
    version = report.versions.get()
    paid = sum(p.amount for p in grant.payments.all())
    spent = (paid + grant.tranches.get(kind=TrancheKind.BALANCE).planned_amount * Decimal("0.8")).quantize(Decimal("0.01"))
    report_save(
        actor=member, version=version,
        data={
            "summary": "All planned children and adults were assisted; 171 reintegrated with their families or in foster care.",
            "activities": "Shelter, case management, psychosocial support, legal aid and family tracing.",
            "challenges": "Delays in family tracing across the border; solved with the consular services.",
            "safeguarding_incidents": False, "lessons_learned": "Early contact with consulates shortens stays in the shelter.",
            "women": 58, "men": 37, "girls": 118, "boys": 93, "victims_of_trafficking": 149, "smuggled_migrants": 104,
        },
        indicators=[{"id": row.pk, "actual": actual, "comment": ""} for row, actual in zip(version.indicators.all(), (Decimal("171"), Decimal("306")), strict=True)],
        expenditure={"1": (spent * Decimal("0.6")).quantize(Decimal("0.01")), "5": spent - (spent * Decimal("0.6")).quantize(Decimal("0.01"))},
    )
    report_submit(actor=member, report=report)
    report_approve(actor=officer, report=report, comment="Thank you: complete and well documented.")
    agreement_set_status(actor=officer, grant=grant, status=AgreementStatus.CLOSING)

