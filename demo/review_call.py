"""The demo's second call, C02, already closed: five applications screened, a panel of three reviewers, grids
scored, so the ranking, the award proposal and the committee report have something to show. One assignment of
reviewer1@demo.test is left undeclared and unscored, for a person (or the browser test) to do.

The call is created open, the applications are submitted three days "ago" (the submission service takes the
moment), then the deadline is set to yesterday: the demo simulates the call having closed.
"""
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts import roles as R
from accounts.diligence.services import document_review, document_upload, organisation_verify, screen_organisation
from accounts.models import DocumentKind, DocumentStatus, Organisation, OrganisationType, User
from accounts.services import organisation_create, role_grant, user_create
from applications.models import Assignment, AssignmentStatus
from applications.review.services import assignment_add, assignments_auto, conflict_declare, panel_set_members
from applications.scoring import review_open, review_save, review_submit
from applications.services import application_save_draft, application_start, application_submit, screening_record
from grants import ledger
from grants.grids import grid_copy_prag_full
from grants.models import Call, CallStatus, Country, Criterion
from grants.services import call_create, call_set_status

ALLOCATION = Decimal("600000.00")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# (e-mail, organisation, acronym, country, registration, quality 1-5, budget scale, verified)
APPLICANTS = [
    ("cso3@demo.test", "Casa de Acolhida Esperança", "CAE", "BR", "CNPJ-12.345.678/0001-90", 4.4, Decimal("1.2"), True),
    ("cso4@demo.test", "Fundación Caminos Seguros", "FCS", "CO", "NIT-900123456", 3.9, Decimal("0.9"), True),
    ("cso5@demo.test", "Kyiv Anti-Trafficking Centre", "KATC", "UA", "EDRPOU-40123456", 3.5, Decimal("1.4"), True),
    ("cso6@demo.test", "Nile Children's Rights Association", "NCRA", "EG", "MOSS-2231", 3.1, Decimal("0.7"), False),
    ("cso7@demo.test", "Sahel Solidarité Enfance", "SSE", "ML", "REC-ML-0457", 2.0, Decimal("1.0"), True),
]
# Each reviewer scores a little differently: normalisation removes this.
LENIENCY = {"reviewer1@demo.test": Decimal("0.4"), "reviewer2@demo.test": Decimal("-0.3"), "reviewer3@demo.test": Decimal("0")}


def _budget(scale):
    lines = [
        ("1", "Social workers and case managers", "month", Decimal("48"), Decimal("1300.00")),
        ("1", "Child psychologist", "month", Decimal("24"), Decimal("1400.00")),
        ("2", "Outreach and family tracing trips", "trip", Decimal("40"), Decimal("180.00")),
        ("5", "Shelter running costs", "month", Decimal("24"), Decimal("1600.00")),
        ("5", "Legal aid", "case", Decimal("50"), Decimal("220.00")),
    ]
    rows = [
        {"heading": h, "description": d, "unit": u, "quantity": q, "unit_cost": (c * scale).quantize(Decimal("0.01"))}
        for h, d, u, q, c in lines
    ]
    direct = sum(r["quantity"] * r["unit_cost"] for r in rows)
    indirect = (direct * Decimal("0.07")).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    contingency = (direct * Decimal("0.05")).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    own = ((direct + indirect + contingency) * Decimal("0.06")).quantize(Decimal("0.01"))
    return rows, {"indirect_costs": indirect, "contingency": contingency, "own_contribution": own, "third_party_contribution": Decimal("0")}


# The demo's CSOs work in their own languages, so the e-mails and documents the demo sends them show it.
LANGUAGES = {
    "cso3@demo.test": "pt", "cso4@demo.test": "es", "cso5@demo.test": "ru", "cso6@demo.test": "ar",
    "cso7@demo.test": "fr", "cso10@demo.test": "fr",
}


def _applicant(email, name, acronym, country, registration, password, admin):
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = user_create(
            actor=None, email=email, password=password, full_name=f"{acronym} coordinator", language=LANGUAGES.get(email)
        )
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    role_grant(actor=None, user=user, role=R.APPLICANT)
    organisation = organisation_create(
        actor=admin, legal_name=name, acronym=acronym, country=country, registration_number=registration,
        org_type=OrganisationType.PARTNER_COUNTRY_NGO, admin=user,
    )
    return user, organisation


def _verify(organisation, user, officer):
    screen_organisation(actor=officer, organisation=organisation)
    for kind in DocumentKind.values:
        document = document_upload(actor=user, organisation=organisation, kind=kind, file=SimpleUploadedFile(f"{kind}.pdf", PDF))
        document_review(actor=officer, document=document, decision=DocumentStatus.ACCEPTED, note="")
    organisation_verify(actor=officer, organisation=Organisation.objects.get(pk=organisation.pk))


def _score_value(criterion, quality, leniency, index):
    wobble = Decimal((index * 7) % 5 - 2) / 4  # a fixed small variation per criterion
    return max(criterion.scale_min, min(criterion.scale_max, int((quality + leniency + wobble).quantize(Decimal("1")))))


def score_all(call, quality_of, skip=(None, None)):
    """Every active assignment of `call` scored and submitted, by the application's quality (1-5) and the
    reviewer's leniency; `skip` is an (e-mail, application id) left for a person to score."""
    criteria = list(Criterion.objects.filter(section__grid__call=call).order_by("section__position", "position"))
    for assignment in Assignment.objects.filter(application__call=call, status=AssignmentStatus.ACTIVE).select_related("reviewer", "application"):
        if (assignment.reviewer.email, assignment.application_id) == skip:
            continue
        review = review_open(actor=assignment.reviewer, assignment=assignment)
        scores = {}
        for index, criterion in enumerate(criteria):
            value = _score_value(criterion, Decimal(str(quality_of[assignment.application_id])), LENIENCY[assignment.reviewer.email], index)
            comment = "Weak: not enough detail on how this will be done." if value == criterion.scale_min else "Clear and well argued."
            scores[criterion.pk] = (value, False, comment)
        review_save(actor=assignment.reviewer, review=review, scores=scores, overall_comment="A credible proposal from an experienced organisation.")
        review_submit(actor=assignment.reviewer, review=review)


def seed_review_call(*, programme, admin, officer, password, say):
    if Call.objects.filter(programme=programme, reference="C02").exists():
        return
    now = timezone.now()
    call = call_create(
        actor=admin, programme=programme, reference="C02",
        title="Protection and assistance for children among victims of trafficking and smuggled migrants",
        description="Grants to CSOs that shelter, protect and reintegrate children who are victims of trafficking or smuggled migrants.",
        opens_at=now - timedelta(days=45), closes_at=now + timedelta(hours=1),
        min_grant=Decimal("50000.00"), max_grant=Decimal("300000.00"), min_duration_months=12, max_duration_months=24,
        min_cofinancing_percent=Decimal("5.00"), objectives=programme.objectives.filter(number__in=[5, 6]),
        countries=Country.objects.all(),
    )
    call.reviewers_per_application = 2
    call.save(update_fields=["reviewers_per_application"])
    ledger.allocation_add(actor=admin, call=call, amount=ALLOCATION, memo="Demo allocation")
    grid_copy_prag_full(actor=admin, call=call)
    call = call_set_status(actor=admin, call=call, status=CallStatus.PUBLISHED)

    submitted_at = now - timedelta(days=3)
    start = (now + timedelta(days=60)).date()
    applications = []
    for email, name, acronym, country, registration, quality, scale, verified in APPLICANTS:
        user, organisation = _applicant(email, name, acronym, country, registration, password, admin)
        if verified:
            _verify(organisation, user, officer)
        application = application_start(actor=user, call=call, organisation=organisation)
        lines, amounts = _budget(scale)
        application_save_draft(
            actor=user, application=application,
            fields={
                "title": f"Safe childhood: protection and reintegration of child survivors ({acronym})",
                "summary": f"{name} runs a shelter, psychosocial care, legal aid and family tracing for children who survived trafficking or were smuggled.",
                "objective": call.objectives.get(number=6), "start_date": start, "end_date": start.replace(year=start.year + 2) - timedelta(days=1),
                "women": 40, "men": 10, "girls": 150, "boys": 110, "victims_of_trafficking": 180, "smuggled_migrants": 90, **amounts,
            },
            countries=Country.objects.filter(code=country), lines=lines,
            rows=[
                {"level": "outcome", "statement": "Children are safe, recover and are reintegrated", "indicator": "Children reintegrated", "baseline": Decimal("0"), "target": Decimal("200")},
                {"level": "output", "statement": "Shelter places and case management available", "indicator": "Children assisted", "baseline": Decimal("0"), "target": Decimal("260")},
            ],
        )
        application, _ = application_submit(actor=user, application=application, now=submitted_at)
        screening_record(actor=officer, application=application, on_time=True, complete=True, applicant_eligible=True, action_eligible=True, costs_eligible=True)
        applications.append((application, quality))
    # Time passes: the call closed yesterday; reviews are due in two weeks.
    Call.objects.filter(pk=call.pk).update(closes_at=now - timedelta(days=1), review_deadline=now + timedelta(days=14))
    call = call_set_status(actor=admin, call=Call.objects.get(pk=call.pk), status=CallStatus.CLOSED)

    reviewers = list(User.objects.filter(email__in=LENIENCY).order_by("email"))
    panel_set_members(actor=officer, call=call, reviewers=reviewers)
    pending = applications[1][0]  # reviewer1 is left to declare and score this one
    for reviewer in reviewers:
        for application, _quality in applications:
            if not (reviewer.email == "reviewer1@demo.test" and application == pending):
                conflict_declare(actor=reviewer, application=application, has_conflict=False)
    assignments_auto(actor=officer, call=call)
    score_all(call, {a.pk: q for a, q in applications}, skip=("reviewer1@demo.test", pending.pk))
    if not Assignment.objects.filter(application=pending, reviewer__email="reviewer1@demo.test").exists():
        assignment_add(actor=officer, application=pending, reviewer=User.objects.get(email="reviewer1@demo.test"))
    say("created the closed call C02 with five screened applications, a panel and submitted reviews")
