"""Assessments and PSEA ratings for the partner-risk tests."""
from datetime import timedelta

from django.utils import timezone

from grants.risk.models import AssessmentArea, PseaCapacity
from grants.risk.services import PSEA_QUESTIONS, assessment_record, psea_rate, psea_submit

YES = {key: "yes" for key, _label in PSEA_QUESTIONS}


def assess(officer, organisation, overall, *, days_ago=30, expires_in=None):
    today = timezone.localdate()
    assessed_on = today - timedelta(days=days_ago)
    return assessment_record(
        actor=officer, organisation=organisation, assessed_on=assessed_on, overall=overall,
        area_ratings={area.value: overall for area in AssessmentArea}, assessor_firm="Audit Firm Ltd",
        expires_on=today + timedelta(days=expires_in) if expires_in is not None else None,
    )


def psea(officer, member, organisation, rating=PseaCapacity.FULL, note=""):
    submitted = psea_submit(actor=member, organisation=organisation, answers=YES)
    return psea_rate(actor=officer, assessment=submitted, rating=rating, note=note or ("Gaps" if rating == "low" else ""))
