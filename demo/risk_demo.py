"""Partner risk and assurance in the demo: GLO.ACT applies its risk rules (HACT-style defaults), every demo
organisation has a valid micro-assessment (moderate unless said otherwise, so every demo agreement, the draft one
on C02 included, can still be signed and re-planned), and a few show the rest:

- Bishkek Safe Migration Centre (cso8): rated low by the programme's staff; its PSEA self-assessment rated full
  capacity; a programmatic visit done this year.
- Lahore Women's Shelter Network (cso9): an earlier UNICEF micro-assessment imported (moderate), its report attached.
- Réseau Nigérien pour la Protection de l'Enfance (cso10): significant risk by an external firm; its PSEA
  self-assessment sent and waiting for the officer's rating.
- Atlas Migrant Aid (cso2): only an expired assessment, so it counts as high risk.

Idempotent: nothing is done once the programme has its risk rules."""
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Organisation, User
from grants.models import AgreementStatus, Grant, MicroAssessment, Programme, RiskRule
from grants.risk.models import AssessmentArea, AssuranceKind, PseaCapacity, RiskRating
from grants.risk.services import (
    PSEA_QUESTIONS,
    activity_record,
    assessment_import,
    assessment_record,
    psea_rate,
    psea_submit,
    rules_adopt,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SPECIAL = {"BSMC": RiskRating.LOW, "RNPE": RiskRating.SIGNIFICANT}


def _areas(overall):
    return {area.value: overall for area in AssessmentArea}


def seed_risk(*, programme_code="GLOACT", say=lambda text: None):
    programme = Programme.objects.filter(code=programme_code).first()
    if programme is None or RiskRule.objects.filter(programme=programme).exists():
        return
    officer = User.objects.get(email="officer@demo.test")
    today = timezone.localdate()
    assessed = today - relativedelta(years=1)
    organisations = {o.acronym: o for o in Organisation.objects.filter(members__email__endswith="@demo.test").distinct()}
    for acronym, organisation in sorted(organisations.items()):
        if MicroAssessment.objects.filter(organisation=organisation).exists():
            continue
        if acronym == "AMA":
            assessment_record(
                actor=officer, organisation=organisation, assessed_on=today - relativedelta(years=6), overall=RiskRating.MODERATE,
                area_ratings=_areas(RiskRating.MODERATE), assessor_firm="Demo Audit Partners",
                expires_on=today - relativedelta(years=1), summary="Expired: a new assessment is needed.",
            )
        elif acronym == "LWSN":
            assessment_import(
                actor=officer, organisation=organisation, assessed_on=assessed, source_agency="UNICEF Pakistan",
                overall=RiskRating.MODERATE, report=SimpleUploadedFile("unicef-micro-assessment.pdf", PDF),
                summary="HACT micro-assessment made for UNICEF's country programme.",
            )
        else:
            overall = SPECIAL.get(acronym, RiskRating.MODERATE)
            assessment_record(
                actor=officer, organisation=organisation, assessed_on=assessed, overall=overall, area_ratings=_areas(overall),
                assessor_user=officer if acronym == "BSMC" else None,
                assessor_firm="" if acronym == "BSMC" else "Demo Audit Partners",
                summary="Financial management capacity assessed with the HACT micro-assessment questionnaire.",
            )
    rules_adopt(actor=officer, programme=programme)

    yes = {key: "yes" for key, _label in PSEA_QUESTIONS}
    if "BSMC" in organisations:
        member = User.objects.get(email="cso8@demo.test")
        rated = psea_submit(actor=member, organisation=organisations["BSMC"], answers=yes)
        psea_rate(actor=officer, assessment=rated, rating=PseaCapacity.FULL)
        grant = Grant.objects.filter(organisation=organisations["BSMC"], status__in=[AgreementStatus.SIGNED, AgreementStatus.IN_IMPLEMENTATION]).first()
        if grant:
            done_on = max(today.replace(month=1, day=1), grant.signed_on or today, today - timedelta(days=20))
            activity_record(actor=officer, grant=grant, kind=AssuranceKind.VISIT, done_on=done_on, done_by="Omar Officer",
                            summary="Met the case workers and visited the shelter; activities on track.")
    if "RNPE" in organisations:
        member = User.objects.get(email="cso10@demo.test")
        psea_submit(actor=member, organisation=organisations["RNPE"], answers={**yes, "training": "no"},
                    comment="Training of the new volunteers is planned next quarter.")
    say("gave the demo organisations risk assessments and PSEA self-assessments; GLO.ACT applies its risk rules")
