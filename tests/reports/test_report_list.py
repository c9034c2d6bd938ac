"""The officers' list of submitted reports: filters, search, exports, who may read them, and a fixed query count."""
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.models import ReportStatus

from ..conftest import login
from ..grant_helpers import signed_grant
from .test_services import submitted


def _submitted_reports(n, cso_user, call, organisation):
    for _ in range(n):
        grant = signed_grant(call=call, organisation=organisation, amount="10000.00", start=date(2024, 1, 1), end=date(2025, 12, 31))
        submitted(cso_user, grant)


def _rows(client, query=""):
    return list(client.get(f"{reverse('report_queue')}?{query}").context["listing"].rows)


def test_filters_and_search(client, grant, cso_user, officer):
    report = submitted(cso_user, grant)
    login(client, officer)
    assert _rows(client) == [report]
    assert _rows(client, f"status={ReportStatus.SUBMITTED}") == [report]
    assert _rows(client, f"status={ReportStatus.APPROVED}") == []
    assert _rows(client, f"call={grant.call_id}&q={grant.reference.lower()}") == [report]
    assert _rows(client, f"q={grant.organisation.legal_name.upper()}") == [report]
    assert _rows(client, "q=no-such-grant") == []


def test_export_follows_the_view(client, grant, cso_user, officer):
    report = submitted(cso_user, grant)
    login(client, officer)
    response = client.get(reverse("report_queue_export"), {"status": ReportStatus.SUBMITTED, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 2 and grant.reference in lines[1] and str(report.due_date) in lines[1]
    xlsx = client.get(reverse("report_queue_export"), {"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize("url", ["report_queue", "report_queue_export"])
def test_wrong_roles_refused(client, grant, cso_user, reviewer, url):
    submitted(cso_user, grant)
    assert client.get(reverse(url)).status_code == 302
    for user in (reviewer, cso_user):
        login(client, user)
        assert client.get(reverse(url)).status_code == 403


def test_page_queries_do_not_grow_with_reports(client, cso_user, officer, call, organisation):
    login(client, officer)
    _submitted_reports(2, cso_user, call, organisation)
    with CaptureQueriesContext(connection) as few:
        assert len(_rows(client)) == 2
    _submitted_reports(10, cso_user, call, organisation)
    with CaptureQueriesContext(connection) as many:
        assert len(_rows(client)) == 12
    assert len(few) == len(many) <= 15, (len(few), len(many))
