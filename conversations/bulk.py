"""Bulk messages: the same message posted in each chosen application's conversation (a bulk action of the
officer's call list), each through `post_message`, so each applicant is told as for a single message."""
from django.utils.translation import gettext_lazy as _

from applications.call_list import LIST_NAME, applications_by_id, may_act_on_applications, reference_of, screening_url
from lists.bulk import BulkAction, register

from .services import post_message

register(BulkAction(
    name="screening.message", list_name=LIST_NAME, label=_("Send a message to the applicants"), objects=applications_by_id,
    run=lambda *, actor, obj, params: post_message(actor=actor, body=params.get("body", ""), application=obj),
    describe=reference_of, url=screening_url, allowed=may_act_on_applications,
))
