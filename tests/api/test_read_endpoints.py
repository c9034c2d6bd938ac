"""What the read endpoints return: fields and figures, filters, ordering, pagination, bad parameters, the schema
and the documentation page."""
import io
import json
from datetime import timedelta
from decimal import Decimal

from django.core.management import call_command
from django.utils import timezone

from applications.models import Review, ReviewStatus, Score
from disbursements.schedule import schedule_status
from grants import ledger
from grants.models import CallStatus
from grants.selectors import envelope_position

from ..applications.review_helpers import small_grid
from ..factories import CallFactory, CountryFactory, EnvelopeFactory
from .conftest import report


def _results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


# ---- calls ------------------------------------------------------------------------------------------------------


def test_calls_are_public_with_their_state_and_money_as_strings(anonymous_api, world):
    [call] = _results(anonymous_api.get("/api/v1/calls/"))
    assert call["reference"] == "A01" and call["programme"] == world.call.programme.code
    assert call["state"] == "open" and call["countries"] == ["NP"]
    assert call["min_grant"] == "10000.00" and call["max_grant"] == "200000.00"


def test_call_filters(anonymous_api, world, programme):
    morocco = CountryFactory(code="MA", name="Morocco")
    closed = CallFactory(programme=programme, reference="X02", status=CallStatus.CLOSED,
                         opens_at=timezone.now() - timedelta(days=60), closes_at=timezone.now() - timedelta(days=1))
    closed.countries.set([morocco])

    def refs(query):
        return [c["reference"] for c in _results(anonymous_api.get(f"/api/v1/calls/?{query}"))]

    assert refs("status=closed") == ["X02"]
    assert refs("country=np") == ["A01"]
    assert refs("country=MA") == ["X02"]
    assert refs("country=ZZ") == []
    assert refs(f"objective={world.call.objectives.get().pk}") == ["A01"]
    assert refs("objective=999999") == []
    # A draft is never served, even asked for by name.
    assert anonymous_api.get("/api/v1/calls/?status=draft").status_code == 400


def test_call_ordering(anonymous_api, world, programme):
    CallFactory(programme=programme, reference="0X0", closes_at=timezone.now() + timedelta(days=90))
    assert [c["reference"] for c in _results(anonymous_api.get("/api/v1/calls/"))] == ["A01", "0X0"]  # closes_at
    assert [c["reference"] for c in _results(anonymous_api.get("/api/v1/calls/?ordering=reference"))] == ["0X0", "A01"]
    assert [c["reference"] for c in _results(anonymous_api.get("/api/v1/calls/?ordering=-closes_at"))] == ["0X0", "A01"]


# ---- pagination and bad parameters ------------------------------------------------------------------------------


def test_pagination(anonymous_api, world, programme):
    for n in range(4):
        CallFactory(programme=programme, reference=f"P{n}")
    first = anonymous_api.get("/api/v1/calls/?page_size=2&ordering=reference").json()
    assert first["count"] == 5 and len(first["results"]) == 2 and first["previous"] is None
    second = anonymous_api.get(first["next"]).json()
    third = anonymous_api.get(second["next"]).json()
    seen = [c["reference"] for page in (first, second, third) for c in page["results"]]
    assert seen == ["A01", "P0", "P1", "P2", "P3"] and third["next"] is None
    assert len(_results(anonymous_api.get("/api/v1/calls/?page_size=1000"))) == 5  # above the maximum: not refused


def test_bad_parameters_give_4xx_or_are_ignored(finance_api, world):
    assert finance_api.get("/api/v1/grants/?page=abc").status_code == 404
    assert finance_api.get("/api/v1/grants/?page=99").status_code == 404
    assert finance_api.get("/api/v1/grants/?call=abc").status_code == 400
    assert finance_api.get("/api/v1/grants/?call=99999999999").status_code == 400
    assert finance_api.get("/api/v1/grants/?status=nonsense").status_code == 400
    assert finance_api.get("/api/v1/reports/?is_final=maybe").status_code == 200
    assert finance_api.get("/api/v1/tranches/?state=nonsense").status_code == 400
    assert finance_api.get("/api/v1/envelope/?programme=not a code").status_code == 400
    assert len(_results(finance_api.get("/api/v1/grants/?page_size=abc"))) == 2
    assert len(_results(finance_api.get("/api/v1/grants/?ordering=secret_field"))) == 2
    assert finance_api.get("/api/v1/grants/?country=%00").status_code == 400
    assert finance_api.get("/api/v1/tranches/abc/").status_code == 404


# ---- organisations ----------------------------------------------------------------------------------------------


def test_bank_details_masked_for_those_who_handle_them_only(cso_api, finance_api, officer_api, donor_api, world):
    def bank(client):
        rows = {row["id"]: row for row in _results(client.get("/api/v1/organisations/"))}
        return rows[world.organisation_a.pk]["bank_account"]

    assert bank(cso_api) == "•••• 1234"  # the organisation's administrator
    assert bank(finance_api) == "•••• 1234"
    assert bank(officer_api) is None and bank(donor_api) is None
    row = officer_api.get(f"/api/v1/organisations/{world.organisation_a.pk}/").json()
    assert "iban" not in json.dumps(row).lower() and "sanction" not in json.dumps(row).lower()


# ---- applications -----------------------------------------------------------------------------------------------


def test_application_filters_and_ordering(officer_api, world, other_organisation, other_cso_user, programme):
    from .conftest import submitted_application

    other_call = CallFactory(programme=programme, reference="X05")
    later = submitted_application(other_call, other_organisation, actor=other_cso_user, number=2, status="submitted")

    def refs(query):
        return [a["reference"] for a in _results(officer_api.get(f"/api/v1/applications/?{query}"))]

    assert refs(f"call={world.call.pk}") == [world.application_b_submitted.reference]
    assert refs("status=submitted") == [later.reference]
    assert refs("ordering=-reference") == sorted([later.reference, world.application_b_submitted.reference], reverse=True)
    row = officer_api.get(f"/api/v1/applications/{later.pk}/").json()
    assert row["requested_amount"] == "100000.00" and row["organisation"]["id"] == other_organisation.pk


# ---- reviews ----------------------------------------------------------------------------------------------------


def test_review_total_shown_once_submitted(reviewer_api, officer_api, world):
    _grid, crit = small_grid(world.call)
    review = Review.objects.get(assignment=world.assignment)
    for key, value in {"a1": 4, "a2": 3, "b1": 5}.items():
        Score.objects.create(review=review, criterion=crit[key], value=value)
    [row] = _results(reviewer_api.get("/api/v1/reviews/"))
    assert row["review_status"] == "draft" and row["total"] is None
    review.status, review.submitted_at = ReviewStatus.SUBMITTED, timezone.now()
    review.save()
    [row] = _results(reviewer_api.get("/api/v1/reviews/"))
    assert row["review_status"] == "submitted" and row["total"] == 4 + 3 + 5 * 2 and row["max_points"] == 20
    assert _results(officer_api.get(f"/api/v1/reviews/?call={world.call.pk}"))[0]["total"] == 17
    assert _results(officer_api.get("/api/v1/reviews/?call=999999")) == []


# ---- grants -----------------------------------------------------------------------------------------------------


def test_grant_fields_and_figures(cso_api, world):
    grant = world.grant_a
    ledger.disbursement_add(actor=None, grant=grant, amount=Decimal("1000.50"))
    row = cso_api.get(f"/api/v1/grants/{grant.reference}/").json()
    assert row["amount"] == "150000.00" and row["committed"] == "150000.00" and row["disbursed"] == "1000.50"
    assert row["organisation"] == {"id": grant.organisation_id, "name": grant.organisation.legal_name}
    assert row["call"]["reference"] == "A01" and row["status"] == "signed" and row["signed_on"] == "2026-01-01"


def test_grant_filters_and_ordering(donor_api, world, programme):
    from ..grant_helpers import signed_grant

    big = signed_grant(call=world.call, organisation=world.organisation_b, amount="190000.00")

    def refs(query):
        return [g["reference"] for g in _results(donor_api.get(f"/api/v1/grants/?{query}"))]

    assert refs(f"organisation={world.organisation_a.pk}") == [world.grant_a.reference]
    assert refs(f"call={world.call.pk}&ordering=-amount")[0] == big.reference
    assert refs("status=draft") == []
    assert set(refs("status=signed")) == {world.grant_a.reference, world.grant_b.reference, big.reference}
    assert refs("country=NP") == []  # the test grants have no country yet
    world.grant_a.country = CountryFactory(code="NP", name="Nepal")
    world.grant_a.save(update_fields=["country"])
    assert refs("country=np") == [world.grant_a.reference]


# ---- tranches ---------------------------------------------------------------------------------------------------


def test_tranches_carry_the_schedule_state(cso_api, world):
    rows = _results(cso_api.get(f"/api/v1/tranches/?grant={world.grant_a.reference}"))
    expected = schedule_status(world.grant_a)
    assert [(r["number"], r["state"]["status"], r["state"]["payable"]) for r in rows] == [
        (s.tranche.number, s.status, f"{s.payable:.2f}") for s in expected
    ]
    assert rows[0]["state"]["status"] == "payable" and rows[0]["state"]["payable"] == "120000.00"
    assert rows[1]["state"]["status"] == "waiting" and rows[1]["state"]["reasons"]


def test_tranche_state_filter(finance_api, world):
    payable = _results(finance_api.get("/api/v1/tranches/?state=payable"))
    assert {(r["grant"], r["number"]) for r in payable} == {(world.grant_a.reference, 1), (world.grant_b.reference, 1)}
    waiting = _results(finance_api.get(f"/api/v1/tranches/?state=waiting&grant={world.grant_b.reference}"))
    assert [(r["grant"], r["number"]) for r in waiting] == [(world.grant_b.reference, 2)]
    assert finance_api.get("/api/v1/tranches/?state=paid").json()["count"] == 0


# ---- reports ----------------------------------------------------------------------------------------------------


def test_report_filters_and_ordering(cso_api, world):
    final = report(world.grant_a, 3, submitted=True, final=True)

    def ids(query):
        return [r["id"] for r in _results(cso_api.get(f"/api/v1/reports/?{query}"))]

    assert ids("is_final=true") == [final.pk]
    assert ids("status=draft") == [world.report_a_draft.pk]
    assert ids("ordering=-due_date") == [final.pk, world.report_a_submitted.pk, world.report_a_draft.pk]
    assert ids(f"grant={world.grant_b.reference}") == []


# ---- envelope ---------------------------------------------------------------------------------------------------


def test_envelope_figures_are_those_of_the_command(officer_api, world, programme):
    out = io.StringIO()
    call_command("envelope", "--json", "--programme", programme.code, stdout=out)
    response = officer_api.get("/api/v1/envelope/")
    assert response.status_code == 200
    assert response.json() == json.loads(out.getvalue()) == envelope_position(programme).as_dict()
    assert response.json()["committed"] == "300000.00"


def test_envelope_of_another_programme(officer_api, world):
    other = EnvelopeFactory(amount=(Decimal("500.00"), "EUR")).programme
    data = officer_api.get(f"/api/v1/envelope/?programme={other.code}").json()
    assert data["programme_code"] == other.code and data["envelope"] == "500.00" and data["allocated"] == "0.00"
    assert officer_api.get("/api/v1/envelope/?programme=NOPE").status_code == 404


# ---- schema and documentation -----------------------------------------------------------------------------------


def test_schema_is_openapi_3_and_validates(anonymous_api, tmp_path):
    response = anonymous_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    for path in ("/api/v1/calls/", "/api/v1/grants/{reference}/", "/api/v1/tranches/", "/api/v1/envelope/"):
        assert path in schema["paths"]
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_unknown_api_addresses_answer_in_json(client):
    for url in ("/api/v1/grants/a%2Fb/", "/api/v2/", "/api/nothing-here"):
        response = client.get(url)
        assert response.status_code == 404 and response["Content-Type"] == "application/json", url
        assert response.json() == {"detail": "Not found."}
