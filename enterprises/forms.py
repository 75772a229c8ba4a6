"""Forms of the enterprise's own pages (contact details, annual figures, requests) and of
the staff service desk (the request transitions)."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.lib import bank as bank_lib
from common.lib.money import wan_to_yuan, yuan_to_wan
from enterprises.models import AnnualFigures, Department, RequestCategory, ServiceRequest
from enterprises.models.registry import (
    last_complete_year,
    validate_bank_account,
    year_not_ended_message,
)
from enterprises.models.service_desk import DESCRIPTION_MAX_LENGTH

# A mainland mobile number (11 digits starting 13–19) or a landline with its area code,
# optionally with an extension: 13800138000, 023-67000000, 02367000000, 023-67000000-123.
PHONE_RE = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$"
validate_phone = RegexValidator(
    PHONE_RE,
    _(
        "Enter a mobile number of 11 digits or a landline with its area code, "
        "such as 13800138000 or 023-67000000."
    ),
    code="phone",
)


class PhoneField(forms.CharField):
    """A Chinese phone number; spaces and full-width hyphens are tolerated and removed."""

    default_validators = [validate_phone]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)
        self.widget.input_type = "tel"
        self.widget.attrs.setdefault("autocomplete", "tel")
        self.widget.attrs.setdefault("inputmode", "tel")

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        return "".join(text.replace("－", "-").replace("—", "-").split())


class BankAccountField(forms.CharField):
    """A bank account number: spaces and hyphens between groups of digits are removed,
    then the model's rule applies (digits only, common.lib.bank's lengths)."""

    default_validators = [validate_bank_account]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("inputmode", "numeric")
        self.widget.attrs.setdefault("autocomplete", "off")

    def to_python(self, value: Any) -> str:
        return bank_lib.normalise(super().to_python(value))


class ContactForm(forms.Form):
    """The contact fields an enterprise keeps itself (enterprises.services.CONTACT_FIELDS)."""

    contact_person = forms.CharField(label=_("Contact person"), max_length=50)
    contact_phone = PhoneField(label=_("Contact phone"))
    contact_email = forms.EmailField(label=_("Contact email"), required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    bank_name = forms.CharField(
        label=_("Bank of account"),
        max_length=100,
        required=False,
        help_text=_("Where the bureau pays subsidies and awards, as on the account licence."),
    )
    bank_account = BankAccountField(
        label=_("Bank account number"),
        required=False,
        help_text=_("Digits only; spaces between groups of digits are removed."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("bank_account") and not data.get("bank_name"):
            self.add_error("bank_name", _("Name the bank where this account is held."))
        if data.get("bank_name") and "bank_account" in data and not data["bank_account"]:
            self.add_error("bank_account", _("Give the account number at this bank."))
        return data


class WanField(forms.DecimalField):
    """An amount entered in 万元 (10,000 yuan) with up to 6 decimals; cleaned to yuan."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", Decimal(0))
        # The model keeps 16 digits of yuan: just under 10^10 万元.
        kwargs.setdefault("max_value", Decimal("9999999999.99"))
        # 16 digits with 2 decimals in yuan is 12 integer digits in 万元 plus 6 decimals.
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 6)
        super().__init__(**kwargs)
        self.widget.attrs.update({"step": "0.000001", "inputmode": "decimal"})

    def clean(self, value: Any) -> Decimal | None:
        wan = super().clean(value)
        return None if wan is None else wan_to_yuan(wan)


def _count(label: Any, *, initial: int | None = None) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=0, max_value=10_000_000, initial=initial)


class AnnualFiguresForm(forms.Form):
    """One year's figures. Money is entered in 万元 and handed to the service in yuan.

    `existing_years` are the years the enterprise already reported: a new record for one of
    them is refused (edit it instead). On edit the year is fixed and not part of the form.
    """

    year = forms.IntegerField(label=_("Year"))
    revenue = WanField(label=_("Revenue (10,000 yuan)"))
    rd_expenditure = WanField(label=_("R&D expenditure (10,000 yuan)"))
    employees = _count(_("Employees"))
    rd_staff = _count(_("R&D staff"))
    invention_patents = _count(_("Invention patents"), initial=0)
    utility_models = _count(_("Utility model patents"), initial=0)
    software_copyrights = _count(_("Software copyrights"), initial=0)
    high_end_talent = _count(_("High-end talent"), initial=0)
    new_products = _count(_("New products"), initial=0)

    def __init__(
        self,
        *args: Any,
        existing_years: set[int] | frozenset[int] = frozenset(),
        instance: AnnualFigures | None = None,
        **kwargs: Any,
    ) -> None:
        self.existing_years = set(existing_years)
        self.instance = instance
        if instance is not None:
            initial = {name: getattr(instance, name) for name in self.figure_fields()}
            initial["revenue"] = yuan_to_wan(instance.revenue)
            initial["rd_expenditure"] = yuan_to_wan(instance.rd_expenditure)
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        if instance is not None:
            del self.fields["year"]
        else:
            # Only a year that has ended (in the portal's time zone) has figures to report.
            last = last_complete_year()
            self.fields["year"] = forms.IntegerField(
                label=_("Year"),
                min_value=1990,
                initial=last,
                widget=forms.NumberInput(attrs={"max": last}),
            )
            self.order_fields(["year"])

    @classmethod
    def figure_fields(cls) -> list[str]:
        return [name for name in cls.base_fields if name != "year"]

    def clean_year(self) -> int:
        year: int = self.cleaned_data["year"]
        if year > last_complete_year():
            raise forms.ValidationError(year_not_ended_message(year), code="year_not_ended")
        if year in self.existing_years:
            raise forms.ValidationError(
                _("Figures for %(year)s are already recorded; edit that year instead."),
                code="duplicate_year",
                params={"year": year},
            )
        return year

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        employees, rd_staff = cleaned.get("employees"), cleaned.get("rd_staff")
        if employees is not None and rd_staff is not None and rd_staff > employees:
            self.add_error("rd_staff", _("R&D staff cannot exceed the number of employees."))
        return cleaned

    def figures(self) -> dict[str, Any]:
        """The cleaned figures as keyword arguments of annual_figures_submit (amounts in yuan)."""
        return {name: self.cleaned_data[name] for name in self.figure_fields()}


# ------------------------------------------------------------------------- service desk


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(**kwargs)


class ServiceRequestRaiseForm(forms.Form):
    """An enterprise raises a request (enterprises.services.service_request_raise)."""

    # The bureau's word list (edited in admin); retired words are not offered.
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=RequestCategory.objects.filter(active=True)
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Describe the problem and what you need from the bureau."),
    )


class ServiceRequestForwardForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.filter(active=True),
        required=False,
    )
    due_on = forms.DateField(label=_("New due date"), required=False, widget=DateInput())
    note = forms.CharField(
        label=_("Note to the enterprise"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ServiceRequestResolveForm(forms.Form):
    resolved_on = forms.DateField(
        label=_("Resolution date"), required=False, initial=timezone.localdate, widget=DateInput()
    )
    handling = forms.ChoiceField(
        label=_("Handling"),
        required=False,
        choices=[("", "—")]
        + [
            (value, label)
            for value, label in ServiceRequest.Handling.choices
            if value != ServiceRequest.Handling.FORWARDED
        ],
    )
    note = forms.CharField(
        label=_("Resolution"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, service_request: ServiceRequest | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if service_request is not None and service_request.status != ServiceRequest.Status.OPEN:
            del self.fields["handling"]  # a forwarded request stays "forwarded to a department"


class ServiceRequestCloseForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for closing"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ServiceRequestReplyForm(forms.Form):
    note = forms.CharField(
        label=_("Reply"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ServiceRequestFirmReplyForm(forms.Form):
    note = forms.CharField(
        label=_("Your reply"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ServiceRequestAttachForm(forms.Form):
    # The kinds and size are checked by the service (common.uploads), so that every caller
    # gets the same refusal; the field only hints the browser's file picker.
    file = forms.FileField(label=_("File"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from common.uploads import KINDS
        from enterprises.services.service_desk import ATTACHMENT_KINDS

        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ",".join(
            ext for kind in ATTACHMENT_KINDS for ext in KINDS[kind]["extensions"]
        )


SATISFACTION_CHOICES = [(n, str(n)) for n in range(5, 0, -1)]


class ServiceRequestRateForm(forms.Form):
    # Any whole number passes the form; the service says what a rating may be.
    satisfaction = forms.IntegerField(
        label=_("Satisfaction (1 poor – 5 very good)"),
        required=False,
        widget=forms.Select(choices=[("", "—"), *SATISFACTION_CHOICES]),
    )
    comment = forms.CharField(
        label=_("Comment (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ServiceRequestReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the request is not resolved"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
