"""Admin for programme staff. Money and status changes go through grants.ledger and grants.services."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from audit.admin_mixins import AuditedAdminMixin
from core.admin_widgets import LabelledInputsAdminMixin
from core.errors import DomainError
from core.forms import AmountField

from . import ledger, services
from .forms import CallDocumentForm
from .models import Call, CallDocument, CallStatus, CallText, Country, Envelope, Grant, LedgerEntry, Objective, Programme


class ProgrammeAddForm(forms.ModelForm):
    envelope_amount = AmountField(label=_("Envelope (EUR)"), min_value=0)

    class Meta:
        model = Programme
        fields = ["code", "name", "short_name", "donor", "agency", "description", "start_date", "end_date"]


class ObjectiveInline(admin.TabularInline):
    model = Objective
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("short_name", "code", "donor", "start_date", "end_date", "envelope_amount")
    search_fields = ("name", "short_name", "code", "donor")
    inlines = [ObjectiveInline]
    list_select_related = ("envelope",)

    @admin.display(description=_("envelope"))
    def envelope_amount(self, obj):
        return obj.envelope.amount

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ProgrammeAddForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # A new programme and its envelope are created together by the service (which audits it).
        data = {k: v for k, v in form.cleaned_data.items() if k != "envelope_amount"}
        try:
            created = services.programme_create(actor=request.user, envelope_amount=form.cleaned_data["envelope_amount"], **data)
        except DomainError as exc:
            raise ValidationError(exc.message) from exc
        obj.pk = created.pk
        obj._state.adding = False


class EnvelopeForm(forms.ModelForm):
    new_amount = AmountField(label=_("New envelope (EUR)"))
    memo = forms.CharField(label=_("Reason for the change"), max_length=255)

    class Meta:
        model = Envelope
        fields = []

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            ledger.envelope_resize(
                actor=self.request_user, envelope=self.instance, amount=cleaned["new_amount"], memo=cleaned["memo"]
            )
        except DomainError as exc:
            raise ValidationError({"new_amount" if exc.field == "amount" else (exc.field or "new_amount"): exc.message}) from exc
        return cleaned


@admin.register(Envelope)
class EnvelopeAdmin(admin.ModelAdmin):
    """The envelope is created with its programme; here it can only be resized, with a reason, never below allocations."""

    list_display = ("programme", "amount")
    readonly_fields = ("programme", "amount")
    form = EnvelopeForm

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request_user = request.user
        return form

    def save_model(self, request, obj, form, change):
        """Nothing to save here: the form's clean() resized the envelope through the ledger, under its lock, so that
        a refusal could be shown on the field. Saving the instance again would bypass the ledger."""


@admin.register(Country)
class CountryAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")


class CallTextForm(forms.ModelForm):
    class Meta:
        model = CallText
        fields = ("language", "title", "description", "eligibility")

    def clean_language(self):
        language = self.cleaned_data["language"]
        call = getattr(self.instance, "call", None)
        if call is not None and call.pk and language == call.language:
            raise forms.ValidationError(_("This is the call's main language: change the call's own title and texts instead."))
        return language


class CallTextInline(admin.StackedInline):
    """The call's public texts in other languages; saved through `call_text_set` / `call_text_remove`."""

    model = CallText
    form = CallTextForm
    extra = 0
    fields = ("language", "title", "description", "eligibility")


class CallDocumentInline(admin.TabularInline):
    """Documents are part of the call: whoever may change the call may add or remove them (through the services)."""

    model = CallDocument
    form = CallDocumentForm
    extra = 1
    fields = ("title", "upload", "download", "kind", "size", "uploaded_at")
    readonly_fields = ("download", "kind", "size", "uploaded_at")

    @admin.display(description=_("download"))
    def download(self, obj):
        if not obj.pk:
            return ""
        url = reverse("call_document", args=[obj.call.programme.code, obj.call.reference, obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("call__programme")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("grants.view_call")

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("grants.change_call")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("grants.change_call")

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("grants.change_call")


@admin.register(Call)
class CallAdmin(LabelledInputsAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("reference", "title", "programme", "status", "opens_at", "closes_at", "min_grant", "max_grant")
    list_filter = ("status", "programme")
    search_fields = ("reference", "title")
    readonly_fields = ("status",)
    actions = ["publish", "close"]
    list_select_related = ("programme",)
    inlines = [CallTextInline, CallDocumentInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is CallText:
            return self._save_texts(request, form, formset)
        if formset.model is not CallDocument:
            return super().save_formset(request, form, formset, change)
        # Saved documents are never edited here: new rows are added and ticked rows removed, through the services.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.forms:
            document = row.instance
            if document.pk and row in formset.deleted_forms:
                services.call_document_remove(actor=request.user, document=document)
                formset.deleted_objects.append(document)
            elif not document.pk and row.has_changed() and row not in formset.deleted_forms:
                formset.new_objects.append(
                    services.call_document_add(
                        actor=request.user,
                        call=form.instance,
                        title=row.cleaned_data["title"],
                        uploaded_file=row.cleaned_data["upload"],
                    )
                )

    def _save_texts(self, request, form, formset):
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for row in formset.forms:
            text = row.instance
            if text.pk and row in formset.deleted_forms:
                services.call_text_remove(actor=request.user, text=text)
                formset.deleted_objects.append(text)
            elif row.has_changed() and row not in formset.deleted_forms and row.cleaned_data:
                try:
                    saved = services.call_text_set(actor=request.user, call=form.instance, **{
                        name: row.cleaned_data.get(name, "") for name in ("language", "title", "description", "eligibility")
                    })
                except DomainError as error:  # the call's main language changed in the same save
                    self.message_user(request, error.message, level=messages.ERROR)
                    continue
                (formset.changed_objects if text.pk else formset.new_objects).append(saved)

    def _transition(self, request, queryset, status):
        for call in queryset:
            try:
                services.call_set_status(actor=request.user, call=call, status=status)
                self.message_user(request, _("%(call)s is now %(status)s.") % {"call": call.reference, "status": CallStatus(status).label})
            except DomainError as exc:
                self.message_user(request, f"{call.reference}: {exc.message}", level=messages.ERROR)

    @admin.action(description=_("Publish the selected draft calls"))
    def publish(self, request, queryset):
        self._transition(request, queryset, CallStatus.PUBLISHED)

    @admin.action(description=_("Close the selected published calls"))
    def close(self, request, queryset):
        self._transition(request, queryset, CallStatus.CLOSED)


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ("reference", "title", "organisation", "call")
    search_fields = ("reference", "title", "organisation__legal_name")
    list_select_related = ("organisation", "call")

    def has_add_permission(self, request):
        return False  # grants are created by award decisions

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    """The ledger, read-only: rows are written by grants.ledger and never edited."""

    list_display = ("created_at", "kind", "call", "grant", "amount", "memo", "created_by")
    list_filter = ("kind", "envelope__programme")
    search_fields = ("call__reference", "grant__reference", "memo")
    list_select_related = ("call", "grant", "created_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
