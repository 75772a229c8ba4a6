"""Subsidy pages: the public policy list, the claimant's claims (enterprise or carrier
operator) and the auditor desk. Objects come only through selectors (another
organisation's claim or another firm's audit is 404); writes only through services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.lib.money import format_yuan
from subsidies import selectors, services
from subsidies.forms import (
    APPLY_PROGRAMMES,
    CARRIER_APPLY_PROGRAMMES,
    AttachmentForm,
    AuditRecordForm,
    ClaimApplyForm,
)
from subsidies.models import CARRIER_PROGRAMMES, Programme, SubsidyClaim, SubsidyPolicy


def _add_errors(form: Any, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: at its field when the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            shown = field in form.fields and not form.fields[field].widget.is_hidden
            form.add_error(field if shown else None, errors)
    else:
        form.add_error(None, exc)


def policy_list(request: HttpRequest) -> HttpResponse:
    """Anyone: this year's published versions by programme, each with where its call
    stands; an enterprise user also sees what it may claim now."""
    today = timezone.localdate()
    opportunities = None
    user = request.user
    if (
        getattr(user, "organisation_kind", "") == "enterprise"
        and getattr(user, "link_status", "") == "approved"
        and user.enterprise is not None  # type: ignore[union-attr]
    ):
        opportunities = selectors.opportunities_for(
            enterprise=user.enterprise,  # type: ignore[union-attr]
            day=today,
        )
    policies = list(selectors.policies_of_year(year=today.year))
    rows = [(p, selectors.call_state(policy=p, day=today)) for p in policies]
    return render(
        request,
        "subsidies/policies.html",
        {
            "policies": policies,
            "rows": rows,
            "year": today.year,
            "opportunities": opportunities,
        },
    )


def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Anyone: one published version: who qualifies, what to upload, where its call stands,
    and for the claimant who may apply, the Apply button."""
    policy = selectors.policy_get_public(pk=pk, user=request.user)
    today = timezone.localdate()
    state = selectors.call_state(policy=policy, day=today)
    user = request.user
    carrier = policy.code in CARRIER_APPLY_PROGRAMMES
    may_apply = (
        policy.is_published
        and state.is_open
        and policy.code in (*APPLY_PROGRAMMES, *CARRIER_APPLY_PROGRAMMES)
        and getattr(user, "organisation_kind", "") == ("incubator" if carrier else "enterprise")
        and getattr(user, "link_approved", False)
    )
    return render(
        request,
        "subsidies/policy_detail.html",
        {
            "policy": policy,
            "state": state,
            "rules": policy_rules(policy),
            "checklist": list(policy.checklist.all()),
            "may_apply": may_apply,
        },
    )


def policy_rules(policy: SubsidyPolicy) -> list[str]:
    """The version's rules in words, from its values (the staff's own text shows too)."""
    amount = format_yuan(policy.amount) if policy.amount is not None else ""
    rate = policy.rate_percent
    cap = format_yuan(policy.cap) if policy.cap is not None else ""
    words = {
        Programme.RENT: _(
            "Registered tech firms renting space from an innovation carrier: %(amount)s yuan "
            "per m² and month of the area rented, for the months registered."
        )
        % {"amount": amount},
        Programme.RD_INVESTMENT: _(
            "Firms whose R&D expenditure of the year is audited by the bureau's audit firm: "
            "%(rate)s of the audited eligible expenditure."
        )
        % {"rate": rate},
        Programme.HTE_NEW: _(
            "Firms first recognised as high-tech enterprises in %(year)s: %(amount)s yuan."
        )
        % {"year": policy.year, "amount": amount},
        Programme.HTE_RENEWAL: _(
            "Firms re-recognised as high-tech enterprises in %(year)s: %(amount)s yuan."
        )
        % {"year": policy.year, "amount": amount},
        Programme.CARRIER_HTE: _(
            "Innovation carriers: %(amount)s yuan for each tenant first recognised as a "
            "high-tech enterprise in %(year)s while resident."
        )
        % {"year": policy.year, "amount": amount},
        Programme.CARRIER_LISTING: _(
            "Innovation carriers: %(amount)s yuan for each tenant listed in %(year)s while "
            "resident."
        )
        % {"year": policy.year, "amount": amount},
    }
    lines = [str(words[Programme(policy.code)])]
    if cap:
        lines.append(_("At most %(cap)s yuan per claim.") % {"cap": cap})
    return lines


@login_required
def my_claims(request: HttpRequest) -> HttpResponse:
    claims = selectors.claims_for_user(user=request.user)
    return render(
        request,
        "subsidies/my_claims.html",
        {"claims": claims, "programmes": _programmes_open_to(request.user)},
    )


def _programmes_open_to(user: Any) -> list[dict[str, Any]]:
    """For a firm or carrier with an approved link: each active programme of its kind, and
    whether it may apply now or why not (the checks a draft makes). Bounded by the number of
    active programmes, not by the claims."""
    kind = getattr(user, "organisation_kind", "")
    if kind not in ("enterprise", "incubator") or not getattr(user, "link_approved", False):
        return []
    carrier = kind == "incubator"
    today = timezone.localdate()
    policies = selectors.active_policies(day=today)
    policies = (
        policies.filter(code__in=CARRIER_PROGRAMMES)
        if carrier
        else policies.exclude(code__in=CARRIER_PROGRAMMES)
    )
    return [
        {
            "policy": policy,
            "refusals": services.subsidy_claim_refusals(
                policy=policy,
                enterprise=None if carrier else user.enterprise,
                incubator=user.incubator if carrier else None,
                on=today,
            ),
        }
        for policy in policies
    ]


@login_required
def claim_apply(request: HttpRequest) -> HttpResponse:
    """An enterprise applies for the rent or R&D subsidy with a first document; a carrier
    operator applies for the carrier rewards."""
    user = request.user
    kind = getattr(user, "organisation_kind", "")
    if kind not in ("enterprise", "incubator") or not getattr(user, "link_approved", False):
        raise Http404
    carrier = kind == "incubator"
    policy = None
    if request.GET.get("policy"):
        try:
            policy_pk = int(request.GET["policy"])
        except ValueError:
            raise Http404 from None
        policy = selectors.policy_get_public(pk=policy_pk, user=AnonymousUser())
        if (policy.code in CARRIER_APPLY_PROGRAMMES) != carrier:
            raise Http404
    form = ClaimApplyForm(
        request.POST or None, request.FILES or None, carrier=carrier, policy=policy
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                claim = services.subsidy_claim_draft(
                    programme=data["programme"],
                    year=data["year"],
                    enterprise=None if carrier else user.enterprise,  # type: ignore[union-attr]
                    incubator=user.incubator if carrier else None,  # type: ignore[union-attr]
                    rent_month_from=data.get("rent_month_from"),
                    rent_month_to=data.get("rent_month_to"),
                    claimed_amount=data.get("claimed_amount"),
                    description=data.get("description", ""),
                    acting_user=user,
                )
                if data.get("document"):
                    services.subsidy_claim_attach(
                        claim=claim,
                        title=data["document_title"] or data["document"].name,
                        file=data["document"],
                        acting_user=user,
                    )
                for name, item in form.slots:
                    if data.get(name):
                        services.subsidy_claim_attach(
                            claim=claim, title=item.title, file=data[name], acting_user=user
                        )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Your claim was saved as a draft; check it and submit it."))
            return redirect("subsidies:claim_detail", pk=claim.pk)
    return render(request, "subsidies/claim_apply.html", {"form": form, "policy": policy})


@login_required
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = selectors.claim_get_for_user(user=request.user, pk=pk)
    is_claimant = services.acts_for_claimant(
        request.user, enterprise=claim.enterprise, incubator=claim.incubator
    )
    return render(
        request,
        "subsidies/claim_detail.html",
        {
            "claim": claim,
            "signatures": selectors.signature_lines(claim),
            "waiting_for": selectors.claim_waiting_for(claim),
            "is_claimant": is_claimant,
            "can_submit": is_claimant and claim.is_editable,
            "attachment_form": AttachmentForm() if is_claimant and claim.is_editable else None,
            "missing_materials": (
                selectors.claim_missing_materials(claim)
                if is_claimant and claim.is_editable
                else []
            ),
            "policy_values": claim.computation.get("policy", {}),
            "facts": selectors.claim_facts_display(claim),
        },
    )


@login_required
@require_POST
def claim_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit (or confirm a drafted reward, or resubmit a returned claim)."""
    claim = selectors.claim_get_for_user(user=request.user, pk=pk)
    try:
        services.subsidy_claim_submit(claim=claim, acting_user=request.user)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Your claim was submitted to the bureau."))
    return redirect("subsidies:claim_detail", pk=claim.pk)


@login_required
def claim_attach(request: HttpRequest, pk: int) -> HttpResponse:
    claim = selectors.claim_get_for_user(user=request.user, pk=pk)
    form = AttachmentForm(
        request.POST or None,
        request.FILES or None,
        titles=selectors.claim_missing_materials(claim),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.subsidy_claim_attach(
                claim=claim,
                title=form.cleaned_data["title"],
                file=form.cleaned_data["file"],
                acting_user=request.user,
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The document was added."))
            return redirect("subsidies:claim_detail", pk=claim.pk)
    return render(request, "subsidies/attach_form.html", {"claim": claim, "form": form})


@login_required
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    from common.uploads import serve_private_file

    claim = selectors.claim_get_for_user(user=request.user, pk=pk)
    attachment = next((a for a in claim.attachments.all() if a.pk == attachment_pk), None)
    if attachment is None:
        raise Http404
    extension = attachment.file.name.rsplit(".", 1)[-1]
    return serve_private_file(request, attachment.file, filename=f"{attachment.title}.{extension}")


# ---------------------------------------------------------------------------- auditor desk


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    audits = selectors.audits_for_user(user=request.user)
    return render(request, "subsidies/audits.html", {"audits": audits})


@login_required
def audit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One audit of the firm: the figures form (while open) with the cap applied on save."""
    audit = selectors.audit_get_for_user(user=request.user, pk=pk)
    open_for_writing = (
        not audit.is_completed and audit.claim.status == SubsidyClaim.Status.AUDIT_ASSIGNED
    )
    initial = {name: getattr(audit, name) for name in (*audit.CATEGORIES, "other")}
    initial["findings"] = audit.findings
    form = AuditRecordForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST":
        if not open_for_writing:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.rd_audit_record(audit=audit, acting_user=request.user, **data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The audited expenditure was recorded."))
                return redirect("subsidies:audit_detail", pk=audit.pk)
    return render(
        request,
        "subsidies/audit_detail.html",
        {
            "audit": audit,
            "form": form if open_for_writing else None,
            "documents": audit.claim.attachments.order_by("uploaded_at", "pk"),
        },
    )


@login_required
@require_POST
def audit_complete(request: HttpRequest, pk: int) -> HttpResponse:
    audit = selectors.audit_get_for_user(user=request.user, pk=pk)
    try:
        services.rd_audit_complete(audit=audit, acting_user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The audit was handed in to the bureau."))
    return redirect("subsidies:audit_detail", pk=audit.pk)


@login_required
def audit_document(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    """A document of the audited claim (the R&D ledger, statements) for the auditor of the
    assigned firm; another firm's audit, or a document of another claim, is 404."""
    from common.uploads import serve_private_file

    audit = selectors.audit_get_for_user(user=request.user, pk=pk)
    attachment = selectors.audit_document_get(audit=audit, pk=attachment_pk)
    extension = attachment.file.name.rsplit(".", 1)[-1]
    return serve_private_file(request, attachment.file, filename=f"{attachment.title}.{extension}")


@login_required
def audit_report(request: HttpRequest, pk: int) -> HttpResponse:
    from common.uploads import serve_private_file

    audit = selectors.audit_get_for_user(user=request.user, pk=pk)
    if not audit.report:
        raise Http404
    return serve_private_file(request, audit.report, filename=f"audit-{audit.pk}.pdf")
