"""Staff and finance admin of subsidies. Saves and transitions go through the services.

A claim and a payment batch move through their workflow from their change page: the page
offers only the steps this user may make now (`subsidies.workflows.claims`), its form only
validates the step's inputs, and the step's service runs when the admin saves; a refusal
(over budget, out of order, a batch already exported) comes back as a message and nothing is
saved. Claims import and export their ledger (subsidies.resources).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from common.admin import AuditedModelAdmin, today
from common.audit import save_with_audit
from common.workflow import Workflow
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
    PaymentBatchStatusChange,
    RDAudit,
    SignOff,
    SubsidyClaim,
    SubsidyClaimStatusChange,
    SubsidyPolicy,
)
from subsidies.resources import SubsidyLedgerResource
from subsidies.workflows.claims import BATCH, CLAIM, SIGNATURES, STAFF

S = SubsidyClaim.Status


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


class StepRunner:
    """Runs a record's steps from its change page through the services (until
    `common.admin.WorkflowStepsMixin` lands): the form only validates its inputs; the
    chosen step's service runs in `save_model`, and a refusal becomes a message on the page
    the user is sent back to, with nothing saved.

    `step_services` maps a target state to `callable(obj, user, data)`; `page_actions` maps
    the page's other writes (not steps) the same way.
    """

    workflow: Workflow
    step_services: dict[str, Callable[[Any, Any, dict[str, Any]], Any]] = {}
    page_actions: dict[str, Callable[[Any, Any, dict[str, Any]], Any]] = {}

    def offered_steps(self, request: HttpRequest, obj: Any) -> list[str]:
        """The steps this user may make on `obj` now that this page has a service for."""
        return [t for t in self.workflow.steps_for(request.user, obj) if t in self.step_services]

    def run(self, request: HttpRequest, call: Callable[[], Any]) -> bool:
        """Call one service; a refusal is shown as a message (one mapping for every page)."""
        try:
            with transaction.atomic():
                call()
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("You may not make this step."))
        else:
            return True
        request._step_refused = True  # type: ignore[attr-defined]
        return False

    def run_key(self, request: HttpRequest, obj: Any, key: str, data: dict[str, Any]) -> bool:
        call = self.step_services.get(key) or self.page_actions[key]
        return self.run(request, lambda: call(obj, request.user, data))

    def refused(self, request: HttpRequest) -> bool:
        return bool(getattr(request, "_step_refused", False))


class ClaimAddForm(forms.ModelForm):
    """A claim drafted by staff for a claimant; the draft service computes and saves it."""

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

    def _post_clean(self) -> None:
        # The service decides (and computes the amount); the model is checked there.
        pass


# The steps of a claim its change page offers, and the words on them.
CLAIM_STEP_LABELS: dict[str, Any] = {
    S.UNDER_REVIEW: _("Start the review"),
    S.AUDIT_ASSIGNED: _("Assign the R&D audit"),
    S.HANDLER_SIGNED: _("Sign as case handler"),
    S.SECTION_HEAD_SIGNED: _("Sign as section head"),
    S.SIGNED_OFF: _("Sign as deputy director"),
    S.IN_NOTICE: _("Publish the public notice"),
    S.APPROVED: _("Approve"),
    S.RETURNED: _("Return for changes"),
    S.REJECTED: _("Reject"),
}
CLAIM_ACTION_LABELS: dict[str, Any] = {
    "objection": _("Record an objection"),
    "answer": _("Answer an objection"),
}
# The inputs each step or action needs.
CLAIM_STEP_NEEDS: dict[str, tuple[str, ...]] = {
    S.AUDIT_ASSIGNED: ("firm",),
    S.IN_NOTICE: ("starts_on", "ends_on"),
    S.APPROVED: ("approved",),
    S.RETURNED: ("text",),
    S.REJECTED: ("text",),
    "objection": ("text",),
    "answer": ("objection", "text"),
}


def _sign(stage: SignOff.Stage) -> Callable[[Any, Any, dict[str, Any]], Any]:
    def call(claim: SubsidyClaim, user: Any, data: dict[str, Any]) -> Any:
        return services.subsidy_claim_sign(
            claim=claim, stage=stage, note=data.get("text") or "", acting_user=user
        )

    return call


CLAIM_STEP_SERVICES: dict[str, Callable[[Any, Any, dict[str, Any]], Any]] = {
    S.UNDER_REVIEW: lambda claim, user, data: services.subsidy_claim_take_up(
        claim=claim, acting_user=user
    ),
    S.AUDIT_ASSIGNED: lambda claim, user, data: services.rd_audit_assign(
        claim=claim,
        firm=data["firm"],
        basis=data.get("basis") or RDAudit.Basis.TAX,
        acting_user=user,
    ),
    **{target: _sign(stage) for target, stage in SIGNATURES.items()},
    S.IN_NOTICE: lambda claim, user, data: services.subsidy_claim_publish_notice(
        claim=claim, starts_on=data["starts_on"], ends_on=data["ends_on"], acting_user=user
    ),
    S.APPROVED: lambda claim, user, data: services.subsidy_claim_approve(
        claim=claim,
        approved_amount=data["approved"],
        reason=data.get("text") or "",
        acting_user=user,
    ),
    S.RETURNED: lambda claim, user, data: services.subsidy_claim_return(
        claim=claim, reason=data.get("text") or "", acting_user=user
    ),
    S.REJECTED: lambda claim, user, data: services.subsidy_claim_reject(
        claim=claim, reason=data.get("text") or "", acting_user=user
    ),
}
CLAIM_ACTIONS: dict[str, Callable[[Any, Any, dict[str, Any]], Any]] = {
    "objection": lambda claim, user, data: services.objection_record(
        claim=claim,
        received_on=data.get("received_on") or today(),
        content=data.get("text") or "",
        acting_user=user,
    ),
    "answer": lambda claim, user, data: services.objection_answer(
        objection=data["objection"], answer=data.get("text") or "", acting_user=user
    ),
}


class ClaimStepForm(forms.ModelForm):
    """The inputs of a claim's next step; `step` offers only what this user may do now.
    Validation only: the step runs in the admin's save_model."""

    step = forms.ChoiceField(label=_("Next step"), required=False, choices=[("", "—")])
    firm = forms.ModelChoiceField(
        label=_("Audit firm"), queryset=AuditFirm.objects.filter(active=True), required=False
    )
    basis = forms.ChoiceField(label=_("Basis"), choices=RDAudit.Basis.choices, required=False)
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

    offered: list[tuple[str, Any]] = []

    class Meta:
        model = SubsidyClaim
        fields: tuple[str, ...] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = [("", "—"), *self.offered]
        self.fields["objection"].queryset = Objection.objects.filter(
            claim=self.instance.pk, answered_on__isnull=True
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in CLAIM_STEP_NEEDS.get(cleaned.get("step") or "", ()):
            if cleaned.get(name) in (None, ""):
                self.add_error(name, _("This step needs it."))
        return cleaned


@admin.register(SubsidyClaim)
class SubsidyClaimAdmin(StepRunner, LedgerImportAdminMixin, ImportExportMixin, AuditedModelAdmin):
    resource_classes = [SubsidyLedgerResource]
    workflow = CLAIM
    step_services = CLAIM_STEP_SERVICES
    page_actions = CLAIM_ACTIONS
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
        "handler",
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

    def offered(self, request: HttpRequest, obj: SubsidyClaim) -> list[tuple[str, Any]]:
        steps = [(t, CLAIM_STEP_LABELS[t]) for t in self.offered_steps(request, obj)]
        if obj.status == S.IN_NOTICE and STAFF.holds(request.user, obj):
            steps += list(CLAIM_ACTION_LABELS.items())
        return steps

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """A section head or deputy director changes no claim but signs one from its page:
        the page saves nothing itself, and each step's service checks its actor."""
        if super().has_change_permission(request, obj):
            return True
        return obj is not None and bool(self.offered_steps(request, obj))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ((None, {"fields": ClaimAddForm.Meta.fields}),)
        return (
            (None, {"fields": self.detail_fields}),
            (_("Next step"), {"fields": self.step_fields}),
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
        if obj is not None:
            form.offered = self.offered(request, obj)
        return form

    def save_model(self, request: HttpRequest, obj: SubsidyClaim, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            if data.get("step"):
                self.run_key(request, obj, data["step"], data)
            return
        values = {name: data.get(name) for name in ClaimAddForm.Meta.fields}
        values["description"] = values["description"] or ""
        drafted: list[SubsidyClaim] = []

        def draft() -> None:
            drafted.append(services.subsidy_claim_draft(acting_user=request.user, **values))

        if self.run(request, draft):
            obj.pk = drafted[0].pk

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None if obj.pk is None else super().log_addition(request, obj, message)

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> Any:
        if self.refused(request):
            # Back to the form with what was typed (the admin reads initial values from GET).
            query = {k: v for k, v in request.POST.items() if k in ClaimAddForm.Meta.fields}
            return redirect(f"{reverse('admin:subsidies_subsidyclaim_add')}?{urlencode(query)}")
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request: HttpRequest, obj: Any) -> Any:
        step = request.POST.get("step")
        if not step:
            return super().response_change(request, obj)
        if not self.refused(request):
            obj.refresh_from_db()
            label = CLAIM_STEP_LABELS.get(step) or CLAIM_ACTION_LABELS.get(step, step)
            messages.success(
                request,
                _("“%(step)s” done; the claim is now “%(status)s”.")
                % {"step": label, "status": obj.get_status_display()},
            )
        return redirect(reverse("admin:subsidies_subsidyclaim_change", args=[obj.pk]))


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


class ApplicationStepForm(forms.ModelForm):
    step = forms.ChoiceField(
        label=_("Next step"),
        required=False,
        choices=[
            ("", "—"),
            ("pass", _("Passed the municipal preliminary review")),
            ("recognise", _("Recognised")),
            ("reject", _("Not recognised")),
        ],
    )
    certificate_number = forms.CharField(
        label=_("Certificate number"), required=False, max_length=20
    )
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea({"rows": 2}))

    acting_user: Any = None
    drafted: SubsidyClaim | None = None

    class Meta:
        model = HighTechApplication
        fields = ("note",)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        step = cleaned.get("step")
        if not step or self.errors:
            return cleaned
        application, user = self.instance, self.acting_user
        try:
            if step == "pass":
                services.high_tech_application_pass_preliminary(
                    application=application, acting_user=user
                )
            elif step == "reject":
                services.high_tech_application_reject(
                    application=application, reason=cleaned.get("reason") or "", acting_user=user
                )
            else:
                from enterprises.models import HighTechCertificate

                number = (cleaned.get("certificate_number") or "").strip().upper()
                certificate = HighTechCertificate.objects.filter(number=number).first()
                if certificate is None:
                    self.add_error("certificate_number", _("No certificate has this number."))
                    return cleaned
                self.drafted = services.high_tech_application_recognise(
                    application=application, certificate=certificate, acting_user=user
                )
        except ValidationError as exc:
            _put_errors(self, exc, {"certificate": "certificate_number"})
        except PermissionDenied as exc:
            self.add_error("step", str(exc))
        return cleaned


class ApplicationAddForm(forms.ModelForm):
    acting_user: Any = None

    class Meta:
        model = HighTechApplication
        fields = ("enterprise", "year", "batch_number", "recommended_on")

    def _post_clean(self) -> None:
        pass

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            self.instance = services.high_tech_application_recommend(
                acting_user=self.acting_user, **cleaned
            )
        except ValidationError as exc:
            _put_errors(self, exc, {})
        return cleaned


@admin.register(HighTechApplication)
class HighTechApplicationAdmin(AuditedModelAdmin):
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
        return (
            (None, {"fields": (*self.readonly_detail, "note")}),
            (_("Next step"), {"fields": ("step", "certificate_number", "reason")}),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.readonly_detail if obj is not None else ()

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if obj is not None else ()

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        kwargs["form"] = ApplicationStepForm if obj is not None else ApplicationAddForm
        if obj is not None:
            kwargs["fields"] = ("note", "step", "certificate_number", "reason")
        form = super().get_form(request, obj, change=change, **kwargs)
        form.acting_user = request.user
        return form

    def save_model(
        self, request: HttpRequest, obj: HighTechApplication, form: Any, change: bool
    ) -> None:
        if not change:
            obj.pk = form.instance.pk
            return
        current = HighTechApplication.objects.get(pk=obj.pk)
        if current.note != form.cleaned_data["note"]:
            current.note = form.cleaned_data["note"]
            save_with_audit(current, acting_user=request.user, reason="admin")
        drafted = getattr(form, "drafted", None)
        if drafted is not None:
            messages.info(
                request,
                _("Reward claim #%(pk)s was drafted for the enterprise to confirm.")
                % {"pk": drafted.pk},
            )


# -------------------------------------------------------------------------------- finance


class BatchClaimInline(ReadOnlyInline):
    model = SubsidyClaim
    fields = ("id", "enterprise", "incubator", "programme", "year", "approved_amount", "status")
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("enterprise", "incubator")


class BatchStatusChangeInline(ReadOnlyInline):
    model = PaymentBatchStatusChange
    fields = ("created_at", "from_status", "to_status", "note", "acting_user")
    readonly_fields = fields


class BatchForm(forms.ModelForm):
    """What finance do to a batch: claims in or out while open, export, mark paid.
    Validation only: the services run in the admin's save_model."""

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


class BatchAddForm(forms.ModelForm):
    class Meta:
        model = PaymentBatch
        fields = ("number",)

    def _post_clean(self) -> None:
        # The service checks the number (and that the user is finance).
        pass


BATCH_STEP_SERVICES: dict[str, Callable[[Any, Any, dict[str, Any]], Any]] = {
    PaymentBatch.Status.EXPORTED: lambda batch, user, data: services.payment_batch_export(
        batch=batch, acting_user=user
    ),
    PaymentBatch.Status.PAID: lambda batch, user, data: services.payment_batch_mark_paid(
        batch=batch, paid_on=data["mark_paid_on"], acting_user=user
    ),
}
BATCH_ACTIONS: dict[str, Callable[[Any, Any, dict[str, Any]], Any]] = {
    "add_claims": lambda batch, user, data: services.payment_batch_add(
        batch=batch, claims=data["add_claims"], acting_user=user
    ),
    "remove_claims": lambda batch, user, data: [
        services.payment_batch_remove(batch=batch, claim=claim, acting_user=user)
        for claim in data["remove_claims"]
    ],
}


@admin.register(PaymentBatch)
class PaymentBatchAdmin(StepRunner, AuditedModelAdmin):
    workflow = BATCH
    step_services = BATCH_STEP_SERVICES
    page_actions = BATCH_ACTIONS
    list_display = ("number", "status", "claim_count", "total", "exported_at", "paid_on")
    list_filter = ("status",)
    search_fields = ("number",)
    readonly_fields = ("number", "status", "exported_at", "paid_on", "created_by", "created_at")
    inlines = (BatchClaimInline, BatchStatusChangeInline)
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
        elif PaymentBatch.Status.PAID in self.offered_steps(request, obj):
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
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request: HttpRequest, obj: PaymentBatch, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            created: list[PaymentBatch] = []
            number = data.get("number") or ""
            if self.run(
                request,
                lambda: created.append(
                    services.payment_batch_create(number=number, acting_user=request.user)
                ),
            ):
                obj.pk = created[0].pk
            return
        for key in ("add_claims", "remove_claims"):
            if data.get(key) and not self.run_key(request, obj, key, data):
                return
        if data.get("mark_paid_on"):
            self.run_key(request, obj, PaymentBatch.Status.PAID, data)

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        return None if obj.pk is None else super().log_addition(request, obj, message)

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> Any:
        if self.refused(request):
            return redirect(reverse("admin:subsidies_paymentbatch_add"))
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request: HttpRequest, obj: Any) -> Any:
        if self.refused(request):
            return redirect(reverse("admin:subsidies_paymentbatch_change", args=[obj.pk]))
        return super().response_change(request, obj)

    @admin.action(description=_("Export for the treasury (xlsx)"), permissions=["change"])
    def export_xlsx(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """An open batch is exported (its step; then frozen); an exported or paid batch's
        sheet is downloaded again, changing nothing."""
        batches = list(queryset[:2])
        if len(batches) != 1:
            self.message_user(request, _("Choose one batch to export."), messages.WARNING)
            return None
        batch = batches[0]
        content: list[bytes] = []
        if batch.status == PaymentBatch.Status.OPEN:
            exported = self.run(
                request,
                lambda: content.append(
                    services.payment_batch_export(batch=batch, acting_user=request.user)
                ),
            )
            if not exported:
                return None
        else:
            content.append(services.payment_batch_xlsx(batch))
        response = HttpResponse(
            content[0],
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}.xlsx"'
        return response
