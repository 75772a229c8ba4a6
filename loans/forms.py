"""Forms of the enterprise's loan pages and the bank desk. Money is entered in 万元 and
handed to the services in yuan; the services hold the rules and give the messages."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.uploads import PrivateFileValidator
from enterprises.forms import WanField
from loans.models import MAX_TERM_MONTHS, MIN_TERM_MONTHS, Bank

ATTACHMENT_KINDS = ("pdf", "xlsx")
MAX_ATTACHMENTS = 10


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several PDF or xlsx files, each checked by content and size (private uploads)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.xlsx"}))
        kwargs.setdefault("required", False)
        kwargs.setdefault("validators", [PrivateFileValidator(kinds=ATTACHMENT_KINDS)])
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(
                _("At most %(count)s files can be attached at once.") % {"count": MAX_ATTACHMENTS}
            )
        cleaned = [super(AttachmentsField, self).clean(item, initial) for item in files]
        return [item for item in cleaned if item]


def _term_field(label: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=MIN_TERM_MONTHS,
        max_value=MAX_TERM_MONTHS,
        error_messages={
            "min_value": _("The term must be between 6 and 36 months."),
            "max_value": _("The term must be between 6 and 36 months."),
        },
    )


class ApplicationForm(forms.Form):
    preferred_bank = forms.ModelChoiceField(
        label=_("Preferred bank"),
        # A bank paused by its circuit breaker is not offered (the services refuse it too).
        queryset=Bank.objects.filter(paused=False).order_by("name"),
        required=False,
        empty_label=_("No preference"),
    )
    requested_amount = WanField(label=_("Amount (10,000 yuan)"))
    term_months = _term_field(_("Term (months)"))
    purpose = forms.CharField(
        label=_("Purpose"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )
    attachments = AttachmentsField(
        label=_("Attachments (financial statements etc.: PDF or xlsx, up to 10 MB each)")
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RequiredNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ApproveForm(NoteForm):
    amount = WanField(label=_("Approved amount (10,000 yuan)"))
    annual_rate_pct = forms.DecimalField(
        label=_("Annual interest rate (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal(24),
    )
    term_months = _term_field(_("Term (months)"))
    field_order = ["amount", "annual_rate_pct", "term_months", "note"]


class DisburseForm(NoteForm):
    disbursed_on = forms.DateField(
        label=_("Disbursement date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    field_order = ["disbursed_on", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"disbursed_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class RepaymentForm(forms.Form):
    paid_on = forms.DateField(
        label=_("Payment date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    principal = WanField(label=_("Principal (10,000 yuan)"))
    interest = WanField(label=_("Interest (10,000 yuan)"), required=False)


class DefaultForm(NoteForm):
    principal_loss = WanField(label=_("Principal loss (10,000 yuan)"))
    field_order = ["principal_loss", "note"]


CLAIM_DOCUMENT_KINDS = ("pdf", "jpeg", "png")


class ClaimDocumentsField(AttachmentsField):
    """The claim's documents: PDF or scans, each checked by content and size."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        kwargs.setdefault("validators", [PrivateFileValidator(kinds=CLAIM_DOCUMENT_KINDS)])
        super().__init__(**kwargs)


class ClaimForm(NoteForm):
    documents = ClaimDocumentsField(
        label=_("Documents (ruling, collection record, contract: PDF or scans, up to 10 MB each)")
    )


class ClaimDocumentsForm(forms.Form):
    documents = ClaimDocumentsField(
        label=_("Documents (ruling, collection record, contract: PDF or scans, up to 10 MB each)"),
        required=True,
    )


class DeskSearchForm(forms.Form):
    """The bank desk's filter: free text (firm name, credit code or application number) and
    a status. A bad value is dropped, not an error: the desk then shows every loan."""

    q = forms.CharField(label=_("Search"), max_length=100, required=False, strip=True)
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from loans.models import LoanStatus

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *LoanStatus.choices]


_BAND_SEPARATORS = re.compile(r"[\s:：,，→]+")


def bands_text(bands: Any) -> str:
    """A credit indicator's bands as the admin writes them: one "minimum: points" a line."""
    if not isinstance(bands, list):
        return "" if bands is None else str(bands)
    return "\n".join(
        f"{band.get('min')}: {band.get('points')}" if isinstance(band, dict) else str(band)
        for band in bands
    )


class BandsField(forms.CharField):
    """A credit indicator's bands typed as lines "minimum: points" ("1: 5"), cleaned to the
    list of {"min", "points"} the model stores: staff never type JSON and its English keys."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3, "cols": 14}))
        kwargs.setdefault(
            "help_text",
            _(
                "One band a line: the minimum, then the points, e.g. “1: 5”. The measure earns "
                "the points of the highest minimum it reaches."
            ),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return bands_text(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[dict[str, str]]:  # type: ignore[override]
        text = value if isinstance(value, str) else bands_text(value)
        bands = []
        for number, line in enumerate(text.splitlines(), start=1):
            parts = [part for part in _BAND_SEPARATORS.split(line) if part]
            if not parts:
                continue
            try:
                minimum, points = (Decimal(part) for part in parts)
            except (ValueError, ArithmeticError):
                minimum = points = Decimal("NaN")
            if not (minimum.is_finite() and points.is_finite()):
                raise forms.ValidationError(
                    _("Line %(line)s: write the minimum, then the points, e.g. “1: 5”.")
                    % {"line": number}
                )
            bands.append({"min": str(minimum), "points": str(points)})
        return bands

    def has_changed(self, initial: Any, data: Any) -> bool:
        def pairs(value: Any) -> list[tuple[Decimal, Decimal]]:
            return [(Decimal(b["min"]), Decimal(b["points"])) for b in self.to_python(value)]

        try:  # by value: "1: 5" is the stored {"min": 1, "points": "5.00"}
            return pairs(initial or []) != pairs(data)
        except forms.ValidationError:
            return True
