"""Admin inputs that each have a name a screen reader can announce.

Django's admin gives a field made of two inputs one `<label>` that points at neither (`MultiWidget.id_for_label` is
empty, and the admin's fieldset has no legend), and it writes "Date:" and "Time:" as bare text beside the inputs. So
the date, the time, an amount and its currency are unnamed; `LabelledInputsAdminMixin` swaps in widgets that name them.
It also shows many-to-many choices as checkboxes: the two-list picker (`filter_horizontal`) hides its buttons' text
by indenting it off screen and puts aria-label on plain icons, which assistive technology ignores.
"""
from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime
from django.db import models
from django.utils.html import format_html
from django.utils.translation import pgettext_lazy
from djmoney.forms.fields import MoneyField as MoneyFormField
from djmoney.forms.widgets import MoneyWidget
from djmoney.models.fields import MoneyField


def _first_input(id_):
    return f"{id_}_0" if id_ else ""


class LabelledSplitDateTime(AdminSplitDateTime):
    """The field's label names the date input too; Django's "Date:" and "Time:" become the labels of their inputs."""

    def id_for_label(self, id_):
        return _first_input(id_)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        date, time = context["widget"]["subwidgets"]
        for key, subwidget in (("date_label", date), ("time_label", time)):
            if subwidget["attrs"].get("id"):
                context[key] = format_html('<label for="{}">{}</label>', subwidget["attrs"]["id"], context[key])
        return context


class LabelledMoneyWidget(MoneyWidget):
    """The field's label names the amount input; the currency menu is named "Currency"."""

    def id_for_label(self, id_):
        return _first_input(id_)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["subwidgets"][1]["attrs"]["aria-label"] = pgettext_lazy("money", "Currency")
        return context


class LabelledMoneyFormField(MoneyFormField):
    """djmoney's form field with `LabelledMoneyWidget` (it builds its widget itself, so a `widget` argument is not
    enough: djmoney would also hand it to the amount's own field)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        built = self.widget
        amount, currency = built.widgets
        self.widget = LabelledMoneyWidget(
            amount_widget=amount, currency_widget=currency, default_currency=built.default_currency, attrs=built.attrs
        )
        self.widget.is_required = built.is_required


class LabelledInputsAdminMixin:
    """For a ModelAdmin or inline whose form has date-and-time, money or many-to-many fields (a checkbox list takes
    the place of `filter_horizontal`)."""

    formfield_overrides = {
        models.DateTimeField: {"widget": LabelledSplitDateTime},
        MoneyField: {"form_class": LabelledMoneyFormField},
        models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple},
    }
