"""The form of the API tokens page: only a name; the key is made by api.services.token_create."""
from django import forms

from .models import ApiToken


class ApiTokenForm(forms.Form):
    # Label, length and help text come from the model, so the page and the table say the same thing.
    name = ApiToken._meta.get_field("name").formfield()
