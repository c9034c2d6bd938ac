"""`{% grant_findings grant %}`: the findings of the checks of a grant, on the grantee's grant page, each linking to
its page where the grantee answers. One query; nothing is shown without a finding."""
from django import template

from ..verification.models import Finding

register = template.Library()


@register.inclusion_tag("verification/_grant_findings.html")
def grant_findings(grant):
    return {"grant": grant, "findings": list(Finding.objects.filter(grant=grant).select_related("check_ref__grant"))}
