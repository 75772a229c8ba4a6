"""The enterprise's dossier (一企一档) for bureau staff: search, the page and its xlsx."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from common import exports
from common.decorators import bureau_staff_required
from portal.dossier import selectors
from portal.dossier.selectors import VIEW_PERMISSION


class SearchForm(forms.Form):
    q = forms.CharField(max_length=100, required=False, strip=True)


@bureau_staff_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
def search(request: HttpRequest) -> HttpResponse:
    """Find a firm by name or credit code; an exact code goes straight to its dossier."""
    form = SearchForm(request.GET)
    text, error = "", ""
    if form.is_valid():
        text = form.cleaned_data["q"]
    else:
        error = " ".join(str(message) for message in form.errors.get("q", []))
    exact, found = selectors.enterprises_search(text=text)
    if exact is not None:
        return redirect("dossier:detail", pk=exact.pk)
    return render(
        request,
        "portal/dossier_search.html",
        {"q": text, "found": list(found), "error": error, "searched": bool(text)},
    )


@bureau_staff_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = selectors.enterprise_get_for_dossier(user=request.user, pk=pk)
    dossier = selectors.dossier_for(user=request.user, enterprise=enterprise)
    return render(request, "portal/dossier.html", {"dossier": dossier, "e": enterprise})


@bureau_staff_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
def export(request: HttpRequest, pk: int) -> HttpResponse:
    """The dossier as an xlsx workbook (through common.exports: text never runs as a
    formula); amounts in yuan as numbers."""
    enterprise = selectors.enterprise_get_for_dossier(user=request.user, pk=pk)
    dossier = selectors.dossier_for(user=request.user, enterprise=enterprise)
    e = enterprise
    identity = exports.Sheet(
        title=_("Enterprise"),
        headers=[_("Field"), _("Value")],
        rows=[
            [_("Enterprise name"), e.name],
            [_("Unified social credit code"), e.uscc],
            [_("Legal representative"), e.legal_representative],
            [_("Street"), str(e.street or "")],
            [_("Industry"), e.get_industry_display()],
            [_("Contact person"), e.contact_person],
            [_("Contact phone"), e.contact_phone],
            [_("Contact email"), e.contact_email],
            [_("Address"), e.address],
        ],
    )
    timeline = exports.Sheet(
        title=_("Timeline"),
        headers=[_("Date"), _("Kind"), _("Record"), _("Status"), _("Amount (yuan)")],
        rows=[[ev.day, ev.kind, ev.title, ev.status, ev.amount] for ev in dossier.events],
    )
    figures = exports.Sheet(
        title=_("Annual figures"),
        headers=[
            _("Year"), _("Revenue (yuan)"), _("R&D expenditure (yuan)"), _("Employees"),
            _("R&D staff"), _("Invention patents"),
        ],
        rows=[
            [f.year, f.revenue, f.rd_expenditure, f.employees, f.rd_staff, f.invention_patents]
            for f in dossier.figures
        ],
    )  # fmt: skip
    certificates = exports.Sheet(
        title=_("Certificates"),
        headers=[_("Certificate number"), _("Issue date"), _("Expiry date"), _("Status")],
        rows=[
            [c["certificate"].number, c["certificate"].issued_on, c["certificate"].expires_on,
             c["label"]]
            for c in dossier.certificates
        ],
    )  # fmt: skip
    response = HttpResponse(
        exports.xlsx_bytes(identity, timeline, certificates, figures),
        content_type=exports.XLSX_CONTENT_TYPE,
    )
    day = timezone.localdate().strftime("%Y%m%d")
    filename = f"{_('Enterprise dossier')}-{e.uscc}-{day}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
