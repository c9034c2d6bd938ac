"""`{% payment_exchange grant payments as rows %}`: a grant's payment table rows with each local-currency payment's
programme rate and exchange difference (disbursements.exchange), on the staff agreement page and the grantee's grant
page alike (reports may not import this app's pages). One query for all the rows' rates."""
from django import template

from ..exchange import payment_differences

register = template.Library()


@register.simple_tag
def payment_exchange(grant, payments):
    return payment_differences(grant, payments)
