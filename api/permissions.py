"""Who may use each API list at all (403 otherwise), decided as the pages decide. Which objects a permitted user
then sees is up to the access functions the views call (another organisation's object is a 404)."""
from rest_framework.permissions import BasePermission

from accounts import roles as R
from accounts.access import has_role
from grants.access import may_read_grants


class HasRole(BasePermission):
    """The user holds one of `roles` (accounts.access.require_role). Build one with `role_permission(...)`."""

    roles: tuple = ()

    def has_permission(self, request, view):
        return has_role(request.user, *self.roles)


def role_permission(*roles) -> type[HasRole]:
    return type("HasRole", (HasRole,), {"roles": roles})


class ReadsGrantees(BasePermission):
    """Programme staff and donor observers, or a member of some organisation: the readers of the grant pages
    (grants.access.may_read_grants). A reviewer or an applicant without an organisation is refused."""

    def has_permission(self, request, view):
        return may_read_grants(request.user)


# Applications: members of the applying organisations and programme staff (reviewers and donors read them on the
# review pages or as counts only).
ApplicationReaders = role_permission(R.APPLICANT, *R.STAFF_ROLES)
# Reviews: reviewers (their own assignments) and the officers who run panels (applications.review.views).
ReviewReaders = role_permission(R.REVIEWER, R.PROGRAMME_OFFICER, R.ADMINISTRATOR)
EnvelopeReaders = role_permission(*R.ENVELOPE_READERS)
# Results: the readers of the results dashboard (results.views), who are the envelope's.
ResultsReaders = EnvelopeReaders
