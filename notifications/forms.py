from django import forms

from .kinds import Channel


class PreferencesForm(forms.Form):
    """One choice of channel per kind the person may receive (`preferences`: [(kind, channel)])."""

    def __init__(self, *args, preferences, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, channel in preferences:
            self.fields[kind.id] = forms.ChoiceField(
                label=kind.label, choices=Channel.choices, widget=forms.RadioSelect, initial=channel
            )
