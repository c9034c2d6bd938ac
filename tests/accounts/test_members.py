"""Members and invitations: services, the organisation page's member controls, the invitation page, query counts."""
import hashlib
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles as R
from accounts.access import can_on, has_role
from accounts.models import Invitation, Membership, MemberRole, User
from accounts.services import (
    invitation_accept,
    invitation_create,
    invitation_register,
    invitation_revoke,
    membership_set,
)
from audit.models import AuditEvent
from core.errors import DomainError

from ..conftest import make_user
from ..factories import UserFactory

BASE = "http://testserver"
PASSWORD = "a-long-and-unusual-passphrase"


def member_of(organisation, role, **user_fields):
    user = make_user(R.APPLICANT, email_verified_at=timezone.now(), **user_fields)
    membership_set(actor=None, organisation=organisation, user=user, role=role)
    return user


@pytest.fixture
def org_admin(organisation):
    return member_of(organisation, MemberRole.ORG_ADMIN, full_name="Amina Rai")


@pytest.fixture
def send_invitation(organisation, org_admin, mailoutbox, django_capture_on_commit_callbacks):
    """Invite an address; returns (invitation, token) with the token read from the e-mail, as a person would."""

    def send(email="newcomer@example.org", role=MemberRole.EDITOR, org=organisation, actor=org_admin):
        with django_capture_on_commit_callbacks(execute=True):
            invitation = invitation_create(actor=actor, organisation=org, email=email, role=role, base_url=BASE)
        token = re.search(r"http://testserver/invitations/([^/\s]+)/", mailoutbox[-1].body).group(1)
        return invitation, token

    return send


# --- Services --------------------------------------------------------------------------------------------------

def test_invitation_stores_only_a_hash_and_mails_the_link(organisation, org_admin, send_invitation, mailoutbox, clock):
    invitation, token = send_invitation(email=" NewComer@Example.org ")
    assert invitation.email == "newcomer@example.org"
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(Invitation.objects.values().get())
    assert invitation.expires_at == clock.now + timedelta(days=14)
    [message] = mailoutbox
    assert message.to == ["newcomer@example.org"]
    assert message.subject == f"You are invited to join {organisation.legal_name}"
    assert "Amina Rai invites you" in message.body and "Your role will be: Editor." in message.body
    event = AuditEvent.objects.get(verb="invitation.create")
    assert event.actor == org_admin and event.data == {"email": "newcomer@example.org", "role": "editor", "superseded": []}
    assert token not in str(event.data)


def test_a_new_invitation_replaces_the_open_one(send_invitation):
    first, first_token = send_invitation()
    second, _token = send_invitation(role=MemberRole.VIEWER)
    first.refresh_from_db()
    assert first.revoked_at is not None and second.revoked_at is None
    assert AuditEvent.objects.filter(verb="invitation.create").first().data["superseded"] == [first.pk]
    with pytest.raises(DomainError) as exc:
        invitation_accept(actor=UserFactory(email="newcomer@example.org"), token=first_token)
    assert exc.value.code == "revoked"


def test_members_cannot_be_invited_again(organisation, org_admin, mailoutbox):
    editor = member_of(organisation, MemberRole.EDITOR)
    with pytest.raises(DomainError) as exc:
        invitation_create(actor=org_admin, organisation=organisation, email=editor.email.upper(), role="viewer", base_url=BASE)
    assert exc.value.field == "email" and not Invitation.objects.exists() and mailoutbox == []


def test_accepting_makes_a_member_once(organisation, send_invitation):
    invitation, token = send_invitation()
    invitee = UserFactory(email="newcomer@example.org")
    assert invitee.email_verified_at is None
    membership = invitation_accept(actor=invitee, token=token)
    assert membership.role == MemberRole.EDITOR and membership.organisation == organisation
    assert can_on(User.objects.get(pk=invitee.pk), "edit_applications", organisation)
    assert has_role(User.objects.get(pk=invitee.pk), R.APPLICANT)
    invitee.refresh_from_db()
    assert invitee.email_verified_at is not None
    invitation.refresh_from_db()
    assert invitation.accepted_by == invitee and invitation.accepted_at is not None
    assert AuditEvent.objects.get(verb="invitation.accept").actor == invitee
    assert AuditEvent.objects.get(verb="user.email_verified").data["via"] == "invitation"
    with pytest.raises(DomainError) as exc:
        invitation_accept(actor=invitee, token=token)
    assert exc.value.code == "already_accepted"


def test_an_invitation_expires_after_fourteen_days(send_invitation, clock):
    _invitation, token = send_invitation()
    invitee = UserFactory(email="newcomer@example.org")
    clock.advance(days=14)
    with pytest.raises(DomainError) as exc:
        invitation_accept(actor=invitee, token=token)
    assert exc.value.code == "expired"
    assert not Membership.objects.filter(user=invitee).exists()


def test_an_invitation_is_good_until_it_expires(send_invitation, clock):
    _invitation, token = send_invitation()
    clock.advance(days=14, seconds=-1)
    assert invitation_accept(actor=UserFactory(email="newcomer@example.org"), token=token)


@pytest.mark.parametrize(
    ("who", "token", "code"),
    [
        ("other@example.org", None, "email_mismatch"),
        ("newcomer@example.org", "not-the-token", "invalid"),
        ("newcomer@example.org", "", "invalid"),
    ],
)
def test_accepting_refusals_create_nothing(send_invitation, who, token, code):
    invitation, real_token = send_invitation()
    user = UserFactory(email=who)
    with pytest.raises(DomainError) as exc:
        invitation_accept(actor=user, token=real_token if token is None else token)
    assert exc.value.code == code
    assert not Membership.objects.filter(user=user).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not AuditEvent.objects.filter(verb="invitation.accept").exists()


def test_revoking_is_audited_idempotent_and_refused_once_accepted(organisation, org_admin, send_invitation):
    invitation, token = send_invitation()
    invitation_revoke(actor=org_admin, invitation=invitation)
    invitation_revoke(actor=org_admin, invitation=invitation)
    assert AuditEvent.objects.filter(verb="invitation.revoke").count() == 1
    with pytest.raises(DomainError) as exc:
        invitation_accept(actor=UserFactory(email="newcomer@example.org"), token=token)
    assert exc.value.code == "revoked"

    accepted, token = send_invitation(email="second@example.org")
    invitation_accept(actor=UserFactory(email="second@example.org"), token=token)
    with pytest.raises(DomainError) as exc:
        invitation_revoke(actor=org_admin, invitation=accepted)
    assert exc.value.code == "already_accepted"


def test_an_existing_member_cannot_accept_again(organisation, org_admin, send_invitation):
    _invitation, token = send_invitation(email=org_admin.email.replace("@", "+x@"))
    org_admin.email = org_admin.email.replace("@", "+x@")
    with pytest.raises(DomainError) as exc:
        invitation_accept(actor=org_admin, token=token)
    assert exc.value.code == "already_member"
    assert Membership.objects.get(user=org_admin).role == MemberRole.ORG_ADMIN


def test_registering_from_an_invitation(organisation, send_invitation):
    _invitation, token = send_invitation(role=MemberRole.VIEWER)
    user = invitation_register(token=token, full_name=" Bikash Tamang ", password=PASSWORD)
    assert user.email == "newcomer@example.org" and user.full_name == "Bikash Tamang"
    assert user.check_password(PASSWORD) and user.email_verified_at is not None
    assert has_role(user, R.APPLICANT)
    assert Membership.objects.get(user=user).role == MemberRole.VIEWER
    with pytest.raises(DomainError) as exc:
        invitation_register(token=token, full_name="Again", password=PASSWORD)
    assert exc.value.code == "already_accepted"


def test_registering_refused_when_the_address_has_an_account_or_the_invitation_is_dead(send_invitation, clock):
    _invitation, token = send_invitation()
    UserFactory(email="newcomer@example.org")
    with pytest.raises(DomainError) as exc:
        invitation_register(token=token, full_name="X", password=PASSWORD)
    assert exc.value.code == "email_taken"

    _invitation, token = send_invitation(email="late@example.org")
    clock.advance(days=15)
    with pytest.raises(DomainError) as exc:
        invitation_register(token=token, full_name="X", password=PASSWORD)
    assert exc.value.code == "expired"
    assert not User.objects.filter(email="late@example.org").exists()


# --- Member controls on the organisation page -------------------------------------------------------------------

def _kind_user(kind, organisation, other_organisation):
    if kind in ("editor", "viewer"):
        return member_of(organisation, kind)
    if kind == "other_admin":
        return member_of(other_organisation, MemberRole.ORG_ADMIN)
    return make_user({"officer": R.PROGRAMME_OFFICER, "finance": R.FINANCE_OFFICER, "donor": R.DONOR_OBSERVER,
                      "reviewer": R.REVIEWER}[kind], email_verified_at=timezone.now())


MANAGE_REFUSED = {"editor": 403, "viewer": 403, "other_admin": 404, "officer": 403, "finance": 403, "donor": 403,
                  "reviewer": 404}


@pytest.mark.parametrize(("kind", "status"), MANAGE_REFUSED.items())
def test_only_org_admins_manage_members(client, organisation, other_organisation, org_admin, send_invitation, kind, status):
    invitation, _token = send_invitation()
    target = member_of(organisation, MemberRole.EDITOR).memberships.get()
    client.force_login(_kind_user(kind, organisation, other_organisation))
    pk = organisation.pk
    posts = [
        (f"/organisations/{pk}/invitations/", {"email": "x@example.org", "role": "viewer"}),
        (f"/organisations/{pk}/invitations/{invitation.pk}/withdraw/", {}),
        (f"/organisations/{pk}/members/role/", {"membership": target.pk, "role": "org_admin"}),
        (f"/organisations/{pk}/members/remove/", {"membership": target.pk}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == status, url
    assert Invitation.objects.count() == 1 and Invitation.objects.get().revoked_at is None
    assert Membership.objects.get(pk=target.pk).role == MemberRole.EDITOR
    body = client.get(f"/organisations/{pk}/").content.decode()
    assert "Invite someone" not in body and "/remove/" not in body


def test_member_actions_need_a_login_and_post(client, organisation, org_admin):
    urls = [
        f"/organisations/{organisation.pk}/invitations/",
        f"/organisations/{organisation.pk}/invitations/1/withdraw/",
        f"/organisations/{organisation.pk}/members/role/",
        f"/organisations/{organisation.pk}/members/remove/",
    ]
    for url in urls:
        response = client.post(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    client.force_login(org_admin)
    for url in urls:
        assert client.get(url).status_code == 405, url


def test_org_admin_invites_and_withdraws_from_the_page(client, organisation, org_admin, mailoutbox,
                                                      django_capture_on_commit_callbacks):
    client.force_login(org_admin)
    url = f"/organisations/{organisation.pk}/"
    body = client.get(url).content.decode()
    assert "Invite someone" in body and "No invitation is waiting" in body
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{url}invitations/", {"email": "bikash@example.org", "role": "viewer"}, follow=True)
    assert response.redirect_chain[-1][0] == f"{url}#members"
    body = response.content.decode()
    assert "An invitation was sent to bikash@example.org" in body
    assert "bikash@example.org" in body and "Withdraw" in body
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["bikash@example.org"]
    assert "http://testserver/invitations/" in mailoutbox[0].body

    invitation = Invitation.objects.get()
    response = client.post(f"{url}invitations/{invitation.pk}/withdraw/", follow=True)
    assert "was withdrawn" in response.content.decode()
    assert Invitation.objects.get().revoked_at is not None
    assert "No invitation is waiting" in response.content.decode()


def test_another_organisations_invitation_or_member_cannot_be_touched(client, organisation, other_organisation, org_admin):
    other_admin = member_of(other_organisation, MemberRole.ORG_ADMIN)
    other_invitation = invitation_create(
        actor=other_admin, organisation=other_organisation, email="x@example.org", role="editor", base_url=BASE
    )
    other_membership = other_admin.memberships.get()
    client.force_login(org_admin)
    pk = organisation.pk
    assert client.post(f"/organisations/{pk}/invitations/{other_invitation.pk}/withdraw/").status_code == 404
    response = client.post(f"/organisations/{pk}/members/role/", {"membership": other_membership.pk, "role": "viewer"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    response = client.post(f"/organisations/{pk}/members/remove/", {"membership": other_membership.pk})
    assert response.status_code == 400
    assert Membership.objects.get(pk=other_membership.pk).role == MemberRole.ORG_ADMIN
    assert other_invitation.email not in client.get(f"/organisations/{pk}/").content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-address", "role": "editor"}, "Enter a valid email address."),
        ({"email": "", "role": "editor"}, "This field is required."),
        ({"email": "ok@example.org", "role": "emperor"}, "Select a valid choice."),
    ],
)
def test_bad_invitation_input_is_shown_on_the_field_and_kept(client, organisation, org_admin, data, message):
    client.force_login(org_admin)
    response = client.post(f"/organisations/{organisation.pk}/invitations/", data)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and "The invitation was not sent" in body
    if data["email"]:
        assert f'value="{data["email"]}"' in body
    assert not Invitation.objects.exists()


def test_inviting_a_member_shows_why_on_the_email_field(client, organisation, org_admin):
    client.force_login(org_admin)
    response = client.post(f"/organisations/{organisation.pk}/invitations/", {"email": org_admin.email, "role": "viewer"})
    assert response.status_code == 400
    assert "already a member" in response.context["invite_form"].errors["email"][0]


def test_org_admin_changes_roles_and_removes_members(client, organisation, org_admin):
    editor = member_of(organisation, MemberRole.EDITOR, full_name="Bikash Tamang")
    membership = editor.memberships.get()
    client.force_login(org_admin)
    url = f"/organisations/{organisation.pk}/members/"
    body = client.get(f"/organisations/{organisation.pk}/").content.decode()
    assert f'<option value="{membership.pk}">Bikash Tamang ({editor.email})</option>' in body
    response = client.post(f"{url}role/", {"membership": membership.pk, "role": "viewer"}, follow=True)
    assert response.redirect_chain[-1][0] == f"/organisations/{organisation.pk}/#members"
    assert "The role of Bikash Tamang was changed." in response.content.decode()
    assert Membership.objects.get(pk=membership.pk).role == MemberRole.VIEWER
    response = client.post(f"{url}role/", {"membership": membership.pk, "role": "emperor"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    response = client.post(f"{url}remove/", {"membership": membership.pk}, follow=True)
    assert "Bikash Tamang is no longer a member." in response.content.decode()
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert not can_on(User.objects.get(pk=editor.pk), "view_organisation", organisation)


def test_the_last_admin_cannot_be_removed_or_demoted_and_the_page_says_why(client, organisation, org_admin):
    membership = org_admin.memberships.get()
    client.force_login(org_admin)
    url = f"/organisations/{organisation.pk}/members/"
    for response in (
        client.post(f"{url}role/", {"membership": membership.pk, "role": "editor"}),
        client.post(f"{url}remove/", {"membership": membership.pk}),
    ):
        assert response.status_code == 400
        assert "must keep at least one administrator" in response.content.decode()
    assert Membership.objects.get(pk=membership.pk).role == MemberRole.ORG_ADMIN


def test_an_admin_who_leaves_goes_home_and_one_who_steps_down_stays(client, organisation, org_admin):
    second = member_of(organisation, MemberRole.ORG_ADMIN)
    url = f"/organisations/{organisation.pk}/members/"
    client.force_login(second)
    response = client.post(f"{url}role/", {"membership": second.memberships.get().pk, "role": "viewer"})
    assert response["Location"] == f"/organisations/{organisation.pk}/#members"
    member_of(organisation, MemberRole.ORG_ADMIN)
    client.force_login(org_admin)
    response = client.post(f"{url}remove/", {"membership": org_admin.memberships.get().pk})
    assert response.status_code == 302 and response["Location"] == "/"


def test_organisation_page_queries_do_not_grow_with_members(client, organisation, org_admin):
    client.force_login(org_admin)

    def add(n):
        for _ in range(n):
            member_of(organisation, MemberRole.VIEWER)
            invitation_create(actor=org_admin, organisation=organisation, email=f"invitee{Invitation.objects.count()}@example.org",
                              role="editor", base_url=BASE)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/organisations/{organisation.pk}/")
        assert response.status_code == 200
        body = response.content.decode()
        return len(ctx.captured_queries), (body.count('data-label="Since"'), body.count(">Withdraw</button>"))

    add(4)
    count()  # warms the per-process caches (content types) so both counts measure the page alone
    few, rows = count()
    assert rows == (5, 4)
    add(45)
    many, rows = count()
    assert rows == (50, 49)
    assert few == many
    assert many <= 16  # with the header's count of unread notifications


# --- The invitation page ---------------------------------------------------------------------------------------

def test_visitor_creates_an_account_from_the_invitation(client, organisation, send_invitation):
    _invitation, token = send_invitation(role=MemberRole.VIEWER)
    response = client.get(f"/invitations/{token}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"Join {organisation.legal_name}" in body
    assert 'value="newcomer@example.org" readonly' in body and 'name="email"' not in body
    response = client.post(f"/invitations/{token}/", {"full_name": "Bikash Tamang", "password": PASSWORD,
                                                       "email": "attacker@example.org"})
    assert response.status_code == 302 and response["Location"] == f"/organisations/{organisation.pk}/"
    user = User.objects.get(email="newcomer@example.org")
    assert not User.objects.filter(email="attacker@example.org").exists()
    assert user.email_verified_at is not None
    assert "Welcome to" in client.get(f"/organisations/{organisation.pk}/").content.decode()
    assert client.get(f"/organisations/{organisation.pk}/edit/").status_code == 403  # a viewer, signed in


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"full_name": "Bikash", "password": "short"}, "password", "too short"),
        ({"full_name": "Bikash", "password": "newcomer@example.org"}, "password", "too similar"),
        ({"full_name": "", "password": PASSWORD}, "full_name", "This field is required."),
    ],
)
def test_bad_input_on_the_invitation_page(client, send_invitation, data, field, message):
    _invitation, token = send_invitation()
    response = client.post(f"/invitations/{token}/", data)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    if data["full_name"]:
        assert f'value="{data["full_name"]}"' in response.content.decode()
    assert not User.objects.filter(email="newcomer@example.org").exists()


def test_signed_in_invitee_accepts(client, organisation, send_invitation):
    _invitation, token = send_invitation()
    invitee = make_user(email="newcomer@example.org")
    client.force_login(invitee)
    body = client.get(f"/invitations/{token}/").content.decode()
    assert "Accept the invitation" in body
    response = client.post(f"/invitations/{token}/")
    assert response.status_code == 302
    assert Membership.objects.get(user=invitee).role == MemberRole.EDITOR


def test_visitor_with_an_account_is_asked_to_sign_in(client, send_invitation):
    _invitation, token = send_invitation()
    make_user(email="newcomer@example.org")
    body = client.get(f"/invitations/{token}/").content.decode()
    assert f'href="/accounts/login/?next=/invitations/{token}/"' in body
    assert 'name="password"' not in body
    response = client.post(f"/invitations/{token}/", {"full_name": "X", "password": PASSWORD})
    assert response.status_code == 200 and not Membership.objects.filter(user__email="newcomer@example.org").exists()


def test_wrong_account_is_told_and_not_joined(client, send_invitation):
    _invitation, token = send_invitation()
    someone = make_user(email="someone@example.org")
    client.force_login(someone)
    body = client.get(f"/invitations/{token}/").content.decode()
    assert "was sent to another address" in body and "Accept the invitation" not in body
    response = client.post(f"/invitations/{token}/")
    assert response.status_code == 400
    assert "sent to another e-mail address" in response.content.decode()
    assert not Membership.objects.filter(user=someone).exists()


@pytest.mark.parametrize("state", ["expired", "revoked", "accepted"])
def test_dead_invitations_get_a_clear_page(client, org_admin, send_invitation, clock, state):
    invitation, token = send_invitation()
    if state == "expired":
        clock.advance(days=15)
    elif state == "revoked":
        invitation_revoke(actor=org_admin, invitation=invitation)
    else:
        invitation_accept(actor=UserFactory(email="newcomer@example.org"), token=token)
    response = client.get(f"/invitations/{token}/")
    assert response.status_code == 410
    body = response.content.decode()
    assert "This invitation can no longer be used" in body
    assert {"expired": "It has expired.", "revoked": "withdrawn", "accepted": "already been accepted"}[state] in body
    assert client.post(f"/invitations/{token}/", {"full_name": "X", "password": PASSWORD}).status_code == 410


def test_unknown_invitation_token_is_404_with_a_clear_message(client, db):
    response = client.get("/invitations/no-such-token/")
    assert response.status_code == 404
    assert "This invitation link does not work" in response.content.decode()
