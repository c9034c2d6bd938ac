"""Due diligence of organisations: documents and their review, flags, sanctions screening and verification.

Every service locks the organisation's row first, so the checks and changes of one organisation's due diligence
happen one at a time, and `organisation_verify` decides on exactly what `diligence_status` shows.

Verification is a decision taken at a moment: a later upload does not undo it, but confirming a red flag (or a
sanctions match, which is a red flag) withdraws it in the same transaction. Awards check `award_blockers`, which
also counts red flags still open.
"""
from dataclasses import asdict, dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, IntegerField, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext

from audit.services import audit_record
from core.errors import DomainError
from core.uploads import safe_download_name, validate_upload
from notifications.services import notify

from .. import roles as R
from ..access import can_on, has_role, require_verified_email_to_upload
from ..models import (
    DocumentKind,
    DocumentStatus,
    DueDiligenceDocument,
    Flag,
    FlagLevel,
    FlagStatus,
    MemberRole,
    Organisation,
    SanctionsEntry,
    User,
)
from ..sanctions import DEFAULT_THRESHOLD, Screener, normalise_name

# Who reviews documents, raises and resolves flags and verifies organisations.
OFFICER_ROLES = (R.PROGRAMME_OFFICER, R.ADMINISTRATOR)
# Organisation permissions that let a member upload the organisation's documents (org admins and editors).
UPLOAD_PERMS = ("change_organisation", "edit_applications")

# A document is reviewed once; a rejected one is replaced by a new upload, which supersedes it.
DOCUMENT_TRANSITIONS = {
    DocumentStatus.SUBMITTED: {DocumentStatus.ACCEPTED, DocumentStatus.REJECTED},
    DocumentStatus.ACCEPTED: set(),
    DocumentStatus.REJECTED: set(),
}
FLAG_TRANSITIONS = {
    FlagStatus.OPEN: {FlagStatus.CONFIRMED, FlagStatus.DISMISSED},
    FlagStatus.CONFIRMED: set(),
    FlagStatus.DISMISSED: set(),
}
BLOCKING_FLAG_STATUSES = (FlagStatus.OPEN, FlagStatus.CONFIRMED)


def is_diligence_officer(user):
    return has_role(user, *OFFICER_ROLES)


def can_upload_documents(user, organisation):
    return any(can_on(user, perm, organisation) for perm in UPLOAD_PERMS)


# --- Reads -----------------------------------------------------------------------------------------------------

class ScreeningState:
    NO_LIST = "no_list"
    NEVER = "never"
    OUTDATED = "outdated"
    CLEAR = "clear"
    POTENTIAL = "potential"
    CONFIRMED = "confirmed"

    LABELS = {
        NO_LIST: gettext_lazy("No sanctions list imported yet"),
        NEVER: gettext_lazy("Never screened"),
        OUTDATED: gettext_lazy("Screened before the latest list import"),
        CLEAR: gettext_lazy("Clear"),
        POTENTIAL: gettext_lazy("Potential matches to review"),
        CONFIRMED: gettext_lazy("Confirmed match"),
    }


@dataclass(frozen=True)
class Screening:
    screened_at: datetime | None
    last_import_at: datetime | None
    open_matches: int
    confirmed_matches: int

    @property
    def state(self):
        if self.confirmed_matches:
            return ScreeningState.CONFIRMED
        if self.open_matches:
            return ScreeningState.POTENTIAL
        if self.last_import_at is None:
            return ScreeningState.NO_LIST
        if self.screened_at is None:
            return ScreeningState.NEVER
        if self.screened_at < self.last_import_at:
            return ScreeningState.OUTDATED
        return ScreeningState.CLEAR

    @property
    def label(self):
        return ScreeningState.LABELS[self.state]

    @property
    def is_clear(self):
        return self.state == ScreeningState.CLEAR


@dataclass(frozen=True)
class DocumentState:
    kind: str
    document: DueDiligenceDocument | None  # the latest upload of this kind

    @property
    def label(self):
        return DocumentKind(self.kind).label

    @property
    def status(self):
        return self.document.status if self.document else None

    @property
    def is_accepted(self):
        return self.status == DocumentStatus.ACCEPTED


def _blocking_reasons(*, document_statuses, screening, red_flags):
    """Why an organisation cannot be verified; `document_statuses` maps each DocumentKind to its latest status."""
    reasons = []
    for kind in DocumentKind:
        status = document_statuses.get(kind)
        values = {"document": kind.label}
        if status is None:
            reasons.append(_("%(document)s: not uploaded yet.") % values)
        elif status == DocumentStatus.SUBMITTED:
            reasons.append(_("%(document)s: waiting for review.") % values)
        elif status == DocumentStatus.REJECTED:
            reasons.append(_("%(document)s: rejected; a new version is needed.") % values)
    state = screening.state
    if state == ScreeningState.CONFIRMED:
        reasons.append(_("The organisation matches an entry on a sanctions list."))
    elif state == ScreeningState.POTENTIAL:
        reasons.append(
            ngettext(
                "%(count)d potential sanctions match is to be confirmed or dismissed.",
                "%(count)d potential sanctions matches are to be confirmed or dismissed.",
                screening.open_matches,
            ) % {"count": screening.open_matches}
        )
    elif state == ScreeningState.NO_LIST:
        reasons.append(_("No sanctions list has been imported, so the organisation cannot be screened."))
    elif state == ScreeningState.NEVER:
        reasons.append(_("The organisation has not been screened against the sanctions lists."))
    elif state == ScreeningState.OUTDATED:
        reasons.append(_("A sanctions list was imported after the last screening: screen the organisation again."))
    if red_flags:
        reasons.append(
            ngettext("%(count)d red flag is open or confirmed.", "%(count)d red flags are open or confirmed.", red_flags)
            % {"count": red_flags}
        )
    return reasons


@dataclass(frozen=True)
class DiligenceStatus:
    """The due-diligence checklist of one organisation, as `diligence_status` reads it."""

    organisation: Organisation
    documents: list[DocumentState]
    screening: Screening
    flags: list[Flag]  # newest first, sanctions matches included
    blocking_reasons: list[str]

    @property
    def is_verified(self):
        return self.organisation.is_verified

    @property
    def can_be_verified(self):
        return not self.blocking_reasons

    @property
    def accepted_documents(self):
        return sum(d.is_accepted for d in self.documents)

    @property
    def open_flags(self):
        """Red ones first, then yellow, then observations; newest first within a level."""
        severity = list(reversed(FlagLevel.values))
        return sorted((f for f in self.flags if f.status == FlagStatus.OPEN), key=lambda f: severity.index(f.level))

    @property
    def resolved_flags(self):
        return [f for f in self.flags if f.status != FlagStatus.OPEN]


def last_sanctions_import():
    return SanctionsEntry.objects.aggregate(last=Max("imported_at"))["last"]


def _latest_first(queryset):
    return queryset.order_by("-uploaded_at", "-pk")


def diligence_status(organisation) -> DiligenceStatus:
    """The organisation's documents, screening, flags and what stands in the way of verifying it (three queries)."""
    latest = {}
    documents = _latest_first(organisation.dd_documents.select_related("uploaded_by", "reviewed_by"))
    for document in documents:
        latest.setdefault(document.kind, document)
    flags = list(organisation.flags.select_related("sanctions_entry", "raised_by", "resolved_by").order_by("-raised_at", "-pk"))
    matches = [f for f in flags if f.sanctions_entry_id]
    screening = Screening(
        screened_at=organisation.sanctions_screened_at,
        last_import_at=last_sanctions_import(),
        open_matches=sum(f.status == FlagStatus.OPEN for f in matches),
        confirmed_matches=sum(f.status == FlagStatus.CONFIRMED for f in matches),
    )
    red_flags = sum(
        f.level == FlagLevel.RED and f.status in BLOCKING_FLAG_STATUSES and not f.sanctions_entry_id for f in flags
    )
    return DiligenceStatus(
        organisation=organisation,
        documents=[DocumentState(kind, latest.get(kind)) for kind in DocumentKind.values],
        screening=screening,
        flags=flags,
        blocking_reasons=_blocking_reasons(
            document_statuses={kind: d.status for kind, d in latest.items()}, screening=screening, red_flags=red_flags
        ),
    )


def award_blockers(organisation) -> list[str]:
    """Why no grant may be awarded to the organisation now: not verified, or a red flag open or confirmed.

    Reads the database afresh (one query); call it inside the award's transaction, after locking the organisation.
    """
    return award_blockers_many([organisation.pk])[organisation.pk]


def award_blockers_many(organisation_ids) -> dict[int, list[str]]:
    """`award_blockers` for many organisations in one query: {organisation id: reasons (empty when none)}."""
    rows = (
        Organisation.objects.filter(pk__in=list(organisation_ids))
        .annotate(red=_count(Flag.objects.filter(level=FlagLevel.RED, status__in=BLOCKING_FLAG_STATUSES)))
        .values("pk", "verified_at", "red")
    )
    blockers = {}
    for row in rows:
        reasons = []
        if row["verified_at"] is None:
            reasons.append(_("The organisation's due diligence has not been verified."))
        if row["red"]:
            reasons.append(
                ngettext(
                    "The organisation has %(count)d red flag open or confirmed.",
                    "The organisation has %(count)d red flags open or confirmed.",
                    row["red"],
                ) % {"count": row["red"]}
            )
        blockers[row["pk"]] = reasons
    return blockers


def _count(flags):
    """How many of these flags belong to the outer query's organisation, as a subquery."""
    counted = flags.filter(organisation=OuterRef("pk")).order_by().values("organisation").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


@dataclass(frozen=True)
class DiligenceSummary:
    """One organisation's line on the officers' list."""

    organisation: Organisation
    accepted_documents: int
    screening: Screening
    open_flags: int
    blocking_reasons: list[str]

    @property
    def can_be_verified(self):
        return not self.blocking_reasons


def diligence_overview():
    """Organisations with their checklist progress, as a queryset whose rows `diligence_summaries` turns into lines."""
    matches = Flag.objects.filter(sanctions_entry__isnull=False)
    latest = _latest_first(DueDiligenceDocument.objects.filter(organisation=OuterRef("pk")))
    queryset = Organisation.objects.annotate(
        **{f"doc_{kind}": Subquery(latest.filter(kind=kind).values("status")[:1]) for kind in DocumentKind.values},
        open_flags=_count(Flag.objects.filter(status=FlagStatus.OPEN)),
        open_matches=_count(matches.filter(status=FlagStatus.OPEN)),
        confirmed_matches=_count(matches.filter(status=FlagStatus.CONFIRMED)),
        red_flags=_count(
            Flag.objects.filter(level=FlagLevel.RED, status__in=BLOCKING_FLAG_STATUSES, sanctions_entry__isnull=True)
        ),
    ).order_by("legal_name", "pk")
    return queryset


def diligence_summaries(organisations, *, last_import_at):
    """Lines for organisations annotated by `diligence_overview` (no further query)."""
    lines = []
    for org in organisations:
        statuses = {kind: getattr(org, f"doc_{kind}") for kind in DocumentKind.values if getattr(org, f"doc_{kind}")}
        screening = Screening(org.sanctions_screened_at, last_import_at, org.open_matches, org.confirmed_matches)
        lines.append(
            DiligenceSummary(
                organisation=org,
                accepted_documents=sum(s == DocumentStatus.ACCEPTED for s in statuses.values()),
                screening=screening,
                open_flags=org.open_flags,
                blocking_reasons=_blocking_reasons(document_statuses=statuses, screening=screening, red_flags=org.red_flags),
            )
        )
    return lines


# --- Services --------------------------------------------------------------------------------------------------

def _lock(organisation):
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


def _require_officer(actor):
    if not is_diligence_officer(actor):
        raise DomainError(_("Only programme officers may do this."), code="forbidden")


def _required_text(value, *, field, message):
    value = (value or "").strip()
    if not value:
        raise DomainError(message, code="required", field=field)
    return value


def _notify_org_admins(organisation, outcome, note=""):
    """Tell the organisation's administrators the outcome ("verified", "withdrawn", "document_rejected")."""
    admins = User.objects.filter(
        memberships__organisation=organisation, memberships__role=MemberRole.ORG_ADMIN, is_active=True
    ).distinct()
    notify(admins, "diligence_outcome", url=reverse("diligence_checklist", args=[organisation.pk]),
           params={"organisation": organisation.legal_name, "outcome": outcome, "note": note})


def _document_details(document):
    return {
        "document": document.pk, "kind": document.kind, "file_name": document.original_name,
        "file_kind": document.file_kind, "size": document.size,
    }


def document_upload(*, actor, organisation, kind, file) -> DueDiligenceDocument:
    """Store a new version of one of the organisation's documents, waiting for review. It supersedes older ones."""
    if kind not in DocumentKind.values:
        raise DomainError(_("Unknown kind of document."), code="unknown_kind", field="kind")
    if not can_upload_documents(actor, organisation):
        raise DomainError(_("Only the organisation's administrators and editors may upload its documents."), code="forbidden")
    require_verified_email_to_upload(actor)
    try:
        file_kind = validate_upload(file)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code=exc.code or "invalid_file", field="file") from exc
    with transaction.atomic():
        organisation = _lock(organisation)
        document = DueDiligenceDocument.objects.create(
            organisation=organisation,
            kind=kind,
            file=file,
            original_name=safe_download_name(file.name)[:255],
            file_kind=file_kind,
            size=file.size,
            uploaded_by=actor,
        )
        audit_record(actor=actor, verb="due_diligence.document_upload", target=document, data=_document_details(document))
    return document


def document_review(*, actor, document, decision, note="") -> DueDiligenceDocument:
    """Accept or reject the latest upload of a document. Rejecting needs a note for the organisation."""
    _require_officer(actor)
    if decision not in (DocumentStatus.ACCEPTED, DocumentStatus.REJECTED):
        raise DomainError(_("Choose whether to accept or reject the document."), code="invalid_decision", field="decision")
    decision = DocumentStatus(decision)
    note = (note or "").strip()
    if decision == DocumentStatus.REJECTED and not note:
        raise DomainError(
            _("Say why the document is rejected, so that the organisation can send a better one."),
            code="required", field="note",
        )
    with transaction.atomic():
        organisation = _lock(document.organisation)
        document = DueDiligenceDocument.objects.select_for_update().get(pk=document.pk)
        if decision not in DOCUMENT_TRANSITIONS[DocumentStatus(document.status)]:
            raise DomainError(_("This document has already been reviewed."), code="invalid_transition")
        latest = _latest_first(organisation.dd_documents.filter(kind=document.kind)).values_list("pk", flat=True).first()
        if latest != document.pk:
            raise DomainError(_("A newer version of this document has been uploaded: review that one."), code="superseded")
        document.status = decision
        document.reviewed_by, document.reviewed_at, document.review_note = actor, timezone.now(), note
        document.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        audit_record(
            actor=actor, verb=f"due_diligence.document_{decision.value}", target=document,
            data={**_document_details(document), "note": note},
        )
        if decision == DocumentStatus.REJECTED:
            _notify_org_admins(organisation, "document_rejected", note)
    return document


def flag_raise(*, actor, organisation, level, reason) -> Flag:
    """Record a concern about the organisation; it stays open until an officer confirms or dismisses it."""
    _require_officer(actor)
    if level not in FlagLevel.values:
        raise DomainError(_("Choose the level of the flag."), code="invalid_level", field="level")
    reason = _required_text(reason, field="reason", message=_("Say what the concern is."))
    with transaction.atomic():
        organisation = _lock(organisation)
        flag = Flag.objects.create(organisation=organisation, level=level, reason=reason, raised_by=actor)
        audit_record(
            actor=actor, verb="due_diligence.flag_raise", target=flag, data={"flag": flag.pk, "level": level, "reason": reason}
        )
    return flag


def flag_resolve(*, actor, flag, decision, note) -> Flag:
    """Confirm or dismiss an open flag, with a note. Confirming a red flag withdraws the organisation's verification."""
    _require_officer(actor)
    if decision not in (FlagStatus.CONFIRMED, FlagStatus.DISMISSED):
        raise DomainError(_("Choose whether to confirm or dismiss the flag."), code="invalid_decision", field="decision")
    decision = FlagStatus(decision)
    note = _required_text(note, field="note", message=_("Say why the flag is confirmed or dismissed."))
    with transaction.atomic():
        organisation = _lock(flag.organisation)
        flag = Flag.objects.select_for_update().get(pk=flag.pk)
        if decision not in FLAG_TRANSITIONS[FlagStatus(flag.status)]:
            raise DomainError(_("This flag has already been resolved."), code="invalid_transition")
        flag.status, flag.resolved_by, flag.resolved_at, flag.resolution_note = decision, actor, timezone.now(), note
        flag.save(update_fields=["status", "resolved_by", "resolved_at", "resolution_note"])
        audit_record(
            actor=actor, verb=f"due_diligence.flag_{decision.value}", target=flag,
            data={"flag": flag.pk, "level": flag.level, "note": note, "sanctions_entry": flag.sanctions_entry_id},
        )
        if decision == FlagStatus.CONFIRMED and flag.level == FlagLevel.RED and organisation.is_verified:
            reason = _("Red flag confirmed: %(note)s") % {"note": note}
            _unverify(actor=actor, organisation=organisation, reason=reason, flag=flag)
    return flag


def organisation_verify(*, actor, organisation) -> Organisation:
    """Mark the organisation verified: all four documents accepted, screened since the last sanctions import with
    no open or confirmed match, and no red flag open or confirmed."""
    _require_officer(actor)
    with transaction.atomic():
        organisation = _lock(organisation)
        if organisation.is_verified:
            raise DomainError(_("The organisation is already verified."), code="already_verified")
        reasons = diligence_status(organisation).blocking_reasons
        if reasons:
            raise DomainError(
                _("The organisation cannot be verified yet: %(reasons)s") % {"reasons": " ".join(reasons)},
                code="not_ready",
            )
        organisation.verified_at, organisation.verified_by = timezone.now(), actor
        organisation.save(update_fields=["verified_at", "verified_by"])
        audit_record(actor=actor, verb="due_diligence.verify", target=organisation)
        _notify_org_admins(organisation, "verified")
    return organisation


def organisation_unverify(*, actor, organisation, reason) -> Organisation:
    """Withdraw the organisation's verification, saying why (the reason stays in the audit trail)."""
    _require_officer(actor)
    reason = _required_text(reason, field="reason", message=_("Say why the verification is withdrawn."))
    with transaction.atomic():
        organisation = _lock(organisation)
        if not organisation.is_verified:
            raise DomainError(_("The organisation is not verified."), code="not_verified")
        _unverify(actor=actor, organisation=organisation, reason=reason)
    return organisation


def _unverify(*, actor, organisation, reason, flag=None):
    """Inside a service's transaction, with the organisation locked."""
    verified_at = organisation.verified_at
    organisation.verified_at, organisation.verified_by = None, None
    organisation.save(update_fields=["verified_at", "verified_by"])
    audit_record(
        actor=actor, verb="due_diligence.unverify", target=organisation,
        data={"reason": reason, "verified_at": verified_at, "flag": flag.pk if flag else None},
    )
    # The reason may be internal (a sanctions match, say): the organisation is told only that the checks resumed.
    _notify_org_admins(organisation, "withdrawn")


# --- Sanctions lists and screening -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportResult:
    created: int
    existing: int
    removed: int
    kept: int  # with --replace: entries missing from the file but kept because flags refer to them
    skipped: int  # names without a letter or digit


def sanctions_import(*, actor, rows, replace=False, source="") -> ImportResult:
    """Store sanctions-list entries (`rows` of sanctions.SanctionsRow). An entry already stored (same list,
    reference and normalised name) is left as it is, so importing a file again changes nothing. With `replace`,
    each list in `rows` loses the entries that are not in `rows`, except those that flags refer to (evidence)."""
    wanted, skipped = {}, 0
    for row in rows:
        normalised = normalise_name(row.name)
        if normalised:
            wanted.setdefault((row.list_name, row.reference, normalised), row)
        else:
            skipped += 1  # no letter or digit to compare
    lists = sorted({key[0] for key in wanted})
    with transaction.atomic():
        stored = {
            (e.list_name, e.reference, e.normalised_name): e.pk
            for e in SanctionsEntry.objects.select_for_update().filter(list_name__in=lists)
        }
        new = [
            SanctionsEntry(list_name=key[0], reference=key[1], normalised_name=key[2], name=row.name, country=row.country)
            for key, row in wanted.items()
            if key not in stored
        ]
        SanctionsEntry.objects.bulk_create(new, batch_size=500)
        removed = kept = 0
        if replace:
            gone = SanctionsEntry.objects.filter(pk__in=[pk for key, pk in stored.items() if key not in wanted])
            kept = gone.filter(flags__isnull=False).distinct().count()
            removed, _deleted = gone.filter(flags__isnull=True).delete()
        result = ImportResult(
            created=len(new), existing=len(wanted) - len(new), removed=removed, kept=kept, skipped=skipped
        )
        audit_record(
            actor=actor, verb="sanctions.import",
            data={"source": source, "lists": lists, "replace": replace, **asdict(result)},
        )
    return result


def _screener(threshold):
    return Screener(SanctionsEntry.objects.values_list("pk", "normalised_name").iterator(), threshold=threshold)


def _new_matches(organisation, screener, known):
    """Unsaved flags for the entries the organisation's names match and that it has no flag for yet."""
    found = screener.matches(normalise_name(organisation.legal_name), normalise_name(organisation.acronym))
    return [(entry_id, score) for entry_id, score in sorted(found.items()) if (organisation.pk, entry_id) not in known]


def _create_match_flags(actor, organisation_matches):
    """One open red flag per (organisation, entry, score), audited. Returns the flags."""
    entries = SanctionsEntry.objects.in_bulk({entry_id for _org, entry_id, _score in organisation_matches})
    flags = []
    for organisation, entry_id, score in organisation_matches:
        entry = entries[entry_id]
        details = ", ".join(filter(None, [entry.reference, entry.country]))
        reason = _("Name similar to %(name)s on the sanctions list %(list)s%(details)s (similarity %(score).2f).") % {
            "name": entry.name,
            "list": entry.list_name,
            "details": f" ({details})" if details else "",
            "score": score,
        }
        # Raised by the screening, not by a person: who ran it is in the audit trail.
        flags.append(
            Flag(
                organisation=organisation, level=FlagLevel.RED, reason=reason, sanctions_entry=entry,
                match_score=round(score, 3),
            )
        )
    Flag.objects.bulk_create(flags)
    for flag in flags:
        audit_record(
            actor=actor, verb="due_diligence.sanctions_match", target=flag,
            data={"flag": flag.pk, "entry": flag.sanctions_entry_id, "score": str(flag.match_score)},
        )
    return flags


def screen_organisation(*, actor, organisation, threshold=DEFAULT_THRESHOLD) -> list[Flag]:
    """Screen one organisation (legal name and acronym) against every stored sanctions entry; each new match
    becomes an open red flag. Call it when an organisation registers."""
    with transaction.atomic():
        organisation = _lock(organisation)
        screener = _screener(threshold)
        known = set(organisation.flags.filter(sanctions_entry__isnull=False).values_list("organisation_id", "sanctions_entry_id"))
        matches = _new_matches(organisation, screener, known)
        flags = _create_match_flags(actor, [(organisation, entry_id, score) for entry_id, score in matches])
        organisation.sanctions_screened_at = timezone.now()
        organisation.save(update_fields=["sanctions_screened_at"])
        audit_record(
            actor=actor, verb="due_diligence.screen", target=organisation,
            data={"entries": len(screener), "new_matches": len(flags), "threshold": threshold},
        )
    return flags


@dataclass(frozen=True)
class ScreeningRun:
    organisations: int
    entries: int
    new_matches: int


def sanctions_screen_all(*, actor, threshold=DEFAULT_THRESHOLD) -> ScreeningRun:
    """Screen every organisation against every stored entry in one transaction (after an import)."""
    with transaction.atomic():
        organisations = list(Organisation.objects.select_for_update().only("pk", "legal_name", "acronym").order_by("pk"))
        screener = _screener(threshold)
        known = set(Flag.objects.filter(sanctions_entry__isnull=False).values_list("organisation_id", "sanctions_entry_id"))
        matches = [
            (organisation, entry_id, score)
            for organisation in organisations
            for entry_id, score in _new_matches(organisation, screener, known)
        ]
        flags = _create_match_flags(actor, matches)
        Organisation.objects.filter(pk__in=[o.pk for o in organisations]).update(sanctions_screened_at=timezone.now())
        run = ScreeningRun(organisations=len(organisations), entries=len(screener), new_matches=len(flags))
        audit_record(actor=actor, verb="sanctions.screen", data={**asdict(run), "threshold": threshold})
    return run
