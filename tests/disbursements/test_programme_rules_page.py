"""The programme rules page: who reads and who changes, the field messages, the verification rule adopted and
changed (audited, the figures version moved), the defaults and last changes shown, the envelope's link, and a
query count that does not grow with the history of changes."""
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from disbursements.verification.models import VerificationRule
from grants.models import Envelope
from grants.programme_rules import transfer_threshold_set
from grants.risk.services import rule_set

from ..conftest import login


def _url(programme):
    return reverse("programme_rules", args=[programme.code])


def test_officer_reads_defaults_and_changes_the_transfer_threshold(client, officer, programme):
    login(client, officer)
    page = client.get(_url(programme)).content.decode()
    assert "PRAG default: 25 %" in page and "does not apply this rule" in page and "Apply the rule" in page
    assert "As set when the programme was set up" in page and reverse("risk_rules", args=[programme.code]) in page
    assert "Pre-financing never above (% of the grant)" in page  # the payment rules, read-only
    response = client.post(_url(programme), {"rule": "transfer", "transfer_threshold_percent": "12.5"})
    assert response.status_code == 302 and response.url == _url(programme)
    programme.refresh_from_db()
    assert programme.transfer_threshold_percent == Decimal("12.50")
    page = client.get(_url(programme)).content.decode()
    assert "The budget-transfer threshold is saved." in page and "12.50 %" in page
    assert f"set by {officer.email}" in page


def test_bad_values_get_a_message_on_the_field_and_nothing_changes(client, administrator, programme):
    login(client, administrator)
    for data, message in (
        ({"rule": "transfer", "transfer_threshold_percent": "120"}, "Give a share from 0 to 100 %."),
        ({"rule": "transfer", "transfer_threshold_percent": "12.345"}, "Give at most two decimals, such as 12.25."),
        ({"rule": "transfer", "transfer_threshold_percent": "abc"}, "Enter a number written like"),
        ({"rule": "verification", "threshold": "-1"}, "The amount cannot be negative."),
        ({"rule": "verification", "threshold": "10.001"}, "2 decimal places"),
    ):
        response = client.post(_url(programme), data)
        assert response.status_code == 400
        content = response.content.decode()
        assert message in content and 'class="field-error"' in content and "Nothing was saved" in content
    programme.refresh_from_db()
    assert programme.transfer_threshold_percent == Decimal("25.00") and not VerificationRule.objects.exists()
    assert client.post(_url(programme), {"rule": "something else"}).status_code == 404


def test_verification_rule_adopted_then_changed_audited_and_figures_moved(client, officer, programme):
    login(client, officer)
    version = Envelope.objects.get(programme=programme).ledger_version
    assert client.post(_url(programme), {"rule": "verification", "threshold": "100000.00"}).status_code == 302
    assert client.post(_url(programme), {"rule": "verification", "threshold": "60,000.50"}).status_code == 302
    assert VerificationRule.objects.get(programme=programme).threshold == Decimal("60000.50")
    events = AuditEvent.objects.filter(verb="verification.rule_set", target_id=str(programme.pk)).order_by("id")
    assert [e.data for e in events] == [{"from": None, "to": "100000.00"}, {"from": "100000.00", "to": "60000.50"}]
    assert Envelope.objects.get(programme=programme).ledger_version == version + 2
    page = client.get(_url(programme)).content.decode()
    assert "€60,000.50" in page and "PRAG default: €100,000.00" in page and "Save the threshold" in page


def test_finance_reads_but_may_not_post(client, finance, programme):
    login(client, finance)
    page = client.get(_url(programme))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="rule"' not in content and reverse("risk_rules", args=[programme.code]) not in content
    assert client.post(_url(programme), {"rule": "transfer", "transfer_threshold_percent": "10"}).status_code == 403
    programme.refresh_from_db()
    assert programme.transfer_threshold_percent == Decimal("25.00")


def test_other_roles_get_403_and_an_unknown_programme_404(client, cso_user, donor, reviewer, officer, programme):
    for user in (cso_user, donor, reviewer):
        login(client, user)
        assert client.get(_url(programme)).status_code == 403
        assert client.post(_url(programme), {"rule": "transfer", "transfer_threshold_percent": "10"}).status_code == 403
    login(client, officer)
    assert client.get(reverse("programme_rules", args=["NOSUCH"])).status_code == 404
    client.logout()
    assert client.get(_url(programme)).status_code == 302  # to the sign-in page


def test_envelope_page_links_here_for_staff_only(client, finance, donor, programme):
    login(client, finance)
    assert _url(programme) in client.get(reverse("envelope"), {"programme": programme.code}).content.decode()
    login(client, donor)
    assert _url(programme) not in client.get(reverse("envelope"), {"programme": programme.code}).content.decode()


def test_queries_do_not_grow_with_the_history_of_changes(client, officer, programme):
    def count():
        login(client, officer)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_url(programme))
        assert response.status_code == 200
        return len(queries), response.content.decode()

    few, _page = count()
    for i in range(10):
        transfer_threshold_set(actor=officer, programme=programme, percent=str(10 + i))
        rule_set(actor=officer, programme=programme, rating="high", max_advance_percent=str(20 + i),
                 spot_checks_per_year=3, visits_per_year=4, audit_due=True)
    many, page = count()
    assert few == many <= 15, (few, many)
    assert "19 %" in page and "29 %" in page and "The programme applies these rules" in page
