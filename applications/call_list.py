"""The officer's list of a call's applications: its columns, filters and search (lists.listing), and the bulk
actions on its matches (lists.bulk)."""
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts import roles as R
from accounts.access import has_role
from lists.bulk import BulkAction, register
from lists.listing import Column, Filter, ListSpec

from .models import Application, ApplicationStatus
from .review.services import assignments_for_application
from .services import screening_record_outcome

LIST_NAME = "screening"


def call_applications(call):
    """Every submitted application of the call, with what a row shows."""
    return (
        Application.objects.filter(call=call, submitted_at__isnull=False)
        .select_related("organisation", "objective", "screening")
        .prefetch_related("countries")
    )


def _countries(application):
    return ", ".join(str(c.code) for c in application.countries.all())


def _has_country(queryset, code):
    through = Application.countries.through
    return queryset.filter(Exists(through.objects.filter(application_id=OuterRef("pk"), country__code=code)))


def call_list_spec(call) -> ListSpec:
    statuses = [(s.value, s.label) for s in ApplicationStatus if s != ApplicationStatus.DRAFT]
    return ListSpec(
        name=LIST_NAME,
        columns=(
            Column("reference", _("Reference"), lambda a: a.reference, sort=("sequence",)),
            Column("applicant", _("Applicant"), lambda a: a.organisation.legal_name, sort=("organisation__legal_name",)),
            Column("title", _("Title"), lambda a: a.title, sort=("title",)),
            Column("countries", _("Countries"), _countries),
            Column("requested", _("Requested (EUR)"), lambda a: a.requested_amount, kind="money", sort=("requested_amount",)),
            Column("received", _("Received (UTC)"), lambda a: a.submitted_at, kind="datetime", sort=("submitted_at",)),
            Column("status", _("Status"), lambda a: a.get_status_display(), sort=("status",)),
        ),
        filters=(
            Filter("status", _("Status"), lambda: statuses, lambda qs, v: qs.filter(status=v)),
            Filter("country", _("Country"), lambda: [(str(c.code), c.name) for c in call.countries.order_by("name")], _has_country),
            Filter(
                "objective", _("Objective"),
                lambda: [(str(o.pk), f"{o.number}. {o.title[:40]}") for o in call.objectives.order_by("number")],
                lambda qs, v: qs.filter(objective_id=v),
            ),
        ),
        search_fields=("reference", "title", "organisation__legal_name"),
        search_label=_("Reference, applicant or title"),
        default_sort="reference",
    )


def may_act_on_applications(user):
    return has_role(user, R.PROGRAMME_OFFICER, R.ADMINISTRATOR)


def applications_by_id(ids):
    return Application.objects.filter(pk__in=ids).select_related("call", "organisation", "submitted_by")


def reference_of(application):
    return application.reference


def screening_url(application):
    return reverse("screening_detail", args=[application.pk])


register(BulkAction(
    name="screening.eligible", list_name=LIST_NAME, label=_("Screen as eligible"), objects=applications_by_id,
    run=lambda *, actor, obj, params: screening_record_outcome(actor=actor, application=obj, eligible=True),
    describe=reference_of, url=screening_url, allowed=may_act_on_applications,
))
register(BulkAction(
    name="screening.ineligible", list_name=LIST_NAME, label=_("Screen as not eligible"), objects=applications_by_id,
    run=lambda *, actor, obj, params: screening_record_outcome(
        actor=actor, application=obj, eligible=False, failed_check=params.get("failed_check", ""), reason=params.get("reason", ""),
    ),
    describe=reference_of, url=screening_url, allowed=may_act_on_applications,
))
register(BulkAction(
    name="screening.assign", list_name=LIST_NAME, label=_("Assign to the panel's reviewers"), objects=applications_by_id,
    run=lambda *, actor, obj, params: assignments_for_application(actor=actor, application=obj),
    describe=reference_of, url=screening_url, allowed=may_act_on_applications,
))
