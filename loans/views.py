"""The enterprise's loan pages and the bank desk. Every object comes through a selector, so
another firm's application or another bank's loan answers 404; every write is a service."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.errors import messages_of, put_on_form
from common.lib.money import format_wan_grouped, yuan_to_wan
from common.pagination import EstimatedCountPaginator, page_number
from common.uploads import serve_private_file
from enterprises.selectors import enterprise_for_user
from enterprises.views.registry import enterprise_member_required
from loans import forms, selectors, services
from loans.models import LoanApplication, LoanStatus
from loans.workflows import LOAN

View = Callable[..., HttpResponse]


# ------------------------------------------------------------------------- enterprise


@enterprise_member_required
def loans_home(request: HttpRequest) -> HttpResponse:
    enterprise = enterprise_for_user(user=request.user)
    evaluation = selectors.evaluation_latest_for_enterprise(enterprise=enterprise)
    applications = list(selectors.loan_applications_for_enterprise(enterprise=enterprise))
    grades = list(evaluation.credit_model.grades.all()) if evaluation else []
    return render(
        request,
        "loans/home.html",
        {
            "enterprise": enterprise,
            "evaluation": evaluation,
            "indicator_rows": selectors.evaluation_explained(evaluation=evaluation)
            if evaluation
            else [],
            "applications": applications,
            "grades": grades,
            "has_open": any(loan.is_open for loan in applications),
            "refusals": services.loan_application_refusals(enterprise=enterprise),
        },
    )


@enterprise_member_required
@require_POST
def evaluate(request: HttpRequest) -> HttpResponse:
    enterprise = enterprise_for_user(user=request.user)
    try:
        evaluation = services.credit_evaluation_create(
            enterprise=enterprise, acting_user=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(messages_of(exc)))
    else:
        messages.success(
            request,
            _("Evaluated: grade %(grade)s, credit quota %(quota)s × 10,000 yuan.")
            % {"grade": evaluation.grade or "—", "quota": format_wan_grouped(evaluation.quota)},
        )
    return redirect("loans:home")


@enterprise_member_required
def apply(request: HttpRequest) -> HttpResponse:
    enterprise = enterprise_for_user(user=request.user)
    evaluation = selectors.evaluation_latest_for_enterprise(enterprise=enterprise)
    refusals = services.loan_application_refusals(enterprise=enterprise)
    form = forms.ApplicationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                loan = services.loan_application_create(
                    enterprise=enterprise,
                    acting_user=request.user,
                    requested_amount=data["requested_amount"],
                    term_months=data["term_months"],
                    purpose=data["purpose"],
                    preferred_bank=data["preferred_bank"],
                    attachments=data["attachments"],
                )
                services.loan_application_submit(application=loan, acting_user=request.user)
        except ValidationError as exc:
            put_on_form(form, exc)
        else:
            messages.success(request, _("Your application was submitted to the bureau."))
            return redirect("loans:application_detail", pk=loan.pk)
    return render(
        request,
        "loans/apply.html",
        {
            "enterprise": enterprise,
            "evaluation": evaluation,
            "quota": evaluation.quota if evaluation else None,
            "form": form,
            "refusals": refusals,
        },
    )


@enterprise_member_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    loan = selectors.loan_application_get_for_user(user=request.user, pk=pk)
    return render(request, "loans/application_detail.html", _detail_context(loan, request.user))


def _detail_context(loan: LoanApplication, user: Any, **extra: Any) -> dict[str, Any]:
    """The page of one loan for its firm or its bank: the steps this user may make now (the
    table's). The template shows every amount in 万元 (the unit its forms take)."""
    return {"loan": loan, "next": LOAN.steps_for(user, loan), **extra}


@enterprise_member_required
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft or returned application (and add attachments), then submit it again."""
    loan = selectors.loan_application_get_for_user(user=request.user, pk=pk)
    if loan.status not in (LoanStatus.DRAFT, LoanStatus.RETURNED):
        messages.error(request, _("Only a draft or a returned application can be changed."))
        return redirect("loans:application_detail", pk=loan.pk)
    initial = {
        "preferred_bank": loan.preferred_bank_id,
        "requested_amount": yuan_to_wan(loan.requested_amount),
        "term_months": loan.term_months,
        "purpose": loan.purpose,
    }
    form = forms.ApplicationForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                services.loan_application_update(
                    application=loan,
                    acting_user=request.user,
                    requested_amount=data["requested_amount"],
                    term_months=data["term_months"],
                    purpose=data["purpose"],
                    preferred_bank=data["preferred_bank"],
                    attachments=data["attachments"],
                )
                services.loan_application_submit(application=loan, acting_user=request.user)
        except ValidationError as exc:
            put_on_form(form, exc)
        else:
            messages.success(request, _("Your application was submitted to the bureau."))
            return redirect("loans:application_detail", pk=loan.pk)
    return render(
        request,
        "loans/apply.html",
        {
            "enterprise": loan.enterprise,
            "evaluation": loan.evaluation,
            "quota": loan.quota,
            "form": form,
            "loan": loan,
            "returned_note": selectors.loan_returned_note(loan=loan),
            "refusals": services.loan_application_refusals(
                enterprise=loan.enterprise, exclude_pk=loan.pk
            ),
        },
    )


@enterprise_member_required
@require_POST
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    loan = selectors.loan_application_get_for_user(user=request.user, pk=pk)
    form = forms.NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.loan_application_withdraw(application=loan, acting_user=request.user, note=note)
    except ValidationError as exc:
        messages.error(request, " ".join(messages_of(exc)))
    else:
        messages.success(request, _("The application was withdrawn."))
    return redirect("loans:application_detail", pk=loan.pk)


@login_required
def claim_document_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A compensation claim's document: the bank that filed the claim and bureau staff who
    may view claims; anyone else 404."""
    document = selectors.claim_document_get_for_user(user=request.user, pk=pk)
    return serve_private_file(request, document.file, filename=document.original_name)


@login_required
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    attachment = selectors.attachment_get_for_user(user=request.user, loan_pk=pk, pk=attachment_pk)
    return serve_private_file(request, attachment.file, filename=attachment.original_name)


# ---------------------------------------------------------------------------- bank desk


def bank_officer_required(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        selectors.bank_for_user(user=request.user)  # 404 for anyone but an approved officer
        return view(request, *args, **kwargs)

    return wrapped


BANK_DESK_PAGE_SIZE = 50


@bank_officer_required
def bank_desk(request: HttpRequest) -> HttpResponse:
    """The bank's loans, page by page, filtered by status and searched by firm name, credit
    code or application number; above them the bank's book. Every amount in 万元."""
    bank = selectors.bank_for_user(user=request.user)
    search = forms.DeskSearchForm(request.GET or None)
    status = query = ""
    if search.is_bound:
        if search.is_valid():
            status, query = search.cleaned_data["status"], search.cleaned_data["q"]
        else:  # a too-long text or an unknown status: say so and keep what is valid
            status = search.data.get("status", "") if "status" not in search.errors else ""
            query = search.data.get("q", "") if "q" not in search.errors else ""
    loans = selectors.loans_for_bank(bank=bank, status=status, search=query)
    number = request.GET.get("page")
    # Counted a few pages ahead, not to the last of a bank's tens of thousands of loans.
    paginator = EstimatedCountPaginator(loans, BANK_DESK_PAGE_SIZE, page=page_number(number))
    page = paginator.get_page(number)
    kept = urlencode({key: value for key, value in (("q", query), ("status", status)) if value})
    return render(
        request,
        "loans/bank_desk.html",
        {
            "bank": bank,
            "book": selectors.bank_book(bank=bank),
            "page": page,
            "form": search,
            "kept": kept,
            "filtered": bool(status or query),
        },
    )


BANK_FORMS: dict[str, type] = {
    "approve": forms.ApproveForm,
    "decline": forms.RequiredNoteForm,
    "disburse": forms.DisburseForm,
    "repayment": forms.RepaymentForm,
    "overdue": forms.NoteForm,
    "default": forms.DefaultForm,
    "claim": forms.ClaimForm,
    "documents": forms.ClaimDocumentsForm,
}


def _bank_forms(loan: LoanApplication, bound: dict[str, Any] | None = None) -> dict[str, Any]:
    forms_by_action = {
        "approve": forms.ApproveForm(
            initial={"amount": None, "term_months": loan.term_months}, prefix="approve"
        ),
        "decline": forms.RequiredNoteForm(prefix="decline"),
        "disburse": forms.DisburseForm(prefix="disburse"),
        "repayment": forms.RepaymentForm(prefix="repayment"),
        "overdue": forms.NoteForm(prefix="overdue"),
        "default": forms.DefaultForm(prefix="default"),
        "claim": forms.ClaimForm(prefix="claim"),
        "documents": forms.ClaimDocumentsForm(prefix="documents"),
    }
    forms_by_action.update(bound or {})
    return forms_by_action


@bank_officer_required
def bank_loan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    loan = selectors.loan_get_for_bank(user=request.user, pk=pk)
    return render(
        request,
        "loans/bank_loan_detail.html",
        _detail_context(loan, request.user, forms=_bank_forms(loan)),
    )


def _run_bank_action(action: str, loan: LoanApplication, user: Any, data: dict[str, Any]) -> str:
    """Call the service behind a desk action; returns the success message."""
    note = data.get("note", "")
    if action == "approve":
        services.loan_approve(
            application=loan,
            acting_user=user,
            amount=data["amount"],
            annual_rate_pct=data["annual_rate_pct"],
            term_months=data["term_months"],
            note=note,
        )
        return _("The loan was approved.")
    if action == "decline":
        services.loan_decline(application=loan, acting_user=user, note=note)
        return _("The application was declined.")
    if action == "disburse":
        services.loan_disburse(
            application=loan, acting_user=user, disbursed_on=data["disbursed_on"], note=note
        )
        return _("The disbursement was recorded.")
    if action == "repayment":
        services.loan_repayment_record(
            application=loan,
            acting_user=user,
            paid_on=data["paid_on"],
            principal=data["principal"],
            interest=data.get("interest") or 0,
        )
        return _("The repayment was recorded.")
    if action == "overdue":
        services.loan_mark_overdue(application=loan, acting_user=user, note=note)
        return _("The loan was reported overdue.")
    if action == "default":
        services.loan_mark_defaulted(
            application=loan, acting_user=user, principal_loss=data["principal_loss"], note=note
        )
        return _("The default was recorded.")
    if action == "documents":
        claim = getattr(loan, "compensation_claim", None)
        if claim is None:
            raise ValidationError({"documents": _("This loan has no compensation claim.")})
        services.compensation_claim_documents_add(
            claim=claim, acting_user=user, files=data["documents"]
        )
        return _("The documents were added to the claim.")
    services.compensation_claim_file(
        application=loan, acting_user=user, note=note, documents=data["documents"]
    )
    return _("The compensation claim was filed with the bureau.")


@bank_officer_required
@require_POST
def bank_loan_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in BANK_FORMS:
        raise Http404
    loan = selectors.loan_get_for_bank(user=request.user, pk=pk)
    form = BANK_FORMS[action](request.POST, request.FILES, prefix=action)
    if form.is_valid():
        try:
            message = _run_bank_action(action, loan, request.user, form.cleaned_data)
        except ValidationError as exc:
            put_on_form(form, exc)
        else:
            messages.success(request, message)
            return redirect("loans:bank_loan_detail", pk=loan.pk)
    loan = selectors.loan_get_for_bank(user=request.user, pk=pk)
    return render(
        request,
        "loans/bank_loan_detail.html",
        _detail_context(loan, request.user, forms=_bank_forms(loan, {action: form}), failed=action),
        status=400,
    )
