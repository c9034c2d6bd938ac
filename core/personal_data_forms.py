"""The confirmation an upload form offers when its file seems to hold personal data (core.personal_data).

A form with a file field mixes in `PersonalDataConfirmation`: when the upload service raises PersonalDataFound, the
view calls `form.warn(upload, exc)`; the page comes back with what was found (masked) on the file field, a hidden
signed fingerprint of the file (its SHA-256) and a box to tick. The view passes `form.confirms(upload)` as the
service's `personal_data_confirmed`: the confirmation holds only for the same file chosen again, within a day, on
the same object (`personal_data_scope`). Templates render the box with `_personal_data_confirm.html`.
"""
import hashlib
import hmac

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from core.uploads import DEFAULT_MAX_BYTES

CONFIRM_MAX_AGE = 24 * 3600


def file_sha256(upload) -> str:
    digest = hashlib.sha256()
    position = upload.tell()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(position)
    return digest.hexdigest()


class PersonalDataConfirmation(forms.Form):
    """Adds `checked` (the signed fingerprint) and `confirm_personal_data` to a form whose file field is
    `personal_data_field`; `personal_data_scope` names what the upload belongs to (a report version, a finding)."""

    personal_data_field = "file"

    checked = forms.CharField(widget=forms.HiddenInput, required=False, max_length=500)
    confirm_personal_data = forms.BooleanField(
        label=_("I have checked this file: what was found is not personal data, or the programme needs this document "
                "as it is."),
        required=False,
        help_text=_("Choose the same file again and tick this box before you send it. Your confirmation is recorded."),
    )

    def __init__(self, *args, personal_data_scope="", **kwargs):
        super().__init__(*args, **kwargs)
        self.personal_data_scope = personal_data_scope
        self.personal_data_token = ""
        box = self["confirm_personal_data"]
        box.field.widget.attrs["aria-describedby"] = f"{box.auto_id}_helptext"

    def _salt(self):
        return f"personal-data.{self.personal_data_scope}"

    def warn(self, upload, exc):
        """Show what was found on the file field and offer the confirmation for this very file."""
        self.personal_data_token = signing.dumps(file_sha256(upload), salt=self._salt())
        self.add_error(self.personal_data_field, [exc.message, *exc.lines()])

    def confirms(self, upload) -> bool:
        """Whether the box is ticked for the file the warning was about (the same content, within a day)."""
        if not self.cleaned_data.get("confirm_personal_data") or upload is None or upload.size > DEFAULT_MAX_BYTES:
            return False
        try:
            digest = signing.loads(self.cleaned_data.get("checked") or "", salt=self._salt(), max_age=CONFIRM_MAX_AGE)
        except signing.BadSignature:
            return False
        return hmac.compare_digest(str(digest), file_sha256(upload))
