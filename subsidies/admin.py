"""Staff and finance admin of subsidies. Saves and transitions go through the services.

A claim, a high-tech application and a payment batch move through their workflow from their
change form: the chosen step runs its service while the form is validated, so a refusal
(over budget, out of order, a batch already exported) shows at the field and nothing is
saved. Claims import and export their ledger (subsidies.resources).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.forms.models import construct_instance
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from common.admin import AdminStep, AuditedModelAdmin, WorkflowStepsMixin, today
from common.audit import save_with_audit
from common.errors import put_on_form
from enterprises.admin_import import LedgerImportAdminMixin
from enterprises.forms import DateInput
from subsidies import services
from subsidies.models import (
    AuditFirm,
    ClaimAttachment,
    EnterpriseListing,
    HighTechApplication,
    HighTechApplicationStatusChange,
    Objection,
    PaymentBatch,
    RDAudit,
    SignOff,
    SubsidyClaim,
    SubsidyClaimStatusChange,
    SubsidyPolicy,
)
from subsidies.resources import SubsidyLedgerResource
from subsidies.services.recognition import high_tech_application_check_new


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _put_errors(form: forms.Form, exc: ValidationError, fields: dict[str, str]) -> None:
    """A service's refusal at the form's field it concerns, else at the step."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target = fields.get(name, name)
            form.add_error(target if target in form.fields else "step", errors)
    else:
        form.add_error("step", exc)


ZERO = Value(0, output_field=DecimalField(max_digits=14, decimal_places=2))


@admin.register(SubsidyPolicy)
class SubsidyPolicyAdmin(AuditedModelAdmin):
    list_display = (
        "year",
        "name",
        "kind",
        "amount",
        "rate",
        "cap",
        "document_number",
        "yearly_budget",
        "committed",
        "paid",
    )
    list_filter = ("year", "code", "kind")
    search_fields = ("name", "document_number")
    readonly_fields = ("committed", "paid")

    def get_queryset(self, request: HttpRequest) -> QuerySet[SubsidyPolicy]:
        committed = Q(claims__status__in=SubsidyClaim.COMMITTED_STATUSES)
        return (
            super()
            .get_queryset(request)
            .annotate(
                committed_total=Coalesce(Sum("claims__approved_amount", filter=committed), ZERO),
                paid_total=Coalesce(
                    Sum("claims__approved_amount", filter=Q(claims__status="paid")), ZERO
                ),
            )
        )

    @admin.display(description=_("committed (yuan)"))
    def committed(self, obj: SubsidyPolicy) -> Any:
        return getattr(obj, "committed_total", None)

    @admin.display(description=_("paid (yuan)"))
    def paid(self, obj: SubsidyPolicy) -> Any:
        return getattr(obj, "paid_total", None)

    def save_model(self, request: HttpRequest, obj: SubsidyPolicy, form: Any, change: bool) -> None:
        save_with_audit(obj, acting_user=request.user, reason="admin")


@admin.register(AuditFirm)
class AuditFirmAdmin(AuditedModelAdmin):
    list_display = ("name", "contact_person", "contact_phone", "active")
    list_filter = ("active",)
    search_fields = ("name",)

    def save_model(self, request: HttpRequest, obj: AuditFirm, form: Any, change: bool) -> None:
        save_with_audit(obj, acting_user=request.user, reason="admin")


@admin.register(EnterpriseListing)
class EnterpriseListingAdmin(AuditedModelAdmin):
    list_display = ("enterprise", "board", "listed_on")
    list_select_related = ("enterprise",)
    list_filter = ("board", "listed_on")
    search_fields = ("enterprise__name", "=enterprise__uscc")
    autocomplete_fields = ("enterprise",)

    def save_model(
        self, request: HttpRequest, obj: EnterpriseListing, form: Any, change: bool
    ) -> None:
        save_with_audit(obj, acting_user=request.user, reason="admin")


# ------------------------------------------------------------------------------- claims


class ClaimStatusChangeInline(ReadOnlyInline):
    model = SubsidyClaimStatusChange
    fields = ("created_at", "from_status", "to_status", "note", "acting_user")
    readonly_fields = fields


class SignOffInline(ReadOnlyInline):
    model = SignOff
    fields = ("stage", "signed_by", "signed_at", "note")
    readonly_fields = fields


class AttachmentInline(ReadOnlyInline):
    model = ClaimAttachment
    fields = ("title", "uploaded_by", "uploaded_at")
    readonly_fields = fields


class ObjectionInline(ReadOnlyInline):
    model = Objection
    fields = ("pk", "received_on", "content", "answer", "answered_on")
    readonly_fields = fields


class ClaimAddForm(forms.ModelForm):
    class Meta:
        model = SubsidyClaim
        fields = (
            "programme",
            "year",
            "enterprise",
            "incubator",
            "rent_month_from",
            "rent_month_to",
            "claimed_amount",
            "description",
        )

    acting_user: Any = None

    def _post_clean(self) -> None:
        # The service decides (and computes the amount); the model is checked there.
        pass

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            self.instance = services.subsidy_claim_draft(acting_user=self.acting_user, **cleaned)
        except ValidationError as exc:
            _put_errors(self, exc, {})
        except PermissionDenied as exc:
            self.add_error(None, str(exc))
        return cleaned


class ClaimStepForm(forms.ModelForm):
    """The next step of a claim; it runs its service when the form is validated."""

    step = forms.ChoiceField(
        label=_("Next step"),
        required=False,
        choices=[
            ("", "—"),
            ("take_up", _("Start the review")),
            ("return", _("Return for changes")),
            ("reject", _("Reject")),
            ("assign_audit", _("Assign the R&D audit")),
            ("sign", _("Sign")),
            ("publish", _("Publish the public notice")),
            ("objection", _("Record an objection")),
            ("answer", _("Answer an objection")),
            ("approve", _("Approve")),
        ],
    )
    firm = forms.ModelChoiceField(
        label=_("Audit firm"), queryset=AuditFirm.objects.filter(active=True), required=False
    )
    basis = forms.ChoiceField(label=_("Basis"), choices=RDAudit.Basis.choices, required=False)
    stage = forms.TypedChoiceField(
        label=_("Stage"), choices=SignOff.Stage.choices, coerce=int, required=False
    )
    starts_on = forms.DateField(label=_("Notice from"), required=False, widget=DateInput())
    ends_on = forms.DateField(label=_("Notice until"), required=False, widget=DateInput())
    received_on = forms.DateField(label=_("Received on"), required=False, widget=DateInput())
    objection = forms.ModelChoiceField(
        label=_("Objection"), queryset=Objection.objects.none(), required=False
    )
    approved = forms.DecimalField(
        label=_("Approved amount (yuan)"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
    )
    text = forms.CharField(
        label=_("Reason, note, objection or answer"),
        required=False,
        widget=forms.Textarea({"rows": 2}),
    )

    acting_user: Any = None

    class Meta:
        model = SubsidyClaim
        fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["objection"].queryset = Objection.objects.filter(
            claim=self.instance.pk, answered_on__isnull=True
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        step = cleaned.get("step")
        if not step or self.errors:
            return cleaned
        claim, user, text = self.instance, self.acting_user, cleaned.get("text") or ""
        calls = {
            "take_up": lambda: services.subsidy_claim_take_up(claim=claim, acting_user=user),
            "return": lambda: services.subsidy_claim_return(
                claim=claim, reason=text, acting_user=user
            ),
            "reject": lambda: services.subsidy_claim_reject(
                claim=claim, reason=text, acting_user=user
            ),
            "assign_audit": lambda: services.rd_audit_assign(
                claim=claim,
                firm=cleaned.get("firm"),
                basis=cleaned.get("basis") or RDAudit.Basis.TAX,
                acting_user=user,
            ),
            "sign": lambda: services.subsidy_claim_sign(
                claim=claim, stage=cleaned.get("stage"), note=text, acting_user=user
            ),
            "publish": lambda: services.subsidy_claim_publish_notice(
                claim=claim,
                starts_on=cleaned.get("starts_on"),
                ends_on=cleaned.get("ends_on"),
                acting_user=user,
            ),
            "objection": lambda: services.objection_record(
                claim=claim,
                received_on=cleaned.get("received_on") or today(),
                content=text,
                acting_user=user,
            ),
            "answer": lambda: services.objection_answer(
                objection=cleaned.get("objection"), answer=text, acting_user=user
            ),
            "approve": lambda: services.subsidy_claim_approve(
                claim=claim, approved_amount=cleaned.get("approved"), reason=text, acting_user=user
            ),
        }
        required = {
            "assign_audit": "firm",
            "sign": "stage",
            "publish": "starts_on",
            "answer": "objection",
            "approve": "approved",
        }
        needed = required.get(step)
        if needed and cleaned.get(needed) in (None, ""):
            self.add_error(needed, _("This step needs it."))
            return cleaned
        if step == "publish" and not cleaned.get("ends_on"):
            self.add_error("ends_on", _("This step needs it."))
            return cleaned
        try:
            calls[step]()
        except ValidationError as exc:
            _put_errors(
                self,
                exc,
                {
                    "reason": "text",
                    "content": "text",
                    "answer": "text",
                    "approved_amount": "approved",
                },
            )
        except PermissionDenied as exc:
            self.add_error("step", str(exc))
        return cleaned


@admin.register(SubsidyClaim)
class SubsidyClaimAdmin(LedgerImportAdminMixin, ImportExportMixin, AuditedModelAdmin):
    resource_classes = [SubsidyLedgerResource]
    list_display = (
        "id",
        "claimant_name",
        "programme",
        "year",
        "status",
        "eligible_amount",
        "approved_amount",
        "submitted_on",
        "approved_on",
        "paid_on",
        "source",
    )
    list_select_related = ("enterprise", "incubator")
    list_filter = ("status", "programme", "year", "source")
    search_fields = ("enterprise__name", "=enterprise__uscc", "incubator__name")
    autocomplete_fields = ("enterprise", "incubator")
    inlines = (
        ClaimStatusChangeInline,
        SignOffInline,
        ObjectionInline,
        AttachmentInline,
    )
    detail_fields = (
        "programme",
        "year",
        "enterprise",
        "incubator",
        "status",
        "source",
        "policy",
        "certificate",
        "rent_month_from",
        "rent_month_to",
        "claimed_amount",
        "eligible_amount",
        "computation",
        "approved_amount",
        "approval_reason",
        "decision_reason",
        "description",
        "submitted_on",
        "notice_starts_on",
        "notice_ends_on",
        "approved_on",
        "payment_batch",
        "paid_on",
        "audit_link",
        "page_link",
    )
    step_fields = (
        "step",
        "firm",
        "basis",
        "stage",
        "starts_on",
        "ends_on",
        "received_on",
        "objection",
        "approved",
        "text",
    )

    @admin.display(description=_("claimant"))
    def claimant_name(self, obj: SubsidyClaim) -> str:
        return str(obj.incubator.name if obj.incubator_id else obj.enterprise.name)

    @admin.display(description=_("R&D audit"))
    def audit_link(self, obj: SubsidyClaim) -> str:
        audit = RDAudit.objects.filter(claim=obj).select_related("firm").first()
        if audit is None:
            return "—"
        url = reverse("admin:subsidies_rdaudit_change", args=[audit.pk])
        return format_html('<a href="{}">{} · {}</a>', url, audit.firm, audit.eligible_total)

    @admin.display(description=_("claim page"))
    def page_link(self, obj: SubsidyClaim) -> str:
        url = reverse("subsidies:claim_detail", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Timeline and signatures"))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ((None, {"fields": ClaimAddForm.Meta.fields}),)
        return (
            (None, {"fields": self.detail_fields}),
            (_("Next step"), {"fields": self.step_fields}),
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Section heads and deputy directors change no claim, but post their signature from
        its page: the step form saves nothing itself, and the sign service checks the stage.
        (Once claims step through common.admin.WorkflowStepsMixin, whose step pages need only
        view permission, this goes.)"""
        if super().has_change_permission(request, obj):
            return True
        return obj is not None and any(
            request.user.has_perm(permission) for permission in SignOff.STAGE_PERMISSIONS.values()
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.detail_fields if obj is not None else ()

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if obj is not None else ()

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        kwargs["form"] = ClaimStepForm if obj is not None else ClaimAddForm
        if obj is not None:
            kwargs["fields"] = self.step_fields
        form = super().get_form(request, obj, change=change, **kwargs)
        form.acting_user = request.user
        return form

    def save_model(self, request: HttpRequest, obj: SubsidyClaim, form: Any, change: bool) -> None:
        # The step (or the draft) was saved by its service in the form's clean().
        if not change:
            obj.pk = form.instance.pk


# --------------------------------------------------------------------------------- audits


@admin.register(RDAudit)
class RDAuditAdmin(AuditedModelAdmin):
    """Read-only for staff: audits are assigned from the claim and recorded by the firm."""

    list_display = ("claim", "firm", "basis", "eligible_total", "completed_at")
    list_select_related = ("claim__enterprise", "claim__incubator", "firm")
    list_filter = ("firm", "basis")
    search_fields = ("claim__enterprise__name", "firm__name")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --------------------------------------------------------------- high-tech recognition


class ApplicationStatusChangeInline(ReadOnlyInline):
    model = HighTechApplicationStatusChange
    fields = ("created_at", "from_status", "to_status", "note", "acting_user")
    readonly_fields = fields


class RecogniseStepForm(forms.Form):
    certificate = forms.CharField(label=_("Certificate number"), max_length=20)


class RejectStepForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea({"rows": 2}))


def _recognise(application: HighTechApplication, user: Any, data: dict[str, Any]) -> Any:
    from enterprises.models import HighTechCertificate

    number = data["certificate"].strip().upper()
    certificate = HighTechCertificate.objects.filter(number=number).first()
    if certificate is None:
        raise ValidationError({"certificate": _("No certificate has this number.")})
    return services.high_tech_application_recognise(
        application=application, certificate=certificate, acting_user=user
    )


ApplicationStatus = HighTechApplication.Status


class ApplicationAddForm(forms.ModelForm):
    """The recommendation's details; the service's rule refuses a second one of the firm that
    year at the field (it reads only: the admin saves through the service)."""

    class Meta:
        model = HighTechApplication
        fields = ("enterprise", "year", "batch_number", "recommended_on")

    def _post_clean(self) -> None:
        # Fill the instance (the admin logs and names it) but leave validating and saving
        # the row to the service.
        self.instance = construct_instance(self, self.instance, self._meta.fields)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            high_tech_application_check_new(enterprise=cleaned["enterprise"], year=cleaned["year"])
        except ValidationError as exc:
            put_on_form(self, exc)
        return cleaned


@admin.register(HighTechApplication)
class HighTechApplicationAdmin(WorkflowStepsMixin, AuditedModelAdmin):
    """The change page offers as buttons the steps of `subsidies.workflows.recognition` this
    user may make now; recognising drafts the reward claim for the enterprise to confirm."""

    workflow_name = "high_tech_application"
    admin_steps = {
        ApplicationStatus.PRELIMINARY_PASSED: AdminStep(
            lambda obj, user, data: services.high_tech_application_pass_preliminary(
                application=obj, acting_user=user, **data
            )
        ),
        ApplicationStatus.RECOGNISED: AdminStep(_recognise, form=RecogniseStepForm),
        ApplicationStatus.NOT_RECOGNISED: AdminStep(
            lambda obj, user, data: services.high_tech_application_reject(
                application=obj, acting_user=user, **data
            ),
            form=RejectStepForm,
        ),
    }
    list_display = ("enterprise", "year", "batch_number", "recommended_on", "status", "certificate")
    list_select_related = ("enterprise", "certificate")
    list_filter = ("year", "batch_number", "status")
    search_fields = ("enterprise__name", "=enterprise__uscc")
    autocomplete_fields = ("enterprise",)
    inlines = (ApplicationStatusChangeInline,)
    readonly_detail = (
        "enterprise",
        "year",
        "batch_number",
        "recommended_on",
        "status",
        "certificate",
    )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ((None, {"fields": ApplicationAddForm.Meta.fields}),)
        return ((None, {"fields": (*self.readonly_detail, "note")}),)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.readonly_detail if obj is not None else ()

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if obj is not None else ()

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        if obj is None:
            kwargs["form"] = ApplicationAddForm
        else:
            kwargs["fields"] = ("note",)
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: HighTechApplication, form: Any, change: bool
    ) -> None:
        if not change:
            fields = ApplicationAddForm.Meta.fields
            saved = services.high_tech_application_recommend(
                acting_user=request.user, **{name: form.cleaned_data[name] for name in fields}
            )
            obj.pk = saved.pk
            return
        current = HighTechApplication.objects.get(pk=obj.pk)
        if current.note != form.cleaned_data["note"]:
            current.note = form.cleaned_data["note"]
            save_with_audit(current, acting_user=request.user, reason="admin")


# -------------------------------------------------------------------------------- finance


class BatchClaimInline(ReadOnlyInline):
    model = SubsidyClaim
    fields = ("id", "enterprise", "incubator", "programme", "year", "approved_amount", "status")
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("enterprise", "incubator")


class BatchForm(forms.ModelForm):
    add_claims = forms.ModelMultipleChoiceField(
        label=_("Add approved claims"),
        queryset=SubsidyClaim.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    remove_claims = forms.ModelMultipleChoiceField(
        label=_("Take claims out"),
        queryset=SubsidyClaim.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    mark_paid_on = forms.DateField(label=_("Mark paid on"), required=False, widget=DateInput())

    acting_user: Any = None

    class Meta:
        model = PaymentBatch
        fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["add_claims"].queryset = SubsidyClaim.objects.filter(
            status=SubsidyClaim.Status.APPROVED
        ).select_related("enterprise", "incubator")
        self.fields["remove_claims"].queryset = SubsidyClaim.objects.filter(
            payment_batch=self.instance.pk
        ).select_related("enterprise", "incubator")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        batch, user = self.instance, self.acting_user
        try:
            if cleaned.get("add_claims"):
                services.payment_batch_add(
                    batch=batch, claims=cleaned["add_claims"], acting_user=user
                )
            for claim in cleaned.get("remove_claims") or ():
                services.payment_batch_remove(batch=batch, claim=claim, acting_user=user)
            if cleaned.get("mark_paid_on"):
                services.payment_batch_mark_paid(
                    batch=batch, paid_on=cleaned["mark_paid_on"], acting_user=user
                )
        except ValidationError as exc:
            self.add_error(None, exc.messages)
        except PermissionDenied as exc:
            self.add_error(None, str(exc))
        return cleaned


class BatchAddForm(forms.ModelForm):
    acting_user: Any = None

    class Meta:
        model = PaymentBatch
        fields = ("number",)

    def _post_clean(self) -> None:
        pass

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            self.instance = services.payment_batch_create(
                number=cleaned["number"], acting_user=self.acting_user
            )
        except ValidationError as exc:
            _put_errors(self, exc, {})
        except PermissionDenied as exc:
            self.add_error(None, str(exc))
        return cleaned


@admin.register(PaymentBatch)
class PaymentBatchAdmin(AuditedModelAdmin):
    list_display = ("number", "status", "claim_count", "total", "exported_at", "paid_on")
    list_filter = ("status",)
    search_fields = ("number",)
    readonly_fields = ("number", "status", "exported_at", "paid_on", "created_by", "created_at")
    inlines = (BatchClaimInline,)
    actions = ("export_xlsx",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[PaymentBatch]:
        from django.db.models import Count

        return (
            super()
            .get_queryset(request)
            .annotate(
                claims_in=Count("claims"),
                total_amount=Coalesce(Sum("claims__approved_amount"), ZERO),
            )
        )

    @admin.display(description=_("claims"))
    def claim_count(self, obj: PaymentBatch) -> int:
        return obj.claims_in  # type: ignore[attr-defined]

    @admin.display(description=_("total (yuan)"))
    def total(self, obj: PaymentBatch) -> Any:
        return obj.total_amount  # type: ignore[attr-defined]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ((None, {"fields": ("number",)}),)
        steps: tuple[str, ...] = ()
        if obj.status == PaymentBatch.Status.OPEN:
            steps = ("add_claims", "remove_claims")
        elif obj.status == PaymentBatch.Status.EXPORTED:
            steps = ("mark_paid_on",)
        sets: list[Any] = [(None, {"fields": self.readonly_fields})]
        if steps:
            sets.append((_("Next step"), {"fields": steps}))
        return sets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.readonly_fields if obj is not None else ()

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if obj is not None else ()

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        kwargs["form"] = BatchForm if obj is not None else BatchAddForm
        if obj is not None:
            kwargs["fields"] = ()
        form = super().get_form(request, obj, change=change, **kwargs)
        form.acting_user = request.user
        return form

    def save_model(self, request: HttpRequest, obj: PaymentBatch, form: Any, change: bool) -> None:
        if not change:
            obj.pk = form.instance.pk

    @admin.action(description=_("Export for the treasury (xlsx)"), permissions=["change"])
    def export_xlsx(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        batches = list(queryset[:2])
        if len(batches) != 1:
            self.message_user(request, _("Choose one batch to export."), messages.WARNING)
            return None
        batch = batches[0]
        try:
            content = services.payment_batch_export(batch=batch, acting_user=request.user)
        except (ValidationError, PermissionDenied) as exc:
            text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            self.message_user(request, text, messages.WARNING)
            return None
        response = HttpResponse(
            content,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}.xlsx"'
        return response
