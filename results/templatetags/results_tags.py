"""Results in templates: `{{ cell|figure }}` shows a figure of `results.suppression` (a number, "not reported", or
a dash read out as "suppressed"); `{% grant_results grant %}` is the grantee's results section on its grant page
(`reports` may not import this app), `{% grant_results grant staff=True %}` the programme's."""
from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from ..charts import figure_text
from ..selectors import grant_results as grant_results_of

register = template.Library()


@register.filter
def figure(cell):
    if cell.suppressed:
        return format_html('<span aria-hidden="true">–</span><span class="visually-hidden">{}</span>', _("suppressed"))
    if cell.value is None:
        return format_html('<span class="muted">{}</span>', _("not reported"))
    return figure_text(cell.value)


@register.filter
def number(value):
    """A target or a grant's own value; "–" read out as "none" when there is none."""
    if value is None:
        return format_html('<span aria-hidden="true">–</span><span class="visually-hidden">{}</span>', _("none"))
    return figure_text(value)


@register.inclusion_tag("results/_grant_results.html")
def grant_results(grant, staff=False):
    """`staff`: the programme's grant page, whose links go to the review of each period instead of its entry."""
    periods, rows = grant_results_of(grant)
    return {
        "grant": grant, "periods": list(periods.values()), "staff": staff,
        "rows": [(indicator, [(r, periods.get(r.group["period"])) for r in results]) for indicator, results in rows],
    }
