"""`{% recovery_orders grant %}`: a grant's recovery orders, read-only, on the grantee's grant page (reports may not
import this app's pages); `{% recovery_orders grant staff=True %}` on the programme's agreement page, with links
to each order and, for finance, to a new one. Two queries; nothing is shown to the grantee without an order.
`{% with_offsets payments as payments %}`: the payments with what was offset against each (one query), so a table
of payments says what the grantee received."""
from django import template

from accounts import roles as R
from accounts.access import has_role

from ..recovery.selectors import grant_orders, with_offsets as _with_offsets

register = template.Library()


@register.inclusion_tag("recovery/_grant_orders.html", takes_context=True)
def recovery_orders(context, grant, staff=False):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "grant": grant, "orders": grant_orders(grant), "staff": staff,
        "can_issue": staff and user is not None and has_role(user, R.FINANCE_OFFICER) and bool(grant.signed_on),
    }


@register.simple_tag
def with_offsets(payments):
    return _with_offsets(payments)
