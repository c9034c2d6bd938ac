"""Builders for application tests: a call with PRAG rules and a complete, valid application for it."""
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from applications import services
from grants import ledger

from ..factories import CallFactory, CountryFactory, ObjectiveFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def rules_call(programme, **overrides):
    """An open call: EUR 50,000-300,000, 12-24 months, indirect <= 7%, contingency <= 5%, co-financing >= 5%."""
    nepal = CountryFactory(code="NP", name="Nepal")
    morocco = CountryFactory(code="MA", name="Morocco")
    objective = ObjectiveFactory(programme=programme, number=5, title="Protection and assistance")
    fields = dict(
        programme=programme, min_grant=(Decimal("50000.00"), "EUR"), max_grant=(Decimal("300000.00"), "EUR"),
        min_duration_months=12, max_duration_months=24, min_cofinancing_percent=Decimal("5.00"),
        opens_at=timezone.now() - timedelta(days=10), closes_at=timezone.now() + timedelta(days=30),
    )
    fields.update(overrides)
    call = CallFactory(**fields)
    call.objectives.set([objective])
    call.countries.set([nepal, morocco])
    ledger.allocation_add(actor=None, call=call, amount="900000.00")
    return call


def valid_fields(call, **overrides):
    start = timezone.now().date() + timedelta(days=60)
    fields = dict(
        title="Safe shelters for child victims", summary="Shelter, legal aid and reintegration.",
        objective=call.objectives.first(), start_date=start, end_date=date(start.year + 1, start.month, start.day) - timedelta(days=1),
        women=120, men=40, girls=200, boys=90, victims_of_trafficking=150, smuggled_migrants=60,
        # direct 100,000.00; indirect 7,000.00 (7%); contingency 5,000.00 (5%); total 112,000.00
        indirect_costs=Decimal("7000.00"), contingency=Decimal("5000.00"),
        own_contribution=Decimal("5600.00"), third_party_contribution=Decimal("0.00"),  # 5% of 112,000
    )
    fields.update(overrides)
    return fields


VALID_LINES = [
    {"heading": "1", "description": "Case workers", "unit": "month", "quantity": Decimal("24"), "unit_cost": Decimal("2500.00")},
    {"heading": "5", "description": "Shelter running costs", "unit": "month", "quantity": Decimal("12"), "unit_cost": Decimal("3333.33")},
    {"heading": "2", "description": "Outreach trips", "unit": "trip", "quantity": Decimal("1"), "unit_cost": Decimal("0.04")},
]  # 60,000.00 + 39,999.96 + 0.04 = 100,000.00 direct

VALID_ROWS = [
    {"level": "outcome", "statement": "Child victims are safe and recover", "indicator": "Children reintegrated", "baseline": Decimal("0"), "target": Decimal("150")},
    {"level": "output", "statement": "Shelter places available", "indicator": "Places", "baseline": Decimal("10"), "target": Decimal("40")},
]


def complete_draft(*, actor, call, organisation, **overrides):
    application = services.application_start(actor=actor, call=call, organisation=organisation)
    services.application_save_draft(
        actor=actor, application=application, fields=valid_fields(call, **overrides),
        countries=list(call.countries.filter(code="NP")), lines=VALID_LINES, rows=VALID_ROWS,
    )
    return application


def pdf_upload(name="plan.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")
