"""Services for programmes and calls. Money moves only through grants.ledger."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.errors import DomainError
from core.money import EUR, exact_cents, MoneyValueError
from core.uploads import safe_download_name, validate_upload

from .ledger import figures_changed
from .models import CALL_TRANSITIONS, Call, CallDocument, CallStatus, CallText, Envelope, Programme


def programme_create(
    *, actor, code, name, short_name, donor, agency, start_date, end_date, envelope_amount, description="",
    agency_iati_ref="", donor_iati_ref="", giving_prefix="",
):
    """A programme and its envelope, created together: a programme without an envelope cannot fund anything."""
    try:
        amount = exact_cents(envelope_amount)
    except MoneyValueError as exc:
        raise DomainError(str(exc), code="invalid_amount", field="envelope_amount") from exc
    if amount <= 0:
        raise DomainError(_("The envelope must be greater than zero."), code="invalid_amount", field="envelope_amount")
    if end_date <= start_date:
        raise DomainError(_("The end date must be after the start date."), code="invalid_dates", field="end_date")
    with transaction.atomic():
        programme = Programme.objects.create(
            code=code, name=name, short_name=short_name, donor=donor, agency=agency,
            start_date=start_date, end_date=end_date, description=description,
            agency_iati_ref=agency_iati_ref, donor_iati_ref=donor_iati_ref, giving_prefix=giving_prefix,
        )
        envelope = Envelope.objects.create(programme=programme, amount=(amount, EUR))
        audit_record(actor=actor, verb="programme.create", target=programme, amount=amount, amount_before=0, amount_after=amount, currency=EUR)
    programme.envelope = envelope
    return programme


def call_set_status(*, actor, call: Call, status) -> Call:
    """Move a call along draft -> published -> closed, as CALL_TRANSITIONS allows."""
    status = CallStatus(status)
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        current = CallStatus(call.status)
        if status not in CALL_TRANSITIONS[current]:
            raise DomainError(
                _("A %(current)s call cannot become %(new)s.") % {"current": current.label, "new": status.label},
                code="invalid_transition",
            )
        call.status = status
        call.save(update_fields=["status"])
        figures_changed(programme_id=call.programme_id)
        audit_record(actor=actor, verb=f"call.{status.value}", target=call, data={"from": current.value, "to": status.value})
    return call


CALL_RULE_FIELDS = (
    "concept_note_deadline", "eligibility", "min_duration_months", "max_duration_months",
    "indirect_cap_percent", "contingency_cap_percent", "min_cofinancing_percent",
)


def call_create(*, actor, programme, reference, title, opens_at, closes_at, min_grant, max_grant, objectives=(), countries=(), description="", **rules) -> Call:
    """A draft call. It is funded by allocating to it through grants.ledger, and opened with call_set_status.

    `rules` may set any of CALL_RULE_FIELDS; the others keep the model's PRAG defaults.
    """
    unknown = set(rules) - set(CALL_RULE_FIELDS)
    if unknown:
        raise TypeError(f"call_create() got unexpected rules: {sorted(unknown)}")
    try:
        low, high = exact_cents(min_grant), exact_cents(max_grant)
    except MoneyValueError as exc:
        raise DomainError(str(exc), code="invalid_amount", field="min_grant") from exc
    if low <= 0:
        raise DomainError(_("The minimum grant must be greater than zero."), code="invalid_amount", field="min_grant")
    if high < low:
        raise DomainError(_("The maximum grant cannot be below the minimum grant."), code="invalid_amount", field="max_grant")
    if closes_at <= opens_at:
        raise DomainError(_("The deadline must be after the opening time."), code="invalid_dates", field="closes_at")
    concept_deadline = rules.get("concept_note_deadline")
    if concept_deadline is not None and not opens_at < concept_deadline < closes_at:
        raise DomainError(
            _("The concept-note deadline must fall between the opening and the full-application deadline."),
            code="invalid_dates", field="concept_note_deadline",
        )
    with transaction.atomic():
        if Call.objects.filter(programme=programme, reference=reference).exists():
            raise DomainError(_("This programme already has a call %(ref)s.") % {"ref": reference}, code="duplicate_reference", field="reference")
        call = Call.objects.create(
            programme=programme, reference=reference, title=title, description=description,
            opens_at=opens_at, closes_at=closes_at, min_grant=(low, EUR), max_grant=(high, EUR), **rules,
        )
        call.objectives.set(objectives)
        call.countries.set(countries)
        figures_changed(programme_id=programme.pk)
        audit_record(actor=actor, verb="call.create", target=call)
    return call


def _document_details(document):
    return {"document": document.pk, "title": document.title, "file": document.original_name, "kind": document.kind, "size": document.size}


def call_text_set(*, actor, call: Call, language, title, description="", eligibility="") -> CallText:
    """Give a call's public texts in another language (or correct them)."""
    if language not in dict(settings.LANGUAGES):
        raise DomainError(_("Choose one of the languages offered."), code="invalid_language", field="language")
    if language == call.language:
        raise DomainError(
            _("This is the call's main language: change the call's own title and texts instead."),
            code="main_language", field="language",
        )
    title = (title or "").strip()
    if not title:
        raise DomainError(_("Give the title in this language."), code="required", field="title")
    fields = {"title": title[:255], "description": (description or "").strip(), "eligibility": (eligibility or "").strip()}
    with transaction.atomic():
        text, created = CallText.objects.select_for_update().get_or_create(call=call, language=language, defaults=fields)
        changed = [name for name, value in fields.items() if getattr(text, name) != value]
        if changed:
            for name in changed:
                setattr(text, name, fields[name])
            text.save(update_fields=changed)
        if created or changed:
            audit_record(actor=actor, verb="call.text_set", target=call,
                         data={"language": language, "fields": sorted(fields) if created else changed})
    return text


def call_text_remove(*, actor, text: CallText):
    with transaction.atomic():
        text = CallText.objects.select_for_update().select_related("call").get(pk=text.pk)
        audit_record(actor=actor, verb="call.text_remove", target=text.call, data={"language": text.language})
        text.delete()


def call_document_add(*, actor, call: Call, title, uploaded_file) -> CallDocument:
    """Attach a document to a call. It is public as soon as the call is (published or closed)."""
    title = (title or "").strip()
    max_title = CallDocument._meta.get_field("title").max_length
    if not title:
        raise DomainError(_("Give the document a title."), code="required", field="title")
    if len(title) > max_title:
        raise DomainError(
            _("The title is too long (at most %(max)d characters).") % {"max": max_title}, code="too_long", field="title"
        )
    try:
        kind = validate_upload(uploaded_file)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], code=exc.code or "invalid_file", field="file") from exc
    with transaction.atomic():
        document = CallDocument.objects.create(
            call=call,
            title=title,
            file=uploaded_file,
            original_name=safe_download_name(uploaded_file.name)[:max_title],
            kind=kind,
            size=uploaded_file.size,
        )
        audit_record(actor=actor, verb="call.document_add", target=call, data=_document_details(document))
    return document


def call_document_remove(*, actor, document: CallDocument):
    """Take a document off a call; the stored file goes once the removal is committed."""
    with transaction.atomic():
        document = CallDocument.objects.select_for_update().select_related("call").get(pk=document.pk)
        audit_record(actor=actor, verb="call.document_remove", target=document.call, data=_document_details(document))
        storage, name = document.file.storage, document.file.name
        document.delete()
        transaction.on_commit(lambda: storage.delete(name))
