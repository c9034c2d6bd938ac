"""A big call's list as an officer uses it: C02 filtered by country, all matches screened eligible in one action
(the ones already past screening are refused and listed with the reason), then the view exported to Excel, whose
amounts are numbers."""
import io
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Organisation, User
from applications.models import Application, ApplicationStatus
from grants.models import Call
from lists.models import BulkJob

from .conftest import DESKTOP, PHONE
from .test_sign_in import sign_in


def _submitted(call, n):
    """`n` applications to C02 received before its deadline and not screened yet, spread over its countries."""
    now, owner = timezone.now(), User.objects.get(email="officer@demo.test")
    countries = list(call.countries.order_by("code"))
    organisations = Organisation.objects.bulk_create(
        Organisation(legal_name=f"Réseau d'entraide {i + 1}", country=countries[i % len(countries)].code,
                     registration_number=f"BULK-{i + 1}", org_type="22")
        for i in range(n)
    )
    first = call.applications.order_by("-sequence").values_list("sequence", flat=True).first()
    applications = Application.objects.bulk_create(
        Application(
            call=call, organisation=org, created_by=owner, submitted_by=owner, status=ApplicationStatus.SUBMITTED,
            title=f"Assistance to survivors {i + 1}", sequence=first + i + 1,
            reference=f"GLOACT-{now.year}-C02-{first + i + 1:04d}", submitted_at=call.closes_at - timedelta(days=1),
            requested_amount=Decimal("45000.50") + i, objective=call.objectives.first(),
        )
        for i, org in enumerate(organisations)
    )
    for i, application in enumerate(applications):
        application.countries.set([countries[i % len(countries)]])
    late = applications[0]  # in the first country, received after the deadline: the bulk action refuses it
    Application.objects.filter(pk=late.pk).update(submitted_at=call.closes_at + timedelta(hours=2))
    return countries[0], late


def test_officer_screens_all_matches_and_exports_the_view(demo_live, new_page, screenshot):
    base = demo_live.url
    call = Call.objects.get(reference="C02")
    country, late = _submitted(call, 9)
    in_country = Application.objects.filter(call=call, countries=country, submitted_at__isnull=False)
    expected_total = in_country.count()

    officer = new_page(DESKTOP)
    sign_in(officer, base, "officer@demo.test")
    officer.goto(f"{base}/screening/calls/{call.pk}/")
    officer.get_by_label("Country").select_option(str(country.code))
    officer.get_by_role("button", name="Apply filters").click()
    assert officer.get_by_role("status").filter(has_text="match").inner_text().startswith(f"{expected_total} match")
    screenshot(officer, "call-list-filtered-desktop")
    officer.locator("#id_everything").check()
    officer.get_by_label("Action").select_option("screening.eligible")
    officer.get_by_role("button", name="Apply to the chosen applications").click()

    job = BulkJob.objects.get()
    assert job.total == expected_total and job.done + len(job.refused) == expected_total
    summary = officer.get_by_role("status").inner_text()
    assert f"{job.done} done." in summary and f"{len(job.refused)} refused." in summary
    refused_row = officer.locator("tr", has_text=late.reference)
    assert "after the deadline" in refused_row.inner_text()
    screenshot(officer, "call-list-bulk-summary-desktop")
    assert list(in_country.filter(status=ApplicationStatus.SUBMITTED).values_list("pk", flat=True)) == [late.pk]

    officer.get_by_role("link", name="Back to the list").click()
    with officer.expect_download() as download:
        officer.get_by_role("link", name="Excel").click()
    sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][4] == "Requested (EUR)" and len(rows) == expected_total + 1
    assert all(isinstance(row[4], (int, float)) for row in rows[1:])
    assert {row[0] for row in rows[1:]} == set(in_country.values_list("reference", flat=True))

    phone = new_page(PHONE)
    sign_in(phone, base, "officer@demo.test")
    phone.goto(f"{base}/screening/calls/{call.pk}/?country={country.code}&sort=-requested")
    assert phone.get_by_role("status").filter(has_text="match").is_visible()
    screenshot(phone, "call-list-filtered-phone")
