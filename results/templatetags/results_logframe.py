"""The application's standard indicators on its pages (`applications` may not import this app):
`{% logframe_indicators application %}` is the read-only section (applicant's page, review before submission, the
officers' screening page, reviewers); `{% logframe_indicators_link application %}` the way to the picker from the
application form."""
from django import template

from ..logframe import planned_for, planned_table, programme_indicators

register = template.Library()


@register.inclusion_tag("results/_logframe_section.html", takes_context=True)
def logframe_indicators(context, application):
    """One query when nothing was picked, two otherwise (the picks, and the programme row for the periods, unless
    the application came with its call's programme)."""
    planned = planned_for(application)
    return {"application": application, "table": planned_table(application, planned) if planned else None,
            "request": context.get("request")}


@register.inclusion_tag("results/_logframe_link.html")
def logframe_indicators_link(application):
    planned = planned_for(application)
    return {"application": application, "planned": planned,
            "available": bool(planned) or programme_indicators(application.call.programme).exists()}
