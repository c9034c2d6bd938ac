"""Who sees what through the API: every role x every endpoint (list and detail) x own and other organisations'
objects. A role that may not use an endpoint gets 403 on the list and on every detail; a permitted role gets 404
on any object its list does not show (another organisation's object looks like a missing one)."""
import pytest

from accounts import roles as R

from .conftest import SESSION, TOKEN, api_client

# role -> (fixture holding the user, how the client authenticates): both ways must work.
ROLES = {
    "anonymous": (None, None),
    "member_a": ("cso_user", SESSION),
    "member_b": ("other_cso_user", TOKEN),
    "reviewer_assigned": ("reviewer", TOKEN),
    "reviewer_unassigned": ("other_reviewer", SESSION),
    "officer": ("officer", SESSION),
    "finance": ("finance", TOKEN),
    "donor": ("donor", SESSION),
    "administrator": ("administrator", TOKEN),
}
STAFF = ("officer", "finance", "administrator")
REFUSED = None  # 403 on the list and on every detail (401 when not signed in at all)

# endpoint -> (World attribute of each object it serves, {role: objects the list shows, or REFUSED}).
MATRIX = {
    "calls": (
        ("call", "draft_call"),
        {role: {"call"} for role in ROLES},
    ),
    "organisations": (
        ("organisation_a", "organisation_b"),
        {
            "anonymous": REFUSED, "member_a": {"organisation_a"}, "member_b": {"organisation_b"},
            "reviewer_assigned": REFUSED, "reviewer_unassigned": REFUSED,
            **{role: {"organisation_a", "organisation_b"} for role in (*STAFF, "donor")},
        },
    ),
    "applications": (
        ("application_a_draft", "application_b_submitted"),
        {
            "anonymous": REFUSED, "member_a": {"application_a_draft"}, "member_b": {"application_b_submitted"},
            "reviewer_assigned": REFUSED, "reviewer_unassigned": REFUSED, "donor": REFUSED,
            **{role: {"application_b_submitted"} for role in STAFF},  # never a draft
        },
    ),
    "reviews": (
        ("assignment",),
        {
            "anonymous": REFUSED, "member_a": REFUSED, "member_b": REFUSED, "finance": REFUSED, "donor": REFUSED,
            "reviewer_assigned": {"assignment"}, "reviewer_unassigned": set(),
            "officer": {"assignment"}, "administrator": {"assignment"},
        },
    ),
    "grants": (
        ("grant_a", "grant_b"),
        {
            "anonymous": REFUSED, "member_a": {"grant_a"}, "member_b": {"grant_b"},
            "reviewer_assigned": REFUSED, "reviewer_unassigned": REFUSED,
            **{role: {"grant_a", "grant_b"} for role in (*STAFF, "donor")},
        },
    ),
    "tranches": (
        ("tranche_a", "tranche_b"),
        {
            "anonymous": REFUSED, "member_a": {"tranche_a"}, "member_b": {"tranche_b"},
            "reviewer_assigned": REFUSED, "reviewer_unassigned": REFUSED,
            **{role: {"tranche_a", "tranche_b"} for role in (*STAFF, "donor")},
        },
    ),
    "reports": (
        ("report_a_draft", "report_a_submitted", "report_b_submitted"),
        {
            "anonymous": REFUSED, "member_a": {"report_a_draft", "report_a_submitted"}, "member_b": {"report_b_submitted"},
            "reviewer_assigned": REFUSED, "reviewer_unassigned": REFUSED,
            # Staff and donors never see a report that was not submitted.
            **{role: {"report_a_submitted", "report_b_submitted"} for role in (*STAFF, "donor")},
        },
    ),
}


def _refusal(role):
    """Not signed in: 401 with the bearer challenge (the first authentication class); signed in: 403."""
    return 401 if role == "anonymous" else 403


def _client(request, role):
    fixture, via = ROLES[role]
    return api_client(request.getfixturevalue(fixture) if fixture else None, via=via)


def _key(endpoint, obj):
    return obj.reference if endpoint == "grants" else obj.pk


def _listed(response, endpoint):
    return {row["reference"] if endpoint == "grants" else row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("endpoint", MATRIX)
@pytest.mark.parametrize("role", ROLES)
def test_list(request, world, role, endpoint):
    names, visible = MATRIX[endpoint][0], MATRIX[endpoint][1][role]
    response = _client(request, role).get(f"/api/v1/{endpoint}/")
    if visible is REFUSED:
        assert response.status_code == _refusal(role)
        return
    assert response.status_code == 200
    listed = _listed(response, endpoint)
    for name in names:
        assert (_key(endpoint, getattr(world, name)) in listed) == (name in visible), name


@pytest.mark.parametrize("endpoint", MATRIX)
@pytest.mark.parametrize("role", ROLES)
def test_detail(request, world, role, endpoint):
    names, visible = MATRIX[endpoint][0], MATRIX[endpoint][1][role]
    client = _client(request, role)
    for name in names:
        obj = getattr(world, name)
        response = client.get(f"/api/v1/{endpoint}/{_key(endpoint, obj)}/")
        expected = _refusal(role) if visible is REFUSED else 200 if name in visible else 404
        assert response.status_code == expected, name
        if expected == 200:
            assert response.json()["reference" if endpoint == "grants" else "id"] == _key(endpoint, obj)


@pytest.mark.parametrize("endpoint", ["envelope", "results"])
@pytest.mark.parametrize("role", ROLES)
def test_programme_figures(request, world, role, endpoint):
    """The envelope and the results, like their dashboards: programme staff and donor observers only."""
    expected = 200 if role in (*STAFF, "donor") else _refusal(role)
    assert _client(request, role).get(f"/api/v1/{endpoint}/").status_code == expected


def test_missing_objects_are_404_like_others(request, world):
    """A permitted user cannot tell another organisation's object from one that does not exist."""
    client = _client(request, "member_a")
    for endpoint, key in (("grants", "NO-SUCH-GRANT"), ("tranches", 999999), ("reports", 999999), ("applications", 999999)):
        assert client.get(f"/api/v1/{endpoint}/{key}/").status_code == 404


def test_revoked_or_unknown_token_is_refused(world, cso_user):
    client = api_client(cso_user, via=TOKEN)
    assert client.get("/api/v1/grants/").status_code == 200
    cso_user.api_tokens.update(revoked_at="2026-01-01T00:00:00Z")
    assert client.get("/api/v1/grants/").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert client.get("/api/v1/calls/").status_code == 401  # even on the public endpoint: the token is wrong


def test_member_without_applicant_role_still_reads_own_grants(world, organisation):
    """Grants, tranches and reports follow membership (as the grant pages do), not the applicant role."""
    from accounts.models import MemberRole
    from accounts.services import membership_set

    from ..conftest import make_user

    viewer = make_user()
    membership_set(actor=None, organisation=organisation, user=viewer, role=MemberRole.VIEWER)
    client = api_client(viewer)
    assert {row["reference"] for row in client.get("/api/v1/grants/").json()["results"]} == {world.grant_a.reference}
    assert client.get("/api/v1/applications/").status_code == 403  # applications need the applicant role
    assert R.APPLICANT not in viewer.groups.values_list("name", flat=True)
