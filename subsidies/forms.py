"""Forms of the claimant pages and the auditor desk; they collect input, services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.uploads import PrivateFileField
from subsidies.models import ChecklistItem, Programme, SubsidyPolicy

DOCUMENT_KINDS = ("pdf", "png", "jpeg", "xlsx")
# Programmes an enterprise applies for itself (recognition rewards are drafted by the
# bureau when it records the recognition), and those a carrier operator applies for.
APPLY_PROGRAMMES = (Programme.RENT, Programme.RD_INVESTMENT)
CARRIER_APPLY_PROGRAMMES = (Programme.CARRIER_HTE, Programme.CARRIER_LISTING)


class ClaimApplyForm(forms.Form):
    programme = forms.ChoiceField(
        label=_("Programme"), choices=[(p.value, p.label) for p in APPLY_PROGRAMMES]
    )
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    rent_month_from = forms.IntegerField(
        label=_("Rent from month"), min_value=1, max_value=12, required=False
    )
    rent_month_to = forms.IntegerField(
        label=_("Rent to month"), min_value=1, max_value=12, required=False
    )
    claimed_amount = forms.DecimalField(
        label=_("Amount claimed (yuan)"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
    )
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    document_title = forms.CharField(label=_("Document title"), max_length=100)
    document = PrivateFileField(label=_("Supporting document"), kinds=DOCUMENT_KINDS)

    def __init__(
        self,
        *args: Any,
        carrier: bool = False,
        policy: SubsidyPolicy | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year
        self.policy = policy
        self.slots: list[tuple[str, ChecklistItem]] = []
        if policy is not None:
            # Applying from a policy's page: its programme and year, and one upload per
            # material of its checklist in place of the single document.
            for name in ("programme", "year"):
                self.fields[name].widget = forms.HiddenInput()
            self.fields["programme"].choices = [(policy.code, policy.get_code_display())]
            self.initial.update(programme=policy.code, year=policy.year)
            if policy.code != Programme.RENT:
                for name in ("rent_month_from", "rent_month_to"):
                    self.fields.pop(name, None)
            items = list(policy.checklist.all())
            if items:
                del self.fields["document_title"]
                del self.fields["document"]
                for item in items:
                    name = f"material_{item.pk}"
                    self.fields[name] = PrivateFileField(
                        label=item.title,
                        kinds=DOCUMENT_KINDS,
                        required=item.required,
                        help_text=item.note,
                    )
                    self.slots.append((name, item))
        if carrier:
            if policy is not None:
                self.fields["programme"].choices = [(policy.code, policy.get_code_display())]
            # A carrier reward is computed from the registry; no months, documents optional.
            else:
                self.fields["programme"].choices = [
                    (p.value, p.label) for p in CARRIER_APPLY_PROGRAMMES
                ]
            for name in ("rent_month_from", "rent_month_to"):
                self.fields.pop(name, None)
            for name in ("document_title", "document"):
                if name in self.fields:
                    self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        months = (cleaned.get("rent_month_from"), cleaned.get("rent_month_to"))
        if cleaned.get("programme") == Programme.RENT and not all(months):
            self.add_error("rent_month_from", _("Give the months the rent subsidy is for."))
        return cleaned


class AttachmentForm(forms.Form):
    title = forms.CharField(label=_("Document title"), max_length=100)
    file = PrivateFileField(label=_("File"), kinds=DOCUMENT_KINDS)

    def __init__(self, *args: Any, titles: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The materials still to upload are offered as titles (a datalist), typed or picked.
        self.titles = titles or []
        if self.titles:
            self.fields["title"].widget.attrs["list"] = "material-titles"
            self.fields["title"].initial = self.titles[0]


def _amount(label: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, max_digits=14, decimal_places=2, min_value=Decimal(0), initial=Decimal(0)
    )


class AuditRecordForm(forms.Form):
    personnel = _amount(_("Personnel costs (yuan)"))
    direct_inputs = _amount(_("Direct inputs (yuan)"))
    depreciation = _amount(_("Depreciation (yuan)"))
    amortisation = _amount(_("Amortisation of intangibles (yuan)"))
    design_fees = _amount(_("New-product design and similar fees (yuan)"))
    other = _amount(_("Other related costs (yuan)"))
    findings = forms.CharField(label=_("Findings"), widget=forms.Textarea, required=False)
    report = PrivateFileField(label=_("Audit report (PDF)"), kinds=("pdf",), required=False)


OBJECTION_FILE_KINDS = ("pdf", "png", "jpeg")


class ObjectionForm(forms.Form):
    """An objection on a notice's page. A signed-in user files as themselves; a visitor
    gives a name and a phone number (the service checks them and the notice's dates)."""

    claim = forms.ChoiceField(label=_("Claim objected to"))
    content = forms.CharField(
        label=_("Your objection"),
        widget=forms.Textarea({"rows": 5}),
        max_length=2000,
        help_text=_("Say what is wrong with the claim and how you know it."),
    )
    name = forms.CharField(label=_("Your name"), max_length=50, required=False)
    phone = forms.CharField(
        label=_("Your phone number"),
        max_length=30,
        required=False,
        help_text=_("A mobile number or a landline with its area code; not published."),
    )
    file = PrivateFileField(
        label=_("Supporting file (optional)"), kinds=OBJECTION_FILE_KINDS, required=False
    )

    def __init__(self, *args: Any, claims: list[Any], anonymous: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["claim"].choices = [
            (str(claim.pk), f"{claim.claimant.name} · {claim.get_programme_display()}")
            for claim in claims
        ]
        if anonymous:
            # Required in the browser; the service says why when they are missing or wrong.
            self.fields["name"].widget.attrs["required"] = True
            self.fields["phone"].widget.attrs["required"] = True
        else:
            del self.fields["name"]
            del self.fields["phone"]


class WindowFormSet(forms.BaseInlineFormSet):
    """The admin's inline of a version's windows: no two of the version's windows overlap,
    among the rows of the form as against those saved."""

    def clean(self) -> None:
        super().clean()
        spans = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("opens_on"):
                continue
            opens, closes = data["opens_on"], data.get("closes_on")
            if closes is None:
                continue
            for other_opens, other_closes in spans:
                if opens <= other_closes and closes >= other_opens:
                    form.add_error(
                        "opens_on",
                        _("This window overlaps the window %(opens)s – %(closes)s.")
                        % {
                            "opens": f"{other_opens:%Y-%m-%d}",
                            "closes": f"{other_closes:%Y-%m-%d}",
                        },
                    )
            spans.append((opens, closes))
