from . import roles as R
from .access import roles_of


def roles(request):
    """The signed-in user's roles, for navigation: `roles.finance_officer` etc. are booleans in templates."""
    names = roles_of(getattr(request, "user", None))
    return {"roles": {role: role in names for role in R.ALL_ROLES}, "role_names": sorted(names)}
