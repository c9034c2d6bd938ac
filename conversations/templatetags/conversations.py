"""`{% panel_clarifications application %}`: the clarifications an officer shared with the assessment panel, for the
reviewer's scoring page (which lives in `applications`, an app that may not import this one)."""
from django import template

from ..selectors import shared_with_panel

register = template.Library()


@register.inclusion_tag("conversations/_panel.html")
def panel_clarifications(application):
    return {"shared": shared_with_panel(application)}
