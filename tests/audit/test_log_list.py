"""The staff audit log as a list: filters, search, sort, the capped count, exports and who may read them."""
import re
from pathlib import Path

import pytest
from django.conf import settings

from accounts import roles as R
from config import audit_list as log_list
from audit.services import audit_record

from ..conftest import make_user


def _verbs(client, query=""):
    """The verbs listed, without the role grants the user fixtures record."""
    return [e.verb for e in client.get(f"/audit/?{query}").context["listing"].rows if not e.verb.startswith("role.")]


@pytest.fixture
def events(officer, call):
    audit_record(actor=officer, verb="ledger.allocate", target=call, amount="10.00", currency="EUR")
    audit_record(actor=None, verb="call.published", target=call)
    return audit_record(actor=officer, verb="payment.record", target=call, amount="5.00", currency="EUR")


def test_newest_first_filtered_and_searched(client, officer, events):
    client.force_login(officer)
    assert _verbs(client) == ["payment.record", "call.published", "ledger.allocate"]
    assert _verbs(client, "sort=time") == ["ledger.allocate", "call.published", "payment.record"]
    assert _verbs(client, "area=ledger") == ["ledger.allocate"]
    assert _verbs(client, "area=nothing") == _verbs(client)  # not a choice: ignored
    assert _verbs(client, f"q={officer.email.upper()}") == ["payment.record", "ledger.allocate"]
    assert _verbs(client, "q=published") == ["call.published"]
    assert _verbs(client, "period=day&area=payment") == ["payment.record"]


def test_count_stops_at_the_limit(client, officer, call, monkeypatch):
    for i in range(5):
        audit_record(actor=officer, verb="ledger.commit", target=call, amount=i + 1)
    monkeypatch.setattr(log_list, "COUNT_LIMIT", 3)
    monkeypatch.setattr("config.views.COUNT_LIMIT", 3)
    client.force_login(officer)
    response = client.get("/audit/?per_page=25")
    assert response.context["listing"].count == 3 and len(response.context["listing"].rows) == 3
    assert "Counting stops at 3 entries" in response.content.decode()
    assert response.context["listing"].rows[0].verb == "ledger.commit"


def test_every_recorded_verb_is_in_an_area():
    """The area filter is a fixed list (a distinct query would read the whole trail): it covers the code's verbs."""
    base = Path(settings.BASE_DIR)
    areas = set()
    for path in base.glob("*/**/*.py"):
        if path.parts[len(base.parts)] in {"tests", ".venv", "node_modules"}:
            continue
        areas |= set(re.findall(r"""verb=f?["']([a-z_]+)\.""", path.read_text(encoding="utf-8")))
    assert areas and areas <= set(log_list.AREAS), areas - set(log_list.AREAS)


def test_export_follows_the_view(client, officer, events):
    client.force_login(officer)
    response = client.get("/audit/export/?area=ledger&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 2 and "ledger.allocate" in lines[1] and "10.00" in lines[1] and officer.email in lines[1]
    xlsx = client.get("/audit/export/?format=xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize("url", ["/audit/", "/audit/export/"])
def test_staff_only(client, db, url):
    assert client.get(url).status_code == 302
    for role, expected in [(R.FINANCE_OFFICER, 200), (R.ADMINISTRATOR, 200), (R.APPLICANT, 403), (R.REVIEWER, 403),
                           (R.DONOR_OBSERVER, 403), (None, 403)]:
        client.force_login(make_user(role) if role else make_user())
        assert client.get(url).status_code == expected, role
