"""Forms of the operator desk: add a tenant, record a move-out, record an activity."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.lib import uscc as uscc_lib
from incubators.models import ActivityKind, IncubatorSite


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(**kwargs)


def _area_field(label: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


class TenantAddForm(forms.Form):
    """A tenant by its code. An unknown code needs the enterprise's name for staff."""

    uscc = forms.CharField(
        label=_("Unified social credit code"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    name = forms.CharField(
        label=_("Enterprise name"),
        max_length=200,
        required=False,
        help_text=_("Needed when the enterprise is not yet in the bureau's registry."),
    )
    moved_in_on = forms.DateField(label=_("Move-in date"), widget=DateInput())
    area = _area_field(_("Rented area (m²)"))
    site = forms.ModelChoiceField(
        label=_("Site"), queryset=IncubatorSite.objects.none(), required=False
    )

    def __init__(self, *args: Any, sites: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if sites is not None and len(sites):
            self.fields["site"].queryset = sites
        else:
            del self.fields["site"]
        self.fields["moved_in_on"].initial = timezone.localdate()

    def clean_uscc(self) -> str:
        return uscc_lib.normalise(self.cleaned_data["uscc"])

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


class EntryForm(forms.Form):
    """An entrant of a competition, by its code; an award goes to a finalist."""

    uscc = forms.CharField(
        label=_("Unified social credit code"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    name = forms.CharField(
        label=_("Enterprise name"),
        max_length=200,
        required=False,
        help_text=_("Needed when the enterprise is not yet in the bureau's registry."),
    )
    finalist = forms.BooleanField(label=_("Finalist"), required=False)
    award = forms.CharField(label=_("Award"), max_length=100, required=False)
    rank = forms.IntegerField(
        label=_("Award rank"),
        min_value=1,
        max_value=100,
        required=False,
        help_text=_("1 for the first prize, and so on."),
    )

    def clean_uscc(self) -> str:
        return uscc_lib.normalise(self.cleaned_data["uscc"])

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


class MoveOutForm(forms.Form):
    moved_out_on = forms.DateField(label=_("Move-out date"), widget=DateInput())
    graduated = forms.BooleanField(
        label=_("The tenant graduated"),
        required=False,
        help_text=_("Tick when the enterprise leaves as a graduate of the carrier."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["moved_out_on"].initial = timezone.localdate()


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Activity kind"), choices=ActivityKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    held_on = forms.DateField(label=_("Date held"), widget=DateInput())
    participants = forms.IntegerField(
        label=_("Participants"), min_value=0, max_value=1_000_000, initial=0
    )
    description = forms.CharField(
        label=_("Activity summary"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["held_on"].initial = timezone.localdate()


class IndicatorDayForm(forms.Form):
    """The day the desk shows indicators for (today when not given or not valid)."""

    day = forms.DateField(label=_("Indicators on"), required=False, widget=DateInput())

    def clean_day(self) -> Any:
        day = self.cleaned_data["day"]
        if day and day > timezone.localdate():
            raise forms.ValidationError(_("Choose today or a day in the past."))
        return day

    def day_or_today(self) -> Any:
        if self.is_valid() and self.cleaned_data["day"]:
            return self.cleaned_data["day"]
        return timezone.localdate()
