"""The kinds of notification: what each is called on the preferences page, how it reaches people unless they chose
otherwise, who may receive it, and how it reads in the list and in e-mails.

A notification stores its kind and its parameters only; the sentence is rendered when shown, in the reader's
language. Parameters are strings or numbers; those named in `Kind.dates` hold ISO dates, those in `Kind.money`
amounts in EUR, and those in `Kind.reports` a reporting period's number or "final", and are written out in the
reader's language and locale. A kind with `variants` reads differently by its "outcome" parameter. A parameter the
caller did not give shows as empty.
"""
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.formats import date_text, money_text

# Role names as in accounts.roles (notifications sits below accounts and may not import it).
APPLICANT, PROGRAMME_OFFICER, REVIEWER = "applicant", "programme_officer", "reviewer"
FINANCE_OFFICER, ADMINISTRATOR = "finance_officer", "administrator"
STAFF = (PROGRAMME_OFFICER, FINANCE_OFFICER, ADMINISTRATOR)


class Channel(models.TextChoices):
    IMMEDIATE = "immediate", _("E-mail at once")
    DIGEST = "digest", _("Daily digest")
    IN_APP = "in_app", _("In the app only")


@dataclass(frozen=True)
class Kind:
    id: str
    label: str  # for the preferences page
    sentence: str  # a translatable sentence with %(name)s parameters
    default: str  # a Channel
    roles: tuple  # who may receive it (the preferences page offers it to them)
    dates: tuple = field(default=())
    money: tuple = field(default=())
    reports: tuple = field(default=())
    variants: dict = field(default_factory=dict)  # {params["outcome"]: the sentence for it}, else `sentence`

    def render(self, params) -> str:
        """The sentence in the active language with `params` filled in."""
        values = _Blank(params or {})
        for name in self.dates:
            values[name] = _as_date(values.get(name))
        for name in self.money:
            values[name] = _as_money(values.get(name))
        for name in self.reports:
            values[name] = _as_report(values.get(name))
        return str(self.variants.get(values.get("outcome"), self.sentence)) % values


class _Blank(dict):
    def __missing__(self, key):
        return ""


def _as_date(value):
    try:
        return date_text(date.fromisoformat(str(value)))
    except ValueError:
        return value or ""


def _as_money(value):
    try:
        return money_text(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return value or ""


def _as_report(value):
    if value == "final":
        return _("the final report")
    return _("interim report %(n)s") % {"n": value} if value else ""


def report_param(*, is_final, number) -> str:
    """A `reports` parameter: "final", or the reporting period's number."""
    return "final" if is_final else str(number)


_ORG = (APPLICANT,)
_REPORT = {"reports": ("report",)}
KINDS = {kind.id: kind for kind in (
    Kind("application_received", _("Application received"),
         _("Application %(reference)s, “%(title)s”, was received."), Channel.IMMEDIATE, _ORG),
    Kind("application_screened", _("Eligibility screening done"),
         _("The eligibility screening of application %(reference)s is complete."), Channel.IMMEDIATE, _ORG, variants={
             "eligible": _("Application %(reference)s passed the eligibility check. It now goes to the evaluation "
                           "panel."),
             "ineligible": _("Application %(reference)s did not pass the eligibility check. Reason: %(reason)s"),
         }),
    Kind("application_awarded", _("Grant awarded"),
         _("Application %(reference)s was awarded a grant. The decision letter is ready."), Channel.IMMEDIATE, _ORG),
    Kind("application_not_awarded", _("Application not selected"),
         _("Application %(reference)s was not selected for a grant. The decision letter is ready."),
         Channel.IMMEDIATE, _ORG),
    Kind("review_assigned", _("Applications to review"),
         _("Applications were assigned to you for review in %(call)s: %(references)s."), Channel.IMMEDIATE,
         (REVIEWER,)),
    Kind("review_reopened", _("Review reopened"),
         _("Your review of application %(reference)s was reopened. Reason: %(reason)s"), Channel.IMMEDIATE,
         (REVIEWER,)),
    Kind("report_submitted", _("Report submitted"),
         _("%(organisation)s submitted %(report)s of grant %(grant)s for review."), Channel.DIGEST,
         (PROGRAMME_OFFICER,), **_REPORT),
    Kind("report_approved", _("Report approved"), _("Grant %(grant)s: %(report)s was approved."),
         Channel.IMMEDIATE, _ORG, **_REPORT),
    Kind("report_changes_requested", _("Changes requested to a report"),
         _("Grant %(grant)s: changes were requested to %(report)s."), Channel.IMMEDIATE, _ORG, **_REPORT),
    Kind("result_returned", _("Results sent back"),
         _("Grant %(grant)s: the results of period %(period)s were sent back with a comment (%(indicator)s)."),
         Channel.IMMEDIATE, _ORG),
    Kind("report_due", _("Report reminders"), _("Grant %(grant)s: %(report)s is due on %(due)s."),
         Channel.IMMEDIATE, _ORG, dates=("due",), **_REPORT, variants={
             "overdue": _("Grant %(grant)s: %(report)s was due on %(due)s and has not been submitted."),
         }),
    Kind("agreement_ready_to_sign", _("Agreement ready to sign"),
         _("The grant agreement %(grant)s is ready to sign."), Channel.IMMEDIATE, _ORG),
    Kind("agreement_signed", _("Agreement signed"), _("The grant agreement %(grant)s was signed."),
         Channel.IMMEDIATE, _ORG),
    Kind("payment_made", _("Payment made"),
         _("A payment of %(amount)s was made on grant %(grant)s, value date %(value_date)s."), Channel.IMMEDIATE,
         _ORG, dates=("value_date",), money=("amount", "offset", "received"), variants={
             "offset": _("A payment of %(amount)s was made on grant %(grant)s, value date %(value_date)s: "
                         "%(offset)s of it was offset against recovery order %(order)s, so you received %(received)s."),
         }),
    Kind("recovery_order_issued", _("Recovery orders"),
         _("A recovery order of %(amount)s was issued on grant %(grant)s, due on %(due)s."), Channel.IMMEDIATE,
         _ORG, dates=("due",), money=("amount",)),
    Kind("grant_request_submitted", _("Requests from grantees"),
         _("Grant %(grant)s: %(organisation)s sent request %(request)s."), Channel.IMMEDIATE,
         (PROGRAMME_OFFICER, FINANCE_OFFICER, ADMINISTRATOR)),
    Kind("grant_request_decided", _("Answers to your requests"),
         _("Grant %(grant)s: your request %(request)s was answered."), Channel.IMMEDIATE, _ORG, variants={
             "approved": _("Grant %(grant)s: your request %(request)s was approved."),
             "rejected": _("Grant %(grant)s: your request %(request)s was declined. The reason: %(reason)s"),
             "paid": _("Grant %(grant)s: the payment you requested (%(request)s) was made."),
         }),
    Kind("finding_recorded", _("Findings of checks"),
         _("Check %(check)s of grant %(grant)s recorded a finding (ineligible amount %(amount)s)."), Channel.IMMEDIATE,
         _ORG, money=("amount",)),
    Kind("message_received", _("New messages"), _("New message about %(topic)s."), Channel.IMMEDIATE,
         _ORG + (REVIEWER,) + STAFF),
    Kind("clarification_published", _("Clarifications on calls"),
         _("A clarification was published on the call %(call)s."), Channel.DIGEST, _ORG + (PROGRAMME_OFFICER,)),
    Kind("diligence_outcome", _("Due diligence outcome"),
         _("There is news about the due diligence of %(organisation)s."), Channel.IMMEDIATE, _ORG, variants={
             "verified": _("The programme team has completed the due-diligence checks of %(organisation)s and "
                           "verified it."),
             "withdrawn": _("The programme team has withdrawn the verification of %(organisation)s while it reviews "
                            "its due diligence."),
             "document_rejected": _("A due-diligence document of %(organisation)s needs to be replaced. The programme "
                                    "team's note: %(note)s"),
         }),
)}


def kinds_for(role_names) -> list:
    """The kinds a person with these roles may receive, in the registry's order."""
    return [kind for kind in KINDS.values() if any(role in role_names for role in kind.roles)]
