"""The GLO.ACT demo: programme, envelope, countries, objectives, a published call, demo accounts and two CSOs.

Idempotent: each object is looked up by its natural key and created only when missing, so a second run
changes nothing (and writes no audit event). Dates are set relative to the first run so the call is open.
"""
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts import roles as R
from accounts.diligence.services import sanctions_import, sanctions_screen_all
from accounts.models import Organisation, OrganisationType, SanctionsEntry, User
from accounts.sanctions import SanctionsRow
from accounts.services import organisation_create, role_grant, user_create
from applications.models import Application
from applications.services import application_save_draft, application_start, application_submit
from demo.call_texts import seed_call_texts
from demo.clarifications_demo import seed_clarifications
from demo.conversations_demo import seed_conversations
from demo.finance_demo import seed_finance
from demo.grants_demo import seed_grants_call
from demo.notifications_demo import seed_notifications
from demo.results_demo import seed_results
from demo.risk_demo import seed_risk
from demo.verification_demo import seed_verification
from demo.review_call import seed_review_call
from grants import ledger
from grants.grids import grid_copy_prag_full
from grants.models import Call, CallStatus, Country, Objective, Programme
from grants.selectors import envelope_position
from grants.services import call_create, call_set_status, programme_create

PROGRAMME_CODE = "GLOACT"
ENVELOPE = Decimal("10000000.00")
CALL_ALLOCATION = Decimal("2000000.00")

COUNTRIES = [
    ("BY", "Belarus"), ("BR", "Brazil"), ("CO", "Colombia"), ("EG", "Egypt"), ("KG", "Kyrgyz Republic"),
    ("LA", "Lao PDR"), ("ML", "Mali"), ("MA", "Morocco"), ("NP", "Nepal"), ("NE", "Niger"), ("PK", "Pakistan"),
    ("ZA", "South Africa"), ("UA", "Ukraine"),
]

# The six objectives of the action, from the programme documents.
OBJECTIVES = [
    (1, "Strategy and policy development", "Work with countries to develop strategies and policies to address trafficking in persons and the smuggling of migrants tailored to their national context."),
    (2, "Legislative assistance", "Work with governmental authorities to ensure that domestic legislative frameworks meet international standards for criminalizing trafficking in persons and the smuggling of migrants."),
    (3, "Capacity building", "Work with governmental authorities to enhance the capacity and knowledge of criminal justice practitioners to combat trafficking in persons, smuggling of migrants and assisting and protecting victims as well as vulnerable migrants."),
    (4, "Regional and trans-regional cooperation", "Promote cooperation and information exchange with law enforcement officials on the identification, investigation and prosecution of offences related to trafficking in persons and smuggling of migrants."),
    (5, "Protection and assistance to victims of trafficking and smuggled migrants", "Work with government authorities and civil society organizations to develop assistance and support programmes for victims of trafficking and vulnerable migrants, such as smuggled migrants."),
    (6, "Assistance and support to children among victims of trafficking and smuggled migrants", "Work with victim support services and relevant Government authorities to develop frameworks for protection and assistance of children."),
]

ACCOUNTS = [
    ("admin@demo.test", "Ada Admin", [R.ADMINISTRATOR]),
    ("officer@demo.test", "Omar Officer", [R.PROGRAMME_OFFICER]),
    ("finance@demo.test", "Fatima Finance", [R.FINANCE_OFFICER]),
    ("donor@demo.test", "Dirk Donor (EU Delegation)", [R.DONOR_OBSERVER]),
    ("reviewer1@demo.test", "Rosa Reviewer", [R.REVIEWER]),
    ("reviewer2@demo.test", "Rahul Reviewer", [R.REVIEWER]),
    ("reviewer3@demo.test", "Rania Reviewer", [R.REVIEWER]),
    ("cso1@demo.test", "Sita Sharma", [R.APPLICANT]),
    ("cso2@demo.test", "Youssef Alaoui", [R.APPLICANT]),
]

# Fictional organisations. Safe Journeys Nepal's number is on the Social Welfare Council's list (org-id.guide
# NP-SWC), so the open-data exports identify it as NP-SWC-27481.
CSOS = [
    ("cso1@demo.test", "Safe Journeys Nepal", "SJN", "NP", "27481", OrganisationType.PARTNER_COUNTRY_NGO),
    ("cso2@demo.test", "Atlas Migrant Aid", "AMA", "MA", "RC-118204", OrganisationType.NATIONAL_NGO),
]


DEMO_SANCTIONS = [
    ("DEMO-001", "Northern Route Logistics Ltd"),
    ("DEMO-002", "Black Tide Shipping Company"),
    ("DEMO-003", "Coral Gate Recruitment Agency"),
]


def seed(*, password, stdout=None):
    def say(msg):
        if stdout is not None:
            stdout.write(msg)

    with transaction.atomic():
        users = {}
        for email, name, roles in ACCOUNTS:
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                user = user_create(actor=None, email=email, password=password, full_name=name)
                # Demo accounts stand for people who have confirmed their address already.
                user.email_verified_at = timezone.now()
                user.save(update_fields=["email_verified_at"])
                say(f"created account {email}")
            for role in roles:
                role_grant(actor=None, user=user, role=role)
            users[email] = user
        admin = users["admin@demo.test"]
        if not admin.is_staff or not admin.is_superuser:
            admin.is_staff = admin.is_superuser = True
            admin.save(update_fields=["is_staff", "is_superuser"])

        for email, legal_name, acronym, country, reg_no, org_type in CSOS:
            if not Organisation.objects.filter(country=country, registration_number=reg_no).exists():
                organisation_create(
                    actor=admin, legal_name=legal_name, acronym=acronym, country=country,
                    registration_number=reg_no, org_type=org_type, admin=users[email],
                    org_id_scheme="NP-SWC" if country == "NP" else "",
                )
                say(f"created organisation {legal_name}")

        if not SanctionsEntry.objects.exists():
            # A small fictional list, so screening and verification can be tried in the demo.
            sanctions_import(actor=admin, rows=[SanctionsRow(list_name="Demo list (fictional)", name=n, reference=r) for r, n in DEMO_SANCTIONS])
            sanctions_screen_all(actor=admin)
            say("imported a fictional sanctions list and screened the organisations")

        for code, name in COUNTRIES:
            Country.objects.get_or_create(code=code, defaults={"name": name})

        programme = Programme.objects.filter(code=PROGRAMME_CODE).first()
        if programme is None:
            # Started last year, so the demo's first call (C00) has grants in implementation.
            start = date(timezone.now().year - 1, 1, 1)
            programme = programme_create(
                actor=admin,
                code=PROGRAMME_CODE,
                name="Global Action to Prevent and Address Trafficking in Persons and the Smuggling of Migrants",
                short_name="GLO.ACT",
                donor="European Union",
                agency="United Nations Office on Drugs and Crime (UNODC)",
                # IATI's identifiers of UNODC (OECD DAC channel 41128) and of the European Commission; the 360Giving
                # prefix is the demo's own (360Giving issues real ones to publishers).
                agency_iati_ref="XM-DAC-41128",
                donor_iati_ref="XI-IATI-EC_INTPA",
                giving_prefix="360G-gloact-demo",
                description=(
                    "A joint initiative of the European Union and UNODC, implemented with IOM and UNICEF in 13 "
                    "countries, to prevent and address trafficking in persons and the smuggling of migrants."
                ),
                start_date=start,
                end_date=date(start.year + 4, 6, 30),
                envelope_amount=ENVELOPE,
            )
            say("created programme GLO.ACT with an envelope of EUR 10,000,000.00")
        for number, title, description in OBJECTIVES:
            Objective.objects.get_or_create(
                programme=programme, number=number, defaults={"title": title, "description": description}
            )

        call = Call.objects.filter(programme=programme, reference="C01").first()
        if call is None:
            today = timezone.now().date()
            call = call_create(
                actor=admin,
                programme=programme,
                reference="C01",
                title="CSO direct assistance to victims of trafficking and smuggled migrants",
                description=(
                    "Grants to civil society organisations that identify, refer, shelter and assist victims of "
                    "trafficking in persons and smuggled migrants, children especially, in the 13 GLO.ACT countries."
                ),
                opens_at=datetime.combine(today - timedelta(days=7), time(0, 0), tzinfo=dt_timezone.utc),
                closes_at=datetime.combine(today + timedelta(days=60), time(12, 0), tzinfo=dt_timezone.utc),
                min_grant=Decimal("50000.00"),
                max_grant=Decimal("300000.00"),
                min_duration_months=12,
                max_duration_months=24,
                min_cofinancing_percent=Decimal("5.00"),
                eligibility=(
                    "Applicants must be non-profit civil society organisations legally registered in one of the 13 "
                    "GLO.ACT countries for at least two years, directly responsible for preparing and managing the "
                    "action. Actions must take place in one or more of the programme countries and last 12 to 24 "
                    "months. Eligible costs are those actually incurred by the applicant during implementation, "
                    "identifiable, verifiable and necessary for the action; indirect costs may not exceed 7% of "
                    "direct eligible costs and contingency 5%. The applicant must co-finance at least 5% of the "
                    "total eligible costs from its own or third-party resources."
                ),
                objectives=Objective.objects.filter(programme=programme, number__in=[5, 6]),
                countries=Country.objects.filter(code__in=[c for c, _ in COUNTRIES]),
            )
            ledger.allocation_add(actor=admin, call=call, amount=CALL_ALLOCATION, memo="Demo allocation")
            grid_copy_prag_full(actor=admin, call=call)
            call = call_set_status(actor=admin, call=call, status=CallStatus.PUBLISHED)
            say("created and published call C01 with an allocation of EUR 2,000,000.00")

        seed_call_texts(call=call, actor=admin, say=say)

        if not Application.objects.filter(call=call, organisation__registration_number="RC-118204").exists():
            _submit_demo_application(call, users["cso2@demo.test"])
            say("submitted a demo application from Atlas Migrant Aid")

        seed_clarifications(call=call, officer=users["officer@demo.test"], say=say)
        seed_review_call(programme=programme, admin=admin, officer=users["officer@demo.test"], password=password, say=say)
        seed_grants_call(
            programme=programme, admin=admin, officer=users["officer@demo.test"], finance=users["finance@demo.test"],
            password=password, say=say,
        )
        seed_results(programme=programme, officer=users["officer@demo.test"], say=say)
        seed_conversations(officer=users["officer@demo.test"], say=say)
        seed_notifications(call=call, say=say)
        seed_risk(programme_code=PROGRAMME_CODE, say=say)
        seed_verification(programme_code=PROGRAMME_CODE, say=say)
        seed_finance(programme_code=PROGRAMME_CODE, say=say)

    return envelope_position(programme)


def _submit_demo_application(call, user):
    """Atlas Migrant Aid's submitted application, so officers have something to screen in the demo."""
    organisation = Organisation.objects.get(registration_number="RC-118204")
    start = timezone.now().date() + timedelta(days=90)
    application = application_start(actor=user, call=call, organisation=organisation)
    application_save_draft(
        actor=user,
        application=application,
        fields={
            "title": "Safe passage: assistance to smuggled migrants and child victims in Morocco",
            "summary": (
                "Mobile teams identify and refer victims of trafficking and smuggled migrants in Oujda, Tangier and "
                "Rabat; a shelter offers children medical, psychosocial and legal assistance; case workers follow "
                "each child until a durable solution is found."
            ),
            "objective": call.objectives.get(number=6),
            "start_date": start,
            "end_date": start.replace(year=start.year + 2) - timedelta(days=1),
            "women": 220, "men": 180, "girls": 140, "boys": 160, "victims_of_trafficking": 210, "smuggled_migrants": 390,
            "indirect_costs": Decimal("11354.00"), "contingency": Decimal("8110.00"),
            "own_contribution": Decimal("9200.00"), "third_party_contribution": Decimal("3000.00"),
        },
        countries=Country.objects.filter(code="MA"),
        lines=[
            {"heading": "1", "description": "Case workers (3)", "unit": "month", "quantity": Decimal("72"), "unit_cost": Decimal("1100.00")},
            {"heading": "1", "description": "Psychologist", "unit": "month", "quantity": Decimal("24"), "unit_cost": Decimal("1250.00")},
            {"heading": "2", "description": "Mobile team field trips", "unit": "trip", "quantity": Decimal("60"), "unit_cost": Decimal("150.00")},
            {"heading": "5", "description": "Shelter rent and running costs", "unit": "month", "quantity": Decimal("24"), "unit_cost": Decimal("1500.00")},
            {"heading": "5", "description": "Legal aid (lawyer fees)", "unit": "case", "quantity": Decimal("40"), "unit_cost": Decimal("200.00")},
        ],
        rows=[
            {"level": "outcome", "statement": "Child victims and smuggled migrants recover and reach a durable solution", "indicator": "Children with a durable solution", "baseline": Decimal("0"), "target": Decimal("120")},
            {"level": "output", "statement": "Victims identified and referred by mobile teams", "indicator": "People referred", "baseline": Decimal("0"), "target": Decimal("600")},
        ],
    )
    application_submit(actor=user, application=application)
