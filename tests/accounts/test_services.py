import pytest

from accounts import roles as R
from accounts.access import can_on, has_role, organisations_for, roles_of
from accounts.models import MemberRole, User
from accounts.services import (
    membership_remove,
    membership_set,
    organisation_create,
    role_grant,
    role_revoke,
    user_create,
)
from audit.models import AuditEvent
from core.errors import DomainError

from ..factories import UserFactory


def test_email_login_is_case_insensitive_and_unique(db, client):
    user = user_create(actor=None, email="Amina@Example.ORG", password="a-long-passphrase")
    assert user.email == "amina@example.org"
    assert client.login(username="AMINA@example.org", password="a-long-passphrase")
    with pytest.raises(DomainError) as exc:
        user_create(actor=None, email="amina@EXAMPLE.org", password="x")
    assert exc.value.field == "email"


def test_roles_are_granted_revoked_and_audited(db, officer):
    user = UserFactory()
    role_grant(actor=officer, user=user, role=R.FINANCE_OFFICER)
    assert has_role(user, R.FINANCE_OFFICER)
    role_grant(actor=officer, user=user, role=R.FINANCE_OFFICER)  # idempotent
    assert AuditEvent.objects.filter(verb="role.grant", target_id=str(user.pk)).count() == 1
    role_revoke(actor=officer, user=user, role=R.FINANCE_OFFICER)
    assert not has_role(User.objects.get(pk=user.pk), R.FINANCE_OFFICER)
    with pytest.raises(DomainError):
        role_grant(actor=officer, user=user, role="emperor")


def test_member_roles_give_object_permissions(db):
    admin, editor, viewer, outsider = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    org = organisation_create(
        actor=admin, legal_name="Shelter Network", country="NP", registration_number="X-1", org_type="22", admin=admin
    )
    membership_set(actor=admin, organisation=org, user=editor, role=MemberRole.EDITOR)
    membership_set(actor=admin, organisation=org, user=viewer, role=MemberRole.VIEWER)
    assert can_on(admin, "manage_members", org) and can_on(admin, "edit_applications", org)
    assert can_on(editor, "edit_applications", org) and not can_on(editor, "manage_members", org)
    assert can_on(viewer, "view_organisation", org) and not can_on(viewer, "edit_applications", org)
    assert not can_on(outsider, "view_organisation", org)
    assert list(organisations_for(viewer)) == [org]
    assert list(organisations_for(outsider)) == []

    # Demoting takes permissions away.
    membership_set(actor=admin, organisation=org, user=editor, role=MemberRole.VIEWER)
    editor = User.objects.get(pk=editor.pk)  # fresh permission cache
    assert not can_on(editor, "edit_applications", org)


def test_an_organisation_keeps_at_least_one_admin(db):
    admin = UserFactory()
    org = organisation_create(
        actor=admin, legal_name="Shelter Network", country="NP", registration_number="X-2", org_type="22", admin=admin
    )
    membership = admin.memberships.get()
    with pytest.raises(DomainError, match="at least one administrator"):
        membership_remove(actor=admin, membership=membership)
    with pytest.raises(DomainError):
        membership_set(actor=admin, organisation=org, user=admin, role=MemberRole.VIEWER)


def test_duplicate_registration_is_refused(db):
    organisation_create(actor=None, legal_name="A", country="NP", registration_number="R-1", org_type="22")
    with pytest.raises(DomainError) as exc:
        organisation_create(actor=None, legal_name="B", country="NP", registration_number="R-1", org_type="22")
    assert exc.value.field == "registration_number"


def test_roles_of_anonymous_and_inactive(db):
    from django.contrib.auth.models import AnonymousUser

    assert roles_of(AnonymousUser()) == frozenset()
    inactive = UserFactory(is_active=False)
    role_grant(actor=None, user=inactive, role=R.PROGRAMME_OFFICER)
    assert roles_of(inactive) == frozenset()


def test_admin_sets_roles_through_the_services(client, db):
    from ..conftest import make_user

    admin = make_user(R.ADMINISTRATOR, is_superuser=True)
    user = UserFactory(email="new.officer@example.org")
    client.force_login(admin)
    response = client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {"email": user.email, "full_name": "New Officer", "is_active": "on", "roles": [R.PROGRAMME_OFFICER, R.REVIEWER]},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert roles_of(user) == {R.PROGRAMME_OFFICER, R.REVIEWER}
    assert user.is_staff
    assert AuditEvent.objects.filter(verb="role.grant", target_id=str(user.pk), actor=admin).count() == 2
    assert AuditEvent.objects.filter(verb="user.admin_change", target_id=str(user.pk)).exists()

    client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {"email": user.email, "full_name": "New Officer", "is_active": "on", "roles": [R.REVIEWER]},
    )
    user = User.objects.get(pk=user.pk)
    assert roles_of(user) == {R.REVIEWER} and not user.is_staff
