"""Bureau admin for loans: banks and their circuit breakers, credit models and evaluation
runs, the review queue (forward, return, reject), and the compensation fund and its claims.
Saves and actions call loans.services; none of them re-implements a rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin

from common import exports
from common.admin import (
    AdminStep,
    AuditedModelAdmin,
    StepForm,
    WorkflowStepsMixin,
    money_display,
)
from common.audit import save_with_audit
from common.errors import messages_of
from common.lib.money import format_wan_grouped
from enterprises.admin_dossier import DossierLinkMixin
from enterprises.admin_import import LedgerImportAdminMixin
from loans import services
from loans.forms import BandsField, bands_text
from loans.models import (
    Bank,
    CompensationClaim,
    CompensationClaimDocument,
    CompensationClaimStatusChange,
    CompensationFund,
    CreditEvaluation,
    CreditGrade,
    CreditIndicator,
    CreditModel,
    FundContribution,
    Instalment,
    LoanApplication,
    LoanStatus,
    LoanStatusChange,
    Repayment,
)
from loans.resources import BankResource, LoanLedgerResource
from loans.selectors import fund_ledger_dataset

MONTHS_IN_FILTER = 24


def _errors(exc: ValidationError | PermissionDenied) -> str:
    return "; ".join(messages_of(exc))


def _apply_each(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    call: Callable[[Any], Any],
    done_message: Any,
) -> None:
    """Run a service on each selected row; report refusals row by row, then the count done."""
    done = 0
    for obj in queryset:
        try:
            call(obj)
        except (ValidationError, PermissionDenied) as exc:
            model_admin.message_user(request, f"{obj}: {_errors(exc)}", messages.ERROR)
        else:
            done += 1
    if done:
        model_admin.message_user(request, done_message % {"count": done}, messages.SUCCESS)


def month_filter(field: str, title: Any) -> type[admin.SimpleListFilter]:
    """A list filter on the calendar month of `field` (a date or datetime), last 24 months."""

    class MonthFilter(admin.SimpleListFilter):
        parameter_name = "month"

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            today = timezone.localdate()
            year, month = today.year, today.month
            choices = []
            for _step in range(MONTHS_IN_FILTER):
                choices.append((f"{year:04d}-{month:02d}", f"{year}年{month}月"))
                year, month = (year, month - 1) if month > 1 else (year - 1, 12)
            return choices

        def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
            value = self.value()
            if not value:
                return queryset
            try:
                year, month = (int(part) for part in value.split("-"))
                dt.date(year, month, 1)
            except ValueError:
                return queryset.none()
            return queryset.filter(**{f"{field}__year": year, f"{field}__month": month})

    MonthFilter.title = title
    return MonthFilter


# --------------------------------------------------------------------------------- banks


@admin.register(Bank)
class BankAdmin(LedgerImportAdminMixin, ImportExportModelAdmin, AuditedModelAdmin):
    resource_classes = [BankResource]
    list_display = (
        "name",
        "contact_person",
        "contact_phone",
        "npl_ratio_pct",
        "npl_threshold_pct",
        "paused",
        "paused_reason",
    )
    list_filter = ("paused",)
    search_fields = ("name",)
    readonly_fields = ("npl_ratio_pct", "paused", "paused_reason")

    def save_model(self, request: HttpRequest, obj: Bank, form: Any, change: bool) -> None:
        services.bank_save(bank=obj, acting_user=request.user)


# --------------------------------------------------------------------------- credit model


class CreditIndicatorForm(forms.ModelForm):
    bands = BandsField(label=CreditIndicator._meta.get_field("bands").verbose_name)

    class Meta:
        model = CreditIndicator
        fields = ("sort_order", "code", "name", "kind", "measure", "max_points", "bands")


class CreditIndicatorInline(admin.TabularInline):
    model = CreditIndicator
    form = CreditIndicatorForm
    extra = 0
    fields = ("sort_order", "code", "name", "kind", "measure", "max_points", "bands")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Read-only, the bands read as they are typed ("1: 5"), not as the stored JSON.
        if self.has_change_permission(request, obj):
            return self.fields
        return tuple("bands_display" if name == "bands" else name for name in self.fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if self.has_change_permission(request, obj):
            return ()
        return ("bands_display",)

    @admin.display(description=CreditIndicator._meta.get_field("bands").verbose_name)
    def bands_display(self, obj: CreditIndicator) -> str:
        return "; ".join(bands_text(obj.bands).splitlines()) or "—"


class CreditGradeInline(admin.TabularInline):
    model = CreditGrade
    extra = 0
    fields = ("grade", "min_score", "quota")


@admin.register(CreditModel)
class CreditModelAdmin(AuditedModelAdmin):
    list_display = ("name", "version", "is_active", "created_at")
    inlines = (CreditIndicatorInline, CreditGradeInline)
    actions = ("evaluate_all",)

    def save_model(self, request: HttpRequest, obj: CreditModel, form: Any, change: bool) -> None:
        save_with_audit(obj, acting_user=request.user)

    @admin.action(
        description=_("Evaluate every firm's latest figures with this model"),
        permissions=["evaluate"],
    )
    def evaluate_all(self, request: HttpRequest, queryset: QuerySet[CreditModel]) -> None:
        for credit_model in queryset[:1]:
            try:
                count = services.credit_evaluation_run(
                    credit_model=credit_model, acting_user=request.user
                )
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, _errors(exc), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(count)d enterprises evaluated with %(model)s.")
                    % {"count": count, "model": credit_model},
                    messages.SUCCESS,
                )

    def has_evaluate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("loans.evaluate_enterprise")


@admin.register(CreditEvaluation)
class CreditEvaluationAdmin(DossierLinkMixin, AuditedModelAdmin):
    list_display = ("enterprise", "year", "evaluated_on", "score", "grade", "quota_wan")
    list_select_related = ("enterprise",)
    list_filter = ("grade", "credit_model", month_filter("evaluated_on", _("evaluation month")))
    search_fields = ("enterprise__name", "=enterprise__uscc")
    autocomplete_fields = ("enterprise",)
    readonly_fields = (
        "credit_model",
        "year",
        "evaluated_on",
        "inputs",
        "breakdown",
        "base_score",
        "bonus_score",
        "score",
        "grade",
        "quota_display",
        "evaluated_by",
    )
    fields = ("enterprise", *readonly_fields)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("loans.evaluate_enterprise")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is None else ("enterprise", *self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # An evaluation run for one firm: the service computes everything from its figures.
        created = services.credit_evaluation_create(
            enterprise=obj.enterprise, acting_user=request.user
        )
        obj.__dict__.update(created.__dict__)

    quota_display = money_display(CreditEvaluation, "quota")

    @admin.display(description=_("credit quota (10,000 yuan)"), ordering="quota")
    def quota_wan(self, obj: CreditEvaluation) -> str:
        return format_wan_grouped(obj.quota)

    @admin.display(description=_("points per indicator"))
    def breakdown(self, obj: CreditEvaluation) -> str:
        return format_html_join(
            "",
            "<div>{}：{} → {}</div>",
            ((row["name"], row["value"], row["points"]) for row in obj.indicator_points),
        )


# ------------------------------------------------------------------------- review queue


class BankChoiceField(forms.ModelChoiceField):
    """Every bank; a paused one says why, and the service refuses to forward to it."""

    def label_from_instance(self, obj: Bank) -> str:
        if obj.paused:
            return gettext("%(bank)s (paused: %(why)s)") % {
                "bank": obj.name,
                "why": obj.paused_reason,
            }
        return obj.name


class ForwardForm(StepForm):
    bank = BankChoiceField(label=_("Bank"), queryset=Bank.objects.order_by("name"))


class PayForm(forms.Form):
    paid_on = forms.DateField(
        label=_("Payment date"), required=False, help_text=_("Empty for today.")
    )


class ReviewActionForm(ActionForm):
    bank = BankChoiceField(label=_("Bank"), queryset=Bank.objects.order_by("name"), required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class LoanStatusChangeInline(admin.TabularInline):
    model = LoanStatusChange
    extra = 0
    can_delete = False
    fields = ("created_at", "from_status", "to_status", "acting_user", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RepaymentInline(admin.TabularInline):
    model = Repayment
    extra = 0
    can_delete = False
    fields = ("paid_on", "principal_display", "interest_display", "recorded_by")
    readonly_fields = fields
    principal_display = money_display(Repayment, "principal")
    interest_display = money_display(Repayment, "interest")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class InstalmentInline(admin.TabularInline):
    model = Instalment
    extra = 0
    can_delete = False
    fields = ("number", "due_on", "principal_display", "interest_display")
    readonly_fields = fields
    principal_display = money_display(Instalment, "principal")
    interest_display = money_display(Instalment, "interest")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


LOAN_MONEY_FIELDS = (
    "quota",
    "requested_amount",
    "approved_amount",
    "repaid_principal",
    "principal_loss",
)


@admin.register(LoanApplication)
class LoanApplicationAdmin(
    DossierLinkMixin,
    WorkflowStepsMixin,
    LedgerImportAdminMixin,
    ImportExportModelAdmin,
    AuditedModelAdmin,
):
    # The import brings in the loan ledger that predates the portal; the export is the
    # loan book in the same official columns.
    resource_classes = [LoanLedgerResource]
    # The review's steps as buttons on the change page (the bank's are on its desk, the
    # fund's payment on the compensation claim's page).
    workflow_name = "loan_application"
    admin_steps = {
        LoanStatus.FORWARDED: AdminStep(
            lambda loan, user, data: services.loan_application_forward(
                application=loan, acting_user=user, bank=data["bank"], note=data["note"]
            ),
            form=ForwardForm,
            label=_("Forward to a bank"),
        ),
        LoanStatus.RETURNED: AdminStep(
            lambda loan, user, data: services.loan_application_return(
                application=loan, acting_user=user, note=data["note"]
            ),
            label=_("Return to the enterprise"),
        ),
        LoanStatus.REJECTED: AdminStep(
            lambda loan, user, data: services.loan_application_reject(
                application=loan, acting_user=user, note=data["note"]
            ),
            label=_("Reject"),
        ),
    }
    list_display = (
        "enterprise",
        "submitted_on",
        "requested_wan",
        "approved_wan",
        "preferred_bank",
        "bank",
        "status",
        "source",
    )
    list_select_related = ("enterprise", "bank", "preferred_bank")
    list_filter = (
        "status",
        "bank",
        month_filter("submitted_on", _("application month")),
        "source",
    )
    search_fields = ("enterprise__name", "=enterprise__uscc")
    inlines = (LoanStatusChangeInline, InstalmentInline, RepaymentInline)
    action_form = ReviewActionForm
    actions = ("forward_to_bank", "return_to_enterprise", "reject")
    # The page is read-only; its amounts show through the money formatter, not raw.
    exclude = LOAN_MONEY_FIELDS
    readonly_fields = [
        f"{field.name}_display" if field.name in LOAN_MONEY_FIELDS else field.name
        for field in LoanApplication._meta.fields
        if field.name != "id"
    ]
    quota_display = money_display(LoanApplication, "quota")
    requested_amount_display = money_display(LoanApplication, "requested_amount")
    approved_amount_display = money_display(LoanApplication, "approved_amount")
    repaid_principal_display = money_display(LoanApplication, "repaid_principal")
    principal_loss_display = money_display(LoanApplication, "principal_loss")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # applications come from firms, or from the loan ledger import

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # read-only here: every change is a transition, through the actions

    def has_import_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("loans.import_loanledger")

    @admin.display(description=_("amount requested (10,000 yuan)"), ordering="requested_amount")
    def requested_wan(self, obj: LoanApplication) -> str:
        return format_wan_grouped(obj.requested_amount)

    @admin.display(description=_("amount approved (10,000 yuan)"), ordering="approved_amount")
    def approved_wan(self, obj: LoanApplication) -> str:
        return format_wan_grouped(obj.approved_amount)

    @admin.action(description=_("Forward to the bank chosen below"), permissions=["review"])
    def forward_to_bank(self, request: HttpRequest, queryset: QuerySet[LoanApplication]) -> None:
        bank = Bank.objects.filter(pk=request.POST.get("bank") or None).first()
        if bank is None:
            self.message_user(request, _("Choose the bank to forward to."), messages.ERROR)
            return
        note = request.POST.get("note", "")
        _apply_each(
            self,
            request,
            queryset,
            lambda loan: services.loan_application_forward(
                application=loan, acting_user=request.user, bank=bank, note=note
            ),
            _("%(count)d applications forwarded."),
        )

    @admin.action(
        description=_("Return to the enterprise with the note below"), permissions=["review"]
    )
    def return_to_enterprise(
        self, request: HttpRequest, queryset: QuerySet[LoanApplication]
    ) -> None:
        note = request.POST.get("note", "")
        _apply_each(
            self,
            request,
            queryset,
            lambda loan: services.loan_application_return(
                application=loan, acting_user=request.user, note=note
            ),
            _("%(count)d applications returned."),
        )

    @admin.action(description=_("Reject with the note below"), permissions=["review"])
    def reject(self, request: HttpRequest, queryset: QuerySet[LoanApplication]) -> None:
        note = request.POST.get("note", "")
        _apply_each(
            self,
            request,
            queryset,
            lambda loan: services.loan_application_reject(
                application=loan, acting_user=request.user, note=note
            ),
            _("%(count)d applications rejected."),
        )

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("loans.review_loanapplication")


# ----------------------------------------------------------------- compensation fund


@admin.register(CompensationFund)
class CompensationFundAdmin(AuditedModelAdmin):
    list_display = ("name", "balance_display", "city_share_pct", "district_share")
    readonly_fields = ("balance_display",)
    balance_display = money_display(CompensationFund, "balance")
    actions = ("download_ledger",)

    @admin.display(description=_("district share (%)"))
    def district_share(self, obj: CompensationFund) -> Decimal:
        return obj.district_share_pct

    @admin.action(description=_("Download the fund ledger (xlsx)"), permissions=["view"])
    def download_ledger(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        fund = queryset.order_by("pk").first()
        dataset = fund_ledger_dataset(fund=fund)
        sheet = exports.Sheet(title=fund.name, headers=dataset.headers, rows=dataset)
        response = HttpResponse(exports.xlsx_bytes(sheet), content_type=exports.XLSX_CONTENT_TYPE)
        filename = f"fund-ledger-{timezone.localdate():%Y%m%d}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Only the ratio is editable here; the balance moves through contributions and claims.
        fresh = CompensationFund.objects.get(pk=obj.pk)
        fresh.city_share_pct = obj.city_share_pct
        fresh.name = obj.name
        save_with_audit(fresh, acting_user=request.user, reason="ratio changed")


class ContributionForm(forms.ModelForm):
    total = forms.DecimalField(
        label=_("amount (yuan)"), max_digits=16, decimal_places=2, min_value=0
    )

    class Meta:
        model = FundContribution
        fields = ("fund", "contributed_on", "note")


@admin.register(FundContribution)
class FundContributionAdmin(AuditedModelAdmin):
    form = ContributionForm
    list_display = (
        "contributed_on",
        "fund",
        "city_amount_display",
        "district_amount_display",
        "note",
    )
    city_amount_display = money_display(FundContribution, "city_amount")
    district_amount_display = money_display(FundContribution, "district_amount")
    list_select_related = ("fund",)
    list_filter = (month_filter("contributed_on", _("month")),)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        created = services.fund_contribution_record(
            fund=obj.fund,
            acting_user=request.user,
            total=form.cleaned_data["total"],
            contributed_on=obj.contributed_on,
            note=obj.note,
        )
        obj.__dict__.update(created.__dict__)


class CompensationClaimStatusChangeInline(admin.TabularInline):
    """The claim's steps: part of the claim, seen by whoever may see the claim."""

    model = CompensationClaimStatusChange
    extra = 0
    can_delete = False
    fields = ("created_at", "from_status", "to_status", "acting_user", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("loans.view_compensationclaim")


class CompensationClaimDocumentInline(admin.TabularInline):
    """The bank's documents: read here, downloaded through the checked view."""

    model = CompensationClaimDocument
    extra = 0
    can_delete = False
    fields = ("download", "uploaded_at", "uploaded_by")
    readonly_fields = fields

    @admin.display(description=_("file"))
    def download(self, obj: CompensationClaimDocument) -> str:
        url = reverse("loans:claim_document_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("loans.view_compensationclaim")


CLAIM_MONEY_FIELDS = ("principal_loss", "eligible_loss", "amount")


@admin.register(CompensationClaim)
class CompensationClaimAdmin(DossierLinkMixin, WorkflowStepsMixin, AuditedModelAdmin):
    dossier_path = "loan__enterprise"
    workflow_name = "compensation_claim"
    admin_steps = {
        CompensationClaim.Status.APPROVED: AdminStep(
            lambda claim, user, data: services.compensation_claim_approve(
                claim=claim, acting_user=user, note=data["note"]
            ),
            label=_("Approve for payment"),
        ),
        CompensationClaim.Status.PAID: AdminStep(
            lambda claim, user, data: services.compensation_claim_pay(
                claim=claim, acting_user=user, paid_on=data["paid_on"]
            ),
            form=PayForm,
            label=_("Pay from the fund"),
        ),
    }
    list_display = (
        "loan",
        "bank",
        "principal_loss_display",
        "eligible_loss_display",
        "amount_display",
        "status",
        "filed_at",
        "paid_on",
    )
    list_select_related = ("loan__enterprise", "loan__bank")
    list_filter = ("status", "loan__bank", month_filter("filed_at", _("month filed")))
    search_fields = ("loan__enterprise__name",)
    exclude = CLAIM_MONEY_FIELDS
    readonly_fields = [
        f"{field.name}_display" if field.name in CLAIM_MONEY_FIELDS else field.name
        for field in CompensationClaim._meta.fields
        if field.name != "id"
    ]
    principal_loss_display = money_display(CompensationClaim, "principal_loss")
    eligible_loss_display = money_display(CompensationClaim, "eligible_loss")
    amount_display = money_display(CompensationClaim, "amount")
    inlines = (CompensationClaimStatusChangeInline, CompensationClaimDocumentInline)
    actions = ("approve", "pay")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # banks file claims on their desk

    @admin.display(description=_("bank"), ordering="loan__bank__name")
    def bank(self, obj: CompensationClaim) -> str:
        return str(obj.loan.bank or "—")

    @admin.action(description=_("Approve the selected claims"), permissions=["decide"])
    def approve(self, request: HttpRequest, queryset: QuerySet[CompensationClaim]) -> None:
        _apply_each(
            self,
            request,
            queryset,
            lambda claim: services.compensation_claim_approve(
                claim=claim, acting_user=request.user
            ),
            _("%(count)d claims approved."),
        )

    @admin.action(description=_("Pay the selected claims from the fund"), permissions=["pay"])
    def pay(self, request: HttpRequest, queryset: QuerySet[CompensationClaim]) -> None:
        _apply_each(
            self,
            request,
            queryset,
            lambda claim: services.compensation_claim_pay(claim=claim, acting_user=request.user),
            _("%(count)d claims paid."),
        )

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("loans.decide_compensationclaim")

    def has_pay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("loans.pay_compensationclaim")
