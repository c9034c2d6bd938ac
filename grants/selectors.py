"""Reads of programmes, calls and the envelope position, at a fixed number of queries."""
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.access import is_programme_staff
from core.money import ZERO, round_money

from .ledger import balances
from .models import Call, CallDocument, CallStatus, CallText, Country, Envelope, LedgerKind, Objective, Programme


@dataclass(frozen=True)
class CallPosition:
    call: Call
    allocated: Decimal
    committed: Decimal
    disbursed: Decimal  # net: paid less recovered
    paid: Decimal = Decimal("0.00")  # payments less reversals
    recovered: Decimal = Decimal("0.00")  # refunds received and amounts offset

    @property
    def available(self) -> Decimal:
        """What the call can still commit to new grants."""
        return self.allocated - self.committed


@dataclass(frozen=True)
class EnvelopePosition:
    programme: Programme
    envelope: Decimal
    allocated: Decimal
    committed: Decimal
    disbursed: Decimal  # net: paid less recovered (grants.ledger)
    calls: list = field(default_factory=list)
    paid: Decimal = Decimal("0.00")  # payments less reversals
    recovered: Decimal = Decimal("0.00")  # refunds received and amounts offset

    @property
    def available(self) -> Decimal:
        """What is left of the envelope to allocate to calls."""
        return self.envelope - self.allocated

    @property
    def uncommitted_in_calls(self) -> Decimal:
        """Allocated to calls but not yet committed to grants (the sum of the calls' available amounts)."""
        return self.allocated - self.committed

    def as_dict(self):
        def amount(value):
            return f"{round_money(value):.2f}"

        return {
            "programme": self.programme.short_name,
            "programme_code": self.programme.code,
            "currency": self.programme.currency,
            "envelope": amount(self.envelope),
            "allocated": amount(self.allocated),
            "committed": amount(self.committed),
            "disbursed": amount(self.disbursed),
            "paid": amount(self.paid),
            "recovered": amount(self.recovered),
            "available": amount(self.available),
            "calls": [
                {
                    "reference": p.call.reference,
                    "title": p.call.title,
                    "status": p.call.status,
                    "allocated": amount(p.allocated),
                    "committed": amount(p.committed),
                    "disbursed": amount(p.disbursed),
                    "paid": amount(p.paid),
                    "recovered": amount(p.recovered),
                    "available": amount(p.available),
                }
                for p in self.calls
            ],
        }


def _call_sum(kind):
    return Coalesce(Sum("ledger_entries__amount", filter=Q(ledger_entries__kind=kind)), ZERO)


# Cached figures are keyed by the envelope's ledger version, which every write they read moves in its transaction
# (grants.ledger.figures_changed). The timeout bounds how long a renamed call, grant or organisation may show its
# old name, as those edits do not move the version.
FIGURES_TIMEOUT = 15 * 60


def figures_key(kind: str, programme: Programme, *parts) -> str | None:
    """The cache key of a programme's figures of `kind` at its current ledger version (one query), or None when
    the programme has no envelope."""
    version = Envelope.objects.filter(programme_id=programme.pk).values_list("ledger_version", flat=True).first()
    if version is None:
        return None
    return ":".join(str(part) for part in ("figures", kind, programme.pk, version, *parts))


def cached_figures(key: str | None, compute):
    """The figures under `key`, computed from the rows and stored on a miss. The key is read before computing, so
    figures stored under a version include at least every write up to it."""
    if key is None:
        return compute()
    figures = cache.get(key)
    if figures is None:
        figures = compute()
        cache.set(key, figures, FIGURES_TIMEOUT)
    return figures


def envelope_position(programme: Programme) -> EnvelopePosition:
    """The envelope overall and per call, from the cache (one query) or from the rows."""
    position = cached_figures(figures_key("position", programme), lambda: envelope_position_from_rows(programme))
    return replace(position, programme=programme)


def envelope_position_from_rows(programme: Programme) -> EnvelopePosition:
    """The envelope overall and per call from the ledger rows, in three queries whatever the number of calls and
    entries. The envelope row is read afresh: the programme may have been read before a resize."""
    envelope = Envelope.objects.get(programme_id=programme.pk)
    totals = balances(envelope=envelope)
    calls = (
        Call.objects.filter(programme=programme)
        .annotate(
            allocated_sum=_call_sum(LedgerKind.ALLOCATION),
            committed_sum=_call_sum(LedgerKind.COMMITMENT),
            paid_sum=_call_sum(LedgerKind.DISBURSEMENT),
            recovery_sum=_call_sum(LedgerKind.RECOVERY),
        )
        .order_by("reference")
    )
    return EnvelopePosition(
        programme=programme,
        envelope=envelope.amount.amount,
        allocated=totals.allocated,
        committed=totals.committed,
        disbursed=totals.disbursed,
        paid=totals.paid,
        recovered=totals.recovered,
        calls=[
            CallPosition(
                call=c,
                allocated=round_money(c.allocated_sum),
                committed=round_money(c.committed_sum),
                disbursed=round_money(c.paid_sum + c.recovery_sum),
                paid=round_money(c.paid_sum),
                recovered=round_money(ZERO - c.recovery_sum),
            )
            for c in calls
        ],
    )


def programmes_with_envelope():
    return Programme.objects.filter(envelope__isnull=False).select_related("envelope").order_by("start_date", "code")


# Calls the public may see. Drafts are seen by programme staff only, as previews.
PUBLIC_STATUSES = (CallStatus.PUBLISHED, CallStatus.CLOSED)


class CallState(models.TextChoices):
    """Where a call stands for applicants at a given moment (its status and its dates together)."""

    CLOSING_SOON = "closing_soon", _("Closing soon")
    OPEN = "open", _("Open")
    UPCOMING = "upcoming", _("Upcoming")
    CLOSED = "closed", _("Closed")
    DRAFT = "draft", _("Draft - not public")


def call_state(call: Call, moment) -> CallState:
    """The deadline itself is already too late, as in Call.is_open_at."""
    if call.status == CallStatus.DRAFT:
        return CallState.DRAFT
    if call.status == CallStatus.CLOSED or moment >= call.closes_at:
        return CallState.CLOSED
    if moment < call.opens_at:
        return CallState.UPCOMING
    if call.closes_at - moment <= timedelta(days=Call.CLOSING_SOON_DAYS):
        return CallState.CLOSING_SOON
    return CallState.OPEN


def _visible_statuses(user):
    return CallStatus.values if is_programme_staff(user) else PUBLIC_STATUSES


@dataclass(frozen=True)
class CallTexts:
    """What a visitor reads of a call: in their language where the officer gave it, else in the call's own."""

    title: str
    description: str
    eligibility: str
    language: str  # the language these texts are in
    fallback: bool  # True when the reader's language was not available


def _texts_in_language():
    language = translation.get_language() or settings.LANGUAGE_CODE
    return Prefetch("texts", queryset=CallText.objects.filter(language=language), to_attr="texts_in_language")


def call_texts(call) -> CallTexts:
    """The call's public texts for the active language; reads the prefetch of `_texts_in_language` when there is one."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    if language != call.language:
        found = getattr(call, "texts_in_language", None)
        if found is None:
            found = list(call.texts.filter(language=language))
        if found:
            text = found[0]
            return CallTexts(text.title, text.description, text.eligibility, language, False)
    return CallTexts(call.title, call.description, call.eligibility, call.language, language != call.language)


def public_calls(*, country=None, objective=None, moment=None) -> list[tuple[CallState, list[Call]]]:
    """Published and closed calls grouped by state, non-empty groups only, in one query.

    Each call carries `state` and `countries_count`. Open calls come soonest deadline first, upcoming ones
    soonest opening first, closed ones most recent first.
    """
    moment = moment or timezone.now()
    calls = (
        Call.objects.filter(status__in=PUBLIC_STATUSES)
        .select_related("programme")
        .prefetch_related(_texts_in_language())
        .annotate(countries_count=Count("countries", distinct=True))
        .order_by("closes_at", "programme__code", "reference")
    )
    # Exists() rather than a join, so that countries_count still counts all the call's countries.
    if country is not None:
        calls = calls.filter(Exists(Call.countries.through.objects.filter(call=OuterRef("pk"), country=country)))
    if objective is not None:
        calls = calls.filter(Exists(Call.objectives.through.objects.filter(call=OuterRef("pk"), objective=objective)))
    groups = {state: [] for state in CallState}
    for call in calls:
        call.state = call_state(call, moment)
        call.text = call_texts(call)
        groups[call.state].append(call)
    groups[CallState.UPCOMING].sort(key=lambda c: c.opens_at)
    groups[CallState.CLOSED].reverse()
    return [(state, groups[state]) for state in CallState if groups[state]]


def public_call_countries():
    return Country.objects.filter(calls__status__in=PUBLIC_STATUSES).distinct().order_by("name")


def public_call_objectives():
    return (
        Objective.objects.filter(calls__status__in=PUBLIC_STATUSES)
        .select_related("programme")
        .distinct()
        .order_by("programme__code", "number")
    )


def call_for(user, *, programme_code, reference) -> Call:
    """One call with what its page shows, or 404: drafts exist only for programme staff."""
    calls = (
        Call.objects.filter(status__in=_visible_statuses(user))
        .select_related("programme")
        .prefetch_related("objectives", "countries", "documents", _texts_in_language())
    )
    try:
        call = calls.get(programme__code=programme_code, reference=reference)
    except Call.DoesNotExist:
        raise Http404 from None
    call.text = call_texts(call)
    return call


def call_document_for(user, *, programme_code, reference, pk) -> CallDocument:
    """A document of a call the user may see, or 404."""
    try:
        return CallDocument.objects.get(
            pk=pk,
            call__programme__code=programme_code,
            call__reference=reference,
            call__status__in=_visible_statuses(user),
        )
    except CallDocument.DoesNotExist:
        raise Http404 from None


def open_calls(moment=None) -> list[Call]:
    """Calls taking applications now (published, opened, deadline not passed), soonest deadline first, each with
    its texts in the reader's language (`call.text`)."""
    moment = moment or timezone.now()
    calls = list(
        Call.objects.filter(status=CallStatus.PUBLISHED, opens_at__lte=moment, closes_at__gt=moment)
        .select_related("programme")
        .prefetch_related(_texts_in_language())
        .order_by("closes_at", "reference")
    )
    for call in calls:
        call.text = call_texts(call)
    return calls
