"""Staff and finance admin of subsidies. Saves and transitions go through the services.

A claim and a payment batch move through their workflow from their change page: the page
offers only the steps this user may make now (`subsidies.workflows.claims`), its form only
validates the step's inputs, and the step's service runs when the admin saves; a refusal
(over budget, out of order, a batch already exported) comes back as a message and nothing is
saved. Claims import and export their ledger (subsidies.resources).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import DecimalField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.forms.models import construct_instance
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from common.admin import (
    AdminStep,
    AuditedModelAdmin,
    WorkflowStepsMixin,
    money_display,
    today,
    year_number_filter,
)
from common.audit import save_with_audit
from common.errors import messages_of, put_on_form
from common.lib.money import format_yuan
from enterprises.admin_dossier import DossierLinkMixin
from enterprises.admin_import import LedgerImportAdminMixin
from enterprises.forms import DateInput
from subsidies import selectors, services
from subsidies.forms import WindowFormSet
from subsidies.models import (
    ApplicationWindow,
    AuditFirm,
    ChecklistItem,
    ClaimAttachment,
    EnterpriseListing,
    HighTechApplication,
    HighTechApplicationStatusChange,
    Notice,
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
from subsidies.services.recognition import high_tech_application_check_new
from subsidies.workflows.claims import BATCH, CLAIM, FINANCE, SIGNATURES, STAFF

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


class ApplicationWindowInline(admin.TabularInline):
    model = ApplicationWindow
    formset = WindowFormSet
    extra = 0
    fields = ("opens_on", "closes_on")


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0
    fields = ("position", "title", "required", "note")


# Rows per page of the what-if and call pages.
POLICY_PAGE_SIZE = 50


@admin.register(SubsidyPolicy)
class SubsidyPolicyAdmin(AuditedModelAdmin):
    list_display = (
        "year",
        "name",
        "status",
        "kind",
        "amount_display",
        "rate_display",
        "cap_display",
        "document_number",
        "yearly_budget_display",
        "committed",
        "paid",
    )
    list_filter = ("status", "year", "code", "kind")
    search_fields = ("name", "document_number")
    readonly_fields = ("committed", "paid", "pages")
    inlines = (ApplicationWindowInline, ChecklistItemInline)
    actions = ("copy_to_next_year",)

    amount_display = money_display(SubsidyPolicy, "amount")
    cap_display = money_display(SubsidyPolicy, "cap")
    yearly_budget_display = money_display(SubsidyPolicy, "yearly_budget")

    @admin.display(description=SubsidyPolicy._meta.get_field("rate").verbose_name, ordering="rate")
    def rate_display(self, obj: SubsidyPolicy) -> str:
        # 0.1 reads "10%", as the policy documents write it, not the stored 0.1000.
        return obj.rate_percent or "—"

    committed = money_display(SubsidyPolicy, "committed_total", description=_("committed (yuan)"))
    paid = money_display(SubsidyPolicy, "paid_total", description=_("paid (yuan)"))

    @admin.display(description=_("what-if and call"))
    def pages(self, obj: SubsidyPolicy) -> str:
        if obj.pk is None:
            return ""
        return format_html(
            '<a href="{}" id="what-if-link">{}</a> · <a href="{}" id="call-link">{}</a>',
            reverse("admin:subsidies_subsidypolicy_what_if", args=[obj.pk]),
            _("Who would qualify, and the budget needed"),
            reverse("admin:subsidies_subsidypolicy_call", args=[obj.pk]),
            _("Qualifying firms that have not applied"),
        )

    def save_model(self, request: HttpRequest, obj: SubsidyPolicy, form: Any, change: bool) -> None:
        save_with_audit(obj, acting_user=request.user, reason="admin")

    @admin.action(description=_("Copy into drafts for the next year"), permissions=["add"])
    def copy_to_next_year(self, request: HttpRequest, queryset: QuerySet[SubsidyPolicy]) -> None:
        try:
            drafts = services.policy_versions_copy_to_next_year(
                policies=list(queryset), acting_user=request.user
            )
        except (ValidationError, PermissionDenied) as exc:
            for message in messages_of(exc):
                self.message_user(request, message, messages.ERROR)
            return
        self.message_user(
            request,
            _("%(count)s draft versions were made; check them and publish each.")
            % {"count": len(drafts)},
            messages.SUCCESS,
        )

    def get_urls(self) -> list[Any]:
        own = [
            path(
                "<path:object_id>/what-if/",
                self.admin_site.admin_view(self.what_if_view),
                name="subsidies_subsidypolicy_what_if",
            ),
            path(
                "<path:object_id>/call/",
                self.admin_site.admin_view(self.call_view),
                name="subsidies_subsidypolicy_call",
            ),
        ]
        return own + super().get_urls()

    def _policy(self, request: HttpRequest, object_id: str) -> SubsidyPolicy:
        if not self.has_view_permission(request):
            raise PermissionDenied
        policy = self.get_object(request, object_id)
        if policy is None:
            raise Http404(_("No such record."))
        return policy

    def _page(self, request: HttpRequest, rows: list[Any]) -> Any:
        from django.core.paginator import Paginator

        return Paginator(rows, POLICY_PAGE_SIZE).get_page(request.GET.get("p"))

    def what_if_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Who would qualify under this version (a draft above all) and the budget it would
        need, computed by the claims' own eligibility rules. Reads only."""
        from subsidies.selectors import policy_what_if

        policy = self._policy(request, object_id)
        what_if = policy_what_if(policy=policy)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": policy,
            "title": _("What-if: %(policy)s") % {"policy": policy},
            "policy": policy,
            "what_if": what_if,
            "page": self._page(request, what_if.outcomes),
        }
        return TemplateResponse(request, "admin/subsidies/policy_what_if.html", context)

    def call_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The firms that qualify for this version's open call by the registry and have not
        applied, with who was told already; POST tells the chosen (or all) of them."""
        from django.utils import timezone

        from subsidies.selectors import call_notified_keys, call_prospects

        policy = self._policy(request, object_id)
        today = timezone.localdate()
        if request.method == "POST":
            if not self.has_change_permission(request, policy):
                raise PermissionDenied
            keys = request.POST.getlist("claimant") or None
            try:
                told = services.policy_call_notify(
                    policy=policy, acting_user=request.user, day=today, claimant_keys=keys
                )
            except (ValidationError, PermissionDenied) as exc:
                for message in messages_of(exc):
                    self.message_user(request, message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(count)s firms were told of the call.") % {"count": told},
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(request.get_full_path())
        window = policy.window_on(today) if policy.is_published else None
        prospects = call_prospects(policy=policy, day=today) if window else []
        notified = call_notified_keys(window=window) if window else set()
        page = self._page(request, prospects)
        rows = [(o, _claimant_key(o), _claimant_key(o) in notified) for o in page.object_list]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": policy,
            "title": _("Call: %(policy)s") % {"policy": policy},
            "policy": policy,
            "window": window,
            "page": page,
            "rows": rows,
            "may_notify": self.has_change_permission(request, policy),
        }
        return TemplateResponse(request, "admin/subsidies/policy_call.html", context)


def _claimant_key(outcome: Any) -> str:
    from subsidies.selectors import _key

    return _key(outcome)


@admin.register(AuditFirm)
class AuditFirmAdmin(AuditedModelAdmin):
    list_display = ("name", "contact_person", "contact_phone", "active")
    list_filter = ("active",)
    search_fields = ("name",)

    def save_model(self, request: HttpRequest, obj: AuditFirm, form: Any, change: bool) -> None:
        save_with_audit(obj, acting_user=request.user, reason="admin")


@admin.register(EnterpriseListing)
class EnterpriseListingAdmin(DossierLinkMixin, AuditedModelAdmin):
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


# The number an objection is known by (the answer step names it so); a bare "pk" in a list
# heads its column "Pk".
@admin.display(description=_("Number"), ordering="pk")
def objection_number(obj: Objection) -> int:
    return obj.pk


class ObjectionInline(ReadOnlyInline):
    model = Objection
    fields = (objection_number, "received_on", "content", "answer", "answered_on")
    readonly_fields = fields


@dataclass(frozen=True)
class PageAction:
    """A write of a record's page that is not a step of its workflow (an objection recorded
    during the notice, claims put in a batch): `form(obj, data, files)` asks for its
    inputs, `service(obj, acting_user, cleaned_data)` makes it, `available(obj, user)` says
    when the page offers it."""

    service: Callable[[Any, Any, dict[str, Any]], Any]
    form: Callable[..., forms.Form]
    label: Any
    available: Callable[[Any, Any], bool]


class PageActionsMixin:
    """Buttons beside the workflow's for a page's other writes, each on its own page that
    calls the service and shows a refusal at the field (as `WorkflowStepsMixin`'s steps)."""

    page_actions: dict[str, PageAction] = {}

    def get_urls(self) -> list[Any]:
        meta = self.model._meta  # type: ignore[attr-defined]
        own = [
            path(
                "<path:object_id>/do/<str:key>/",
                self.admin_site.admin_view(self.page_action_view),  # type: ignore[attr-defined]
                name=f"{meta.app_label}_{meta.model_name}_do",
            )
        ]
        return own + super().get_urls()  # type: ignore[misc]

    def _action_url(self, obj: Any, key: str) -> str:
        meta = self.model._meta  # type: ignore[attr-defined]
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_do", args=[obj.pk, key])

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> Any:
        if obj is not None and obj.pk:
            context["workflow_steps"] = [
                *context.get("workflow_steps", []),
                *(
                    (action.label, self._action_url(obj, key))
                    for key, action in self.page_actions.items()
                    if action.available(obj, request.user)
                ),
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)  # type: ignore[misc]

    def page_action_view(self, request: HttpRequest, object_id: str, key: str) -> HttpResponse:
        obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
        if obj is None or not self.has_view_or_change_permission(request, obj):  # type: ignore[attr-defined]
            raise Http404
        action = self.page_actions.get(key)
        if action is None or not action.available(obj, request.user):
            raise PermissionDenied(_("You may not do this on this record now."))
        meta = self.model._meta  # type: ignore[attr-defined]
        change_url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        form = action.form(obj, request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                action.service(obj, request.user, form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                put_on_form(form, exc)
            else:
                messages.success(request, _("%(title)s: done.") % {"title": action.label})
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": meta,
            "original": obj,
            "title": action.label,
            "subtitle": str(obj),
            "current_state": obj.get_status_display(),
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/common/workflow_step.html", context)


class ClaimAddForm(forms.ModelForm):
    """A claim drafted by staff for a claimant: the form asks the service whether it would
    draft it (reads only), and the admin drafts it through the service when it saves."""

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
        # Fill the instance (the admin logs and names it) but leave validating and saving
        # the row to the service.
        self.instance = construct_instance(self, self.instance, self._meta.fields)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            services.subsidy_claim_check_new(**self.draft_values())
        except ValidationError as exc:
            put_on_form(self, exc)
        return cleaned

    def draft_values(self) -> dict[str, Any]:
        values = {name: self.cleaned_data.get(name) for name in self._meta.fields or ()}
        values["description"] = values["description"] or ""
        return values


class AuditAssignForm(forms.Form):
    firm = forms.ModelChoiceField(
        label=_("Audit firm"), queryset=AuditFirm.objects.filter(active=True)
    )


class NoticeForm(forms.Form):
    starts_on = forms.DateField(label=_("Notice from"), widget=DateInput())
    ends_on = forms.DateField(label=_("Notice until"), widget=DateInput())


class NoticePublishForm(forms.Form):
    """The claims' changelist action: the selected claims on one new notice."""

    title = forms.CharField(label=_("Title"), max_length=200)
    starts_on = forms.DateField(label=_("Notice from"), widget=DateInput(), initial=today)
    ends_on = forms.DateField(
        label=_("Notice until"),
        widget=DateInput(),
        required=False,
        help_text=_("Empty: the earliest end the working-day calendar allows."),
    )


class ApproveForm(forms.Form):
    approved_amount = forms.DecimalField(
        label=_("Approved amount (yuan)"), max_digits=14, decimal_places=2, min_value=0
    )
    reason = forms.CharField(
        label=_("Reason for the approved amount"),
        required=False,
        widget=forms.Textarea({"rows": 2}),
        help_text=_("Required when the approved amount differs from the eligible amount."),
    )


class ReasonForm(forms.Form):
    # The service asks for the reason, so its message ("the claimant will read it") shows.
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea({"rows": 3}))


class ObjectionForm(forms.Form):
    received_on = forms.DateField(label=_("Received on"), widget=DateInput())
    content = forms.CharField(label=_("Objection"), widget=forms.Textarea({"rows": 3}))

    def __init__(self, claim: SubsidyClaim, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class AnswerForm(forms.Form):
    objection = forms.ModelChoiceField(label=_("Objection"), queryset=Objection.objects.none())
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea({"rows": 3}))

    def __init__(self, claim: SubsidyClaim, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["objection"].queryset = Objection.objects.filter(
            claim=claim, answered_on__isnull=True
        )


class PutInBatchForm(forms.Form):
    batch = forms.ModelChoiceField(
        label=_("Payment batch"),
        queryset=PaymentBatch.objects.filter(status=PaymentBatch.Status.OPEN).order_by("number"),
        help_text=_("An open batch; finance open one under Payment batches."),
    )


# The words on each signature's button.
SIGN_LABELS = {
    SignOff.Stage.HANDLER: _("Sign as case handler"),
    SignOff.Stage.SECTION_HEAD: _("Sign as section head"),
    SignOff.Stage.DEPUTY_DIRECTOR: _("Sign as deputy director"),
}


def _sign(stage: SignOff.Stage) -> AdminStep:
    def call(claim: SubsidyClaim, user: Any, data: dict[str, Any]) -> Any:
        return services.subsidy_claim_sign(
            claim=claim, stage=stage, note=data.get("note") or "", acting_user=user
        )

    return AdminStep(call, label=SIGN_LABELS[stage])


# The steps of a claim its change page makes: {target: (service, form, label)}; taking a
# claim out of its batch, a step back to "approved", is keyed by (from, to).
CLAIM_STEPS: dict[str | tuple[str, str], AdminStep] = {
    S.UNDER_REVIEW: AdminStep(
        lambda claim, user, data: services.subsidy_claim_take_up(claim=claim, acting_user=user),
        label=_("Start the review"),
    ),
    S.AUDIT_ASSIGNED: AdminStep(
        lambda claim, user, data: services.rd_audit_assign(
            claim=claim, firm=data["firm"], acting_user=user
        ),
        AuditAssignForm,
        _("Assign the R&D audit"),
    ),
    **{target: _sign(stage) for target, stage in SIGNATURES.items()},
    S.IN_NOTICE: AdminStep(
        lambda claim, user, data: services.subsidy_claim_publish_notice(
            claim=claim, starts_on=data["starts_on"], ends_on=data["ends_on"], acting_user=user
        ),
        NoticeForm,
        _("Publish the public notice"),
    ),
    S.APPROVED: AdminStep(
        lambda claim, user, data: services.subsidy_claim_approve(
            claim=claim,
            approved_amount=data["approved_amount"],
            reason=data["reason"],
            acting_user=user,
        ),
        ApproveForm,
        _("Approve"),
    ),
    S.IN_BATCH: AdminStep(
        lambda claim, user, data: services.payment_batch_add(
            batch=data["batch"], claims=[claim], acting_user=user
        ),
        PutInBatchForm,
        _("Put in a payment batch"),
    ),
    (S.IN_BATCH, S.APPROVED): AdminStep(
        lambda claim, user, data: services.payment_batch_remove(
            batch=claim.payment_batch, claim=claim, acting_user=user
        ),
        forms.Form,
        _("Take out of the payment batch"),
    ),
    S.RETURNED: AdminStep(
        lambda claim, user, data: services.subsidy_claim_return(
            claim=claim, reason=data["reason"], acting_user=user
        ),
        ReasonForm,
        _("Return for changes"),
    ),
    S.REJECTED: AdminStep(
        lambda claim, user, data: services.subsidy_claim_reject(
            claim=claim, reason=data["reason"], acting_user=user
        ),
        ReasonForm,
        _("Reject"),
    ),
}


def _in_notice_for_staff(claim: SubsidyClaim, user: Any) -> bool:
    return claim.status == S.IN_NOTICE and STAFF.holds(user, claim)


def _open_objections(claim: SubsidyClaim, user: Any) -> bool:
    # Answered during the notice or after it ended: the claim waits for the answers.
    return (
        claim.status in (S.IN_NOTICE, S.NOTICE_ENDED)
        and STAFF.holds(user, claim)
        and claim.objections.filter(answered_on__isnull=True).exists()
    )


CLAIM_PAGE_ACTIONS: dict[str, PageAction] = {
    "objection": PageAction(
        lambda claim, user, data: services.objection_record(
            claim=claim, received_on=data["received_on"], content=data["content"], acting_user=user
        ),
        ObjectionForm,
        _("Record an objection"),
        _in_notice_for_staff,
    ),
    "answer": PageAction(
        lambda claim, user, data: services.objection_answer(
            objection=data["objection"], answer=data["answer"], acting_user=user
        ),
        AnswerForm,
        _("Answer an objection"),
        _open_objections,
    ),
}


@admin.register(SubsidyClaim)
class SubsidyClaimAdmin(
    DossierLinkMixin,
    WorkflowStepsMixin,
    PageActionsMixin,
    LedgerImportAdminMixin,
    ImportExportMixin,
    AuditedModelAdmin,
):
    resource_classes = [SubsidyLedgerResource]
    actions = ["put_on_notice"]
    workflow_name = CLAIM.name
    admin_steps = CLAIM_STEPS
    page_actions = CLAIM_PAGE_ACTIONS
    list_display = (
        "id",
        "claimant_name",
        "programme",
        "year",
        "status",
        "eligible_amount_display",
        "approved_amount_display",
        "submitted_on",
        "approved_on",
        "paid_on",
        "source",
    )
    list_select_related = ("enterprise", "incubator")
    # The year's choices from its first and last value (the list's order index), not a
    # DISTINCT over every claim.
    list_filter = ("status", "programme", year_number_filter("year", _("year")), "source")
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
        "claimed_amount_display",
        "eligible_amount_display",
        "computation_display",
        "approved_amount_display",
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

    history_displays = {
        "computation": lambda computation: "; ".join(
            f"{label}: {value}" for label, value in selectors.computation_display(computation)
        )
    }
    claimed_amount_display = money_display(SubsidyClaim, "claimed_amount")
    eligible_amount_display = money_display(SubsidyClaim, "eligible_amount")
    approved_amount_display = money_display(SubsidyClaim, "approved_amount")

    @admin.display(description=_("claimant"))
    def claimant_name(self, obj: SubsidyClaim) -> str:
        return str(obj.incubator.name if obj.incubator_id else obj.enterprise.name)

    @admin.display(description=SubsidyClaim._meta.get_field("computation").verbose_name)
    def computation_display(self, obj: SubsidyClaim) -> str:
        """The policy values and registry facts of the eligible amount as a table of labels
        and values in the reader's language, not the stored JSON with its English keys."""
        lines = selectors.computation_display(obj.computation)
        if not lines:
            return "—"
        return format_html(
            '<table class="computation"><tbody>{}</tbody></table>',
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", lines),
        )

    @admin.display(description=_("R&D audit"))
    def audit_link(self, obj: SubsidyClaim) -> str:
        audit = RDAudit.objects.filter(claim=obj).select_related("firm").first()
        if audit is None:
            return "—"
        url = reverse("admin:subsidies_rdaudit_change", args=[audit.pk])
        return format_html(
            '<a href="{}">{} · {}</a>', url, audit.firm, format_yuan(audit.eligible_total)
        )

    @admin.display(description=_("claim page"))
    def page_link(self, obj: SubsidyClaim) -> str:
        url = reverse("subsidies:claim_detail", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Timeline and signatures"))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ((None, {"fields": ClaimAddForm.Meta.fields}),)
        return ((None, {"fields": self.detail_fields}),)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.detail_fields if obj is not None else ()

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if obj is not None else ()

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        if obj is None:
            kwargs["form"] = ClaimAddForm
        else:
            kwargs["fields"] = ()
        return super().get_form(request, obj, change=change, **kwargs)

    @admin.action(
        description=_("Put the selected claims on a public notice"), permissions=["change"]
    )
    def put_on_notice(self, request: HttpRequest, queryset: QuerySet[SubsidyClaim]) -> Any:
        """Ask for the notice's title and dates, then publish it (`notice_publish`); a claim
        that is not signed off refuses the whole notice, with its number."""
        form = NoticePublishForm(request.POST if "publish" in request.POST else None)
        if form.is_bound and form.is_valid():
            try:
                notice = services.notice_publish(
                    claims=list(queryset),
                    title=form.cleaned_data["title"],
                    starts_on=form.cleaned_data["starts_on"],
                    ends_on=form.cleaned_data["ends_on"],
                    acting_user=request.user,
                )
            except (ValidationError, PermissionDenied) as exc:
                put_on_form(form, exc)
            else:
                messages.success(
                    request,
                    _("Public notice %(number)s runs from %(start)s to %(end)s.")
                    % {"number": notice.number, "start": notice.starts_on, "end": notice.ends_on},
                )
                return HttpResponseRedirect(
                    reverse("admin:subsidies_notice_change", args=[notice.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Put the selected claims on a public notice"),
            "form": form,
            "claims": queryset.select_related("enterprise", "incubator"),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/subsidies/notice_publish.html", context)

    def save_model(self, request: HttpRequest, obj: SubsidyClaim, form: Any, change: bool) -> None:
        """A claim changes only through its steps (the buttons); the add form drafts one
        through the service."""
        if not change:
            drafted = services.subsidy_claim_draft(acting_user=request.user, **form.draft_values())
            obj.pk = drafted.pk


# ------------------------------------------------------------------- notices and objections


class NoticeClaimInline(ReadOnlyInline):
    model = SubsidyClaim
    fk_name = "notice"
    fields = ("claim_link", "status", "eligible_amount_display", "open_objections")
    readonly_fields = fields
    verbose_name_plural = _("claims on this notice")

    @admin.display(description=_("claim"))
    def claim_link(self, obj: SubsidyClaim) -> str:
        url = reverse("admin:subsidies_subsidyclaim_change", args=[obj.pk])
        return format_html('<a href="{}">#{} {}</a>', url, obj.pk, obj)

    eligible_amount_display = money_display(SubsidyClaim, "eligible_amount")

    @admin.display(description=_("unanswered objections"))
    def open_objections(self, obj: SubsidyClaim) -> int:
        return sum(1 for o in obj.objections.all() if o.answered_on is None)

    def get_queryset(self, request: HttpRequest) -> QuerySet[SubsidyClaim]:
        return (
            super()
            .get_queryset(request)
            .select_related("enterprise", "incubator")
            .prefetch_related("objections")
        )


@admin.register(Notice)
class NoticeAdmin(AuditedModelAdmin):
    """Notices are published from the claims (the changelist action, or a claim's step);
    here staff read them and their claims, and may correct the title."""

    list_display = ("number", "title", "starts_on", "ends_on", "claim_count", "published_by")
    list_select_related = ("published_by",)
    search_fields = ("number", "title")
    date_hierarchy = "starts_on"
    readonly_fields = ("number", "starts_on", "ends_on", "published_by", "published_at", "page")
    fields = ("number", "title", "starts_on", "ends_on", "published_by", "published_at", "page")
    inlines = (NoticeClaimInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Notice]:
        from django.db.models import Count

        return super().get_queryset(request).annotate(claims_total=Count("claims"))

    @admin.display(description=_("claims"), ordering="claims_total")
    def claim_count(self, obj: Notice) -> int:
        return obj.claims_total  # type: ignore[attr-defined]

    @admin.display(description=_("public page"))
    def page(self, obj: Notice) -> str:
        url = reverse("notices:detail", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, url)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ObjectionAnswerForm(forms.ModelForm):
    class Meta:
        model = Objection
        fields = ("answer",)

    def clean_answer(self) -> str:
        answer = (self.cleaned_data.get("answer") or "").strip()
        if not answer:
            raise ValidationError(_("Write the answer."))
        return answer


@admin.register(Objection)
class ObjectionAdmin(AuditedModelAdmin):
    """Objections filed on the notice board (or recorded from a claim's page); staff answer
    each one here, once. Who filed it and the file are seen here only."""

    form = ObjectionAnswerForm
    list_display = (objection_number, "claim", "notice_number", "received_on", "answered_on")
    list_select_related = ("claim__enterprise", "claim__incubator", "claim__notice")
    list_filter = (("answered_on", admin.EmptyFieldListFilter), "received_on")
    search_fields = ("claim__enterprise__name", "claim__incubator__name", "content")
    detail_fields = (
        "claim",
        "notice_number",
        "received_on",
        "content",
        "filed_by",
        "objector_name",
        "objector_phone",
        "file_link",
        "recorded_by",
        "answered_on",
        "answered_by",
    )

    @admin.display(description=_("public notice"))
    def notice_number(self, obj: Objection) -> str:
        return obj.claim.notice.number if obj.claim.notice_id else "—"

    @admin.display(description=_("supporting file"))
    def file_link(self, obj: Objection) -> str:
        if not obj.file:
            return "—"
        url = reverse("admin:subsidies_objection_file", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*self.detail_fields, "answer")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None or obj.answered_on or not STAFF.holds(request.user, obj.claim):
            return (*self.detail_fields, "answer")
        return self.detail_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        own = [
            path(
                "<path:object_id>/file/",
                self.admin_site.admin_view(self.file_view),
                name="subsidies_objection_file",
            )
        ]
        return own + super().get_urls()

    def file_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        from common.uploads import serve_private_file

        obj = self.get_object(request, object_id)
        if obj is None or not obj.file or not self.has_view_or_change_permission(request, obj):
            raise Http404
        extension = obj.file.name.rsplit(".", 1)[-1]
        return serve_private_file(request, obj.file, filename=f"objection-{obj.pk}.{extension}")

    def save_model(self, request: HttpRequest, obj: Objection, form: Any, change: bool) -> None:
        """Answering is the only change, through the service (once, by staff)."""
        services.objection_answer(
            objection=obj, answer=form.cleaned_data.get("answer", ""), acting_user=request.user
        )

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        # A refusal of the service (answered meanwhile by someone else) comes back as a
        # message; a missing permission stays Django's own 403.
        try:
            with transaction.atomic():
                return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            for message in messages_of(exc):
                messages.error(request, message)
            return HttpResponseRedirect(request.path)


# --------------------------------------------------------------------------------- audits


@admin.register(RDAudit)
class RDAuditAdmin(DossierLinkMixin, AuditedModelAdmin):
    dossier_path = "claim__enterprise"
    """Read-only for staff: audits are assigned from the claim and recorded by the firm."""

    list_display = (
        "claim",
        "firm",
        "basis",
        "eligible_total_display",
        "tax_eligible_total_display",
        "high_tech_eligible_total_display",
        "completed_at",
    )
    list_select_related = ("claim__enterprise", "claim__incubator", "firm")
    list_filter = ("firm", "basis")
    search_fields = ("claim__enterprise__name", "firm__name")

    eligible_total_display = money_display(RDAudit, "eligible_total")
    # Both bases side by side; the claim is paid on the one its policy version names.
    tax_eligible_total_display = money_display(RDAudit, "tax_eligible_total")
    high_tech_eligible_total_display = money_display(RDAudit, "high_tech_eligible_total")

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
class HighTechApplicationAdmin(DossierLinkMixin, WorkflowStepsMixin, AuditedModelAdmin):
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
    fields = (
        "id",
        "enterprise",
        "incubator",
        "programme",
        "year",
        "approved_amount_display",
        "status",
    )
    readonly_fields = fields
    show_change_link = True
    approved_amount_display = money_display(SubsidyClaim, "approved_amount")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("enterprise", "incubator")


class BatchStatusChangeInline(ReadOnlyInline):
    model = PaymentBatchStatusChange
    fields = ("created_at", "from_status", "to_status", "note", "acting_user")
    readonly_fields = fields


class BatchForm(forms.ModelForm):
    """The change page has no inputs: a batch changes through its buttons."""

    class Meta:
        model = PaymentBatch
        fields: tuple[str, ...] = ()


class BatchAddForm(forms.ModelForm):
    """The batch's number, checked as the model checks it (given, not taken); the admin
    opens the batch through the service when it saves."""

    class Meta:
        model = PaymentBatch
        fields = ("number",)


class PaidForm(forms.Form):
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput())


class AddClaimsForm(forms.Form):
    claims = forms.ModelMultipleChoiceField(
        label=_("Approved claims"),
        queryset=SubsidyClaim.objects.filter(status=S.APPROVED).select_related(
            "enterprise", "incubator"
        ),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, batch: PaymentBatch, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class RemoveClaimsForm(forms.Form):
    claims = forms.ModelMultipleChoiceField(
        label=_("Claims to take out"),
        queryset=SubsidyClaim.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, batch: PaymentBatch, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["claims"].queryset = batch.claims.select_related("enterprise", "incubator")


BATCH_STEPS: dict[str, AdminStep] = {
    PaymentBatch.Status.EXPORTED: AdminStep(
        lambda batch, user, data: services.payment_batch_export(batch=batch, acting_user=user),
        label=_("Export for the treasury"),
    ),
    PaymentBatch.Status.PAID: AdminStep(
        lambda batch, user, data: services.payment_batch_mark_paid(
            batch=batch, paid_on=data["paid_on"], acting_user=user
        ),
        PaidForm,
        _("Mark paid"),
    ),
}


def _open_for_finance(batch: PaymentBatch, user: Any) -> bool:
    return batch.is_open and FINANCE.holds(user, batch)


def _remove_claims(batch: PaymentBatch, user: Any, data: dict[str, Any]) -> None:
    for claim in data["claims"]:
        services.payment_batch_remove(batch=batch, claim=claim, acting_user=user)


BATCH_PAGE_ACTIONS: dict[str, PageAction] = {
    "add": PageAction(
        lambda batch, user, data: services.payment_batch_add(
            batch=batch, claims=data["claims"], acting_user=user
        ),
        AddClaimsForm,
        _("Add approved claims"),
        _open_for_finance,
    ),
    "remove": PageAction(
        transaction.atomic(_remove_claims),
        RemoveClaimsForm,
        _("Take claims out"),
        _open_for_finance,
    ),
}


@admin.register(PaymentBatch)
class PaymentBatchAdmin(WorkflowStepsMixin, PageActionsMixin, AuditedModelAdmin):
    workflow_name = BATCH.name
    admin_steps = BATCH_STEPS
    page_actions = BATCH_PAGE_ACTIONS
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
    def total(self, obj: PaymentBatch) -> str:
        return format_yuan(obj.total_amount)  # type: ignore[attr-defined]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ((None, {"fields": ("number",)}),)
        return ((None, {"fields": self.get_readonly_fields(request, obj)}),)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ()
        if self._sheet_ready(request, obj):
            return (*self.readonly_fields, "treasury_sheet")
        return self.readonly_fields

    def _sheet_ready(self, request: HttpRequest, obj: PaymentBatch) -> bool:
        """An exported (or paid) batch's sheet, for those who export batches."""
        return obj.status != PaymentBatch.Status.OPEN and self.has_change_permission(request, obj)

    @admin.display(description=_("treasury sheet"))
    def treasury_sheet(self, obj: PaymentBatch) -> str:
        url = reverse("admin:subsidies_paymentbatch_sheet", args=[obj.pk])
        return format_html('<a href="{}" id="treasury-sheet">{}</a>', url, _("Download (xlsx)"))

    def get_urls(self) -> list[Any]:
        sheet = path(
            "<path:object_id>/sheet/",
            self.admin_site.admin_view(self.sheet_view),
            name="subsidies_paymentbatch_sheet",
        )
        return [sheet, *super().get_urls()]

    def sheet_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The treasury's sheet of an exported or paid batch, again (reads only): the export
        step freezes the batch, and its page offers the sheet from then on."""
        batch = self.get_object(request, object_id)
        if batch is None or not self._sheet_ready(request, batch):
            raise Http404(_("No such record."))
        return self._sheet_response(batch, services.payment_batch_xlsx(batch))

    def _sheet_response(self, batch: PaymentBatch, content: bytes) -> HttpResponse:
        response = HttpResponse(
            content,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        # 付款清单-<number>-<YYYYMMDD>.xlsx: RFC 6266's filename* carries the Chinese name.
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=services.payment_batch_file_name(batch)
        )
        return response

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if obj is not None else ()

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        kwargs["form"] = BatchForm if obj is not None else BatchAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request: HttpRequest, obj: PaymentBatch, form: Any, change: bool) -> None:
        """A batch changes only through its steps and page actions (the buttons); the add
        form opens one through the service."""
        if not change:
            opened = services.payment_batch_create(
                number=form.cleaned_data["number"], acting_user=request.user
            )
            obj.pk = opened.pk

    @admin.action(description=_("Export for the treasury (xlsx)"), permissions=["change"])
    def export_xlsx(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """An open batch is exported (its step; then it is frozen); an exported or paid
        batch's sheet is downloaded again, changing nothing."""
        batches = list(queryset[:2])
        if len(batches) != 1:
            self.message_user(request, _("Choose one batch to export."), messages.WARNING)
            return None
        batch = batches[0]
        if batch.status == PaymentBatch.Status.OPEN:
            try:
                content = services.payment_batch_export(batch=batch, acting_user=request.user)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, "; ".join(messages_of(exc)), messages.WARNING)
                return None
        else:
            content = services.payment_batch_xlsx(batch)
        return self._sheet_response(batch, content)
