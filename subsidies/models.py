"""Subsidies and rewards: policies as data, claims and their workflow, the high-tech
recognition pipeline, sign-offs, third-party R&D audits and payment batches.

A claim is computed from the registry under one policy version and keeps a snapshot of the
policy values it used, so staff may edit a policy in admin without changing old claims.
A claim and a payment batch move along their workflows (`subsidies.workflows.claims`, on the
mechanism of `common.workflow`): a status field, the table of steps with who may make each,
and a status-change record per step; the steps are services (subsidies.services).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Sum
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common.lib.money import format_yuan
from common.models import InStateSince, QueueOrderIndex, StatusChange
from common.uploads import private_upload_to
from enterprises.models import Enterprise, HighTechCertificate
from incubators.models import Incubator
from subsidies import lib

MONEY = {"max_digits": 14, "decimal_places": 2}


class Programme(models.TextChoices):
    """The bureau's programmes, in the order of DESIGN §5 (补贴项目)."""

    RD_INVESTMENT = "rd_investment", _("R&D investment subsidy")
    HTE_NEW = "hte_new", _("High-tech recognition reward")
    HTE_RENEWAL = "hte_renewal", _("High-tech re-recognition reward")
    CARRIER_HTE = "carrier_hte", _("Carrier reward for high-tech firms cultivated")
    CARRIER_LISTING = "carrier_listing", _("Carrier reward for listed firms cultivated")
    RENT = "rent", _("Rent subsidy")


CARRIER_PROGRAMMES = (Programme.CARRIER_HTE, Programme.CARRIER_LISTING)


class PolicyKind(models.TextChoices):
    FIXED = "fixed", _("Fixed amount")
    RATE_WITH_CAP = "rate_with_cap", _("Rate of a base, with a cap")
    PER_UNIT = "per_unit", _("Amount per unit")


class SubsidyPolicyQuerySet(models.QuerySet):
    def published(self) -> SubsidyPolicyQuerySet:
        """Versions claims may be made against (a draft is staff's what-if)."""
        return self.filter(status=SubsidyPolicy.Status.PUBLISHED)

    def active_on(self, day: dt.date) -> SubsidyPolicyQuerySet:
        """Policies in effect on `day` (effective from ≤ day, and no end or end ≥ day)."""
        return self.filter(effective_from__lte=day).filter(
            Q(effective_until__isnull=True) | Q(effective_until__gte=day)
        )


class SubsidyPolicy(models.Model):
    """One year's version of a programme: how much, on what rule, within what budget.

    A draft is a version staff are still weighing (what-if); only published versions are
    offered and claimed, and only one published version per programme and year exists.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    code = models.CharField(_("programme"), max_length=20, choices=Programme.choices)
    name = models.CharField(_("name"), max_length=100)
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PolicyKind.choices)
    amount = models.DecimalField(
        _("amount (yuan)"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("The fixed amount, or the amount per unit (firm, m² and month)."),
    )
    unit = models.CharField(_("unit"), max_length=30, blank=True)
    rate = models.DecimalField(
        _("rate"),
        max_digits=6,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.0001")), MaxValueValidator(Decimal("1"))],
        help_text=_("For a rate of a base: 0.1 is 10%."),
    )
    cap = models.DecimalField(
        _("cap per claim (yuan)"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    document_number = models.CharField(_("policy document number"), max_length=100)
    effective_from = models.DateField(_("effective from"))
    effective_until = models.DateField(_("effective until"), null=True, blank=True)
    yearly_budget = models.DecimalField(
        _("yearly budget (yuan)"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))]
    )
    rd_basis = models.CharField(
        _("R&D audit basis paid on"),
        max_length=20,
        choices=[
            (lib.BASIS_TAX, _("Tax super-deduction")),
            (lib.BASIS_HIGH_TECH, _("High-tech recognition")),
        ],
        default=lib.BASIS_TAX,
        help_text=_(
            "An R&D audit computes both bases; the subsidy is the rate of the eligible "
            "expenditure on this one."
        ),
    )
    qualification = models.TextField(_("who qualifies"), blank=True)
    how_to_apply = models.TextField(_("how to apply"), blank=True)
    status = models.CharField(
        _("state"),
        max_length=10,
        choices=Status.choices,
        default=Status.PUBLISHED,
        db_index=True,
        help_text=_("A draft is not offered to firms; publish it to open it for claims."),
    )
    # What this version has committed and paid, kept by `policy_totals_refresh` whenever one
    # of its claims is saved or deleted (the changelist lists them without summing the ledger).
    committed_total = models.DecimalField(
        _("committed (yuan)"), **MONEY, default=lib.ZERO, editable=False
    )
    paid_total = models.DecimalField(_("paid (yuan)"), **MONEY, default=lib.ZERO, editable=False)
    history = HistoricalRecords(excluded_fields=["committed_total", "paid_total"])

    objects = SubsidyPolicyQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "code"]
        verbose_name = _("subsidy policy")
        verbose_name_plural = _("subsidy policies")
        constraints = [
            models.UniqueConstraint(
                fields=["code", "year"],
                condition=Q(status="published"),
                name="subsidy_policy_one_published_per_year",
            ),
            models.CheckConstraint(
                condition=Q(effective_until__isnull=True)
                | Q(effective_until__gte=models.F("effective_from")),
                name="subsidy_policy_ends_after_start",
            ),
            models.CheckConstraint(
                condition=(Q(kind="rate_with_cap") & Q(rate__isnull=False))
                | (~Q(kind="rate_with_cap") & Q(amount__isnull=False)),
                name="subsidy_policy_values_for_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if self.kind == PolicyKind.RATE_WITH_CAP and self.rate is None:
            errors["rate"] = [_("A rate-with-cap policy needs its rate.")]
        if self.kind in (PolicyKind.FIXED, PolicyKind.PER_UNIT) and self.amount is None:
            errors["amount"] = [_("This kind of policy needs its amount.")]
        if (
            self.effective_from
            and self.effective_until
            and self.effective_until < self.effective_from
        ):
            errors["effective_until"] = [_("The end date cannot be before the start date.")]
        if errors:
            raise ValidationError(errors)

    def snapshot(self) -> dict[str, str | int | None]:
        """The values a claim is computed with, as JSON-safe text."""

        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "policy_id": self.pk,
            "code": self.code,
            "year": self.year,
            "kind": self.kind,
            "amount": text(self.amount),
            "rate": text(self.rate),
            "cap": text(self.cap),
            "document_number": self.document_number,
            "history_id": getattr(self.history.order_by("-history_id").first(), "history_id", None),
        }

    @property
    def rate_percent(self) -> str:
        """The rate as a percentage without trailing zeros: 0.1 is "10%", 0.125 "12.5%"."""
        return "" if self.rate is None else lib.percent(self.rate)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def window_on(self, day: dt.date) -> ApplicationWindow | None:
        """The window open on `day`, if any (reads the prefetched windows when there are)."""
        return next((w for w in self.windows.all() if w.opens_on <= day <= w.closes_on), None)

    def next_window(self, day: dt.date) -> ApplicationWindow | None:
        """The first window that opens after `day`."""
        later = [w for w in self.windows.all() if w.opens_on > day]
        return min(later, key=lambda w: w.opens_on, default=None)

    def committed_amount(self) -> Decimal:
        """Approved amounts of this policy's claims that are approved, batched or paid."""
        total = self.claims.filter(status__in=SubsidyClaim.COMMITTED_STATUSES).aggregate(
            total=Sum("approved_amount")
        )["total"]
        return total or lib.ZERO

    def paid_amount(self) -> Decimal:
        total = self.claims.filter(status=SubsidyClaim.Status.PAID).aggregate(
            total=Sum("approved_amount")
        )["total"]
        return total or lib.ZERO


class ApplicationWindow(models.Model):
    """A period in which firms may apply under a policy version (a call, 申报期)."""

    policy = models.ForeignKey(
        SubsidyPolicy, models.CASCADE, related_name="windows", verbose_name=_("policy version")
    )
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["opens_on", "pk"]
        verbose_name = _("application window")
        verbose_name_plural = _("application windows")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")),
                name="application_window_closes_after_opening",
            )
        ]

    def __str__(self) -> str:
        return f"{self.opens_on:%Y-%m-%d} – {self.closes_on:%Y-%m-%d}"

    def clean(self) -> None:
        if self.opens_on and self.closes_on and self.closes_on < self.opens_on:
            raise ValidationError({"closes_on": _("A window cannot close before it opens.")})

    def validate_constraints(self, exclude=None) -> None:
        super().validate_constraints(exclude=exclude)
        if not (self.policy_id and self.opens_on and self.closes_on):
            return
        overlapping = (
            ApplicationWindow.objects.filter(
                policy_id=self.policy_id,
                opens_on__lte=self.closes_on,
                closes_on__gte=self.opens_on,
            )
            .exclude(pk=self.pk)
            .first()
        )
        if overlapping is not None:
            raise ValidationError(
                {
                    "opens_on": _("This window overlaps the window %(window)s of this version.")
                    % {"window": overlapping}
                }
            )


class ChecklistItem(models.Model):
    """A material a firm uploads when it applies under a policy version (申报材料)."""

    policy = models.ForeignKey(
        SubsidyPolicy,
        models.CASCADE,
        related_name="checklist",
        verbose_name=_("policy version"),
    )
    title = models.CharField(_("title"), max_length=100)
    required = models.BooleanField(_("required"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("required material")
        verbose_name_plural = _("required materials")
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "title"], name="checklist_item_title_once_per_policy"
            )
        ]

    def __str__(self) -> str:
        return self.title


class EnterpriseListing(models.Model):
    """A firm's listing on a board on a date: the event the carrier listing reward counts."""

    class Board(models.TextChoices):
        NEEQ = "neeq", _("Quoted on NEEQ")
        BSE = "bse", _("Beijing Stock Exchange")
        MAIN_BOARD = "main_board", _("Main board")
        STAR = "star", _("STAR Market")
        CHINEXT = "chinext", _("ChiNext")

    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="listings", verbose_name=_("enterprise")
    )
    board = models.CharField(_("board"), max_length=20, choices=Board.choices)
    listed_on = models.DateField(_("listing date"), db_index=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-listed_on"]
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "board"], name="enterprise_listing_once_per_board"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.get_board_display()} {self.listed_on}"


class AuditFirm(models.Model):
    """A third-party audit firm the bureau assigns R&D audits to."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    contact_person = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("audit firm")
        verbose_name_plural = _("audit firms")

    def __str__(self) -> str:
        return self.name


class PaymentBatch(InStateSince):
    """Approved claims paid together: exported for the treasury, then marked paid."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        EXPORTED = "exported", _("Exported")
        PAID = "paid", _("Paid")

    number = models.CharField(_("batch number"), max_length=30, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    exported_at = models.DateTimeField(_("exported at"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["status_since"])

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("payment batch")
        verbose_name_plural = _("payment batches")
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="paid") & Q(paid_on__isnull=False))
                | (~Q(status="paid") & Q(paid_on__isnull=True)),
                name="payment_batch_paid_on_iff_paid",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class NoticeQuerySet(models.QuerySet):
    def started_by(self, day: dt.date) -> NoticeQuerySet:
        """Notices the public may read on `day`: those that have started."""
        return self.filter(starts_on__lte=day)

    def open_on(self, day: dt.date) -> NoticeQuerySet:
        return self.filter(starts_on__lte=day, ends_on__gte=day)


class Notice(models.Model):
    """A public notice (公示) of claims the bureau means to approve: the public reads it at
    /notices/ and may object while it is open; its claims wait until it has ended."""

    number = models.CharField(_("notice number"), max_length=30, unique=True)
    title = models.CharField(_("title"), max_length=200)
    starts_on = models.DateField(_("public notice from"), db_index=True)
    ends_on = models.DateField(_("public notice until"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    history = HistoricalRecords()

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("public notice")
        verbose_name_plural = _("public notices")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="notice_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def is_open_on(self, day: dt.date) -> bool:
        return self.starts_on <= day <= self.ends_on


class SubsidyClaimQuerySet(models.QuerySet):
    def for_claimant(self, *, enterprise: Enterprise | None = None, incubator=None):
        if incubator is not None:
            return self.filter(incubator=incubator)
        return self.filter(enterprise=enterprise)


# The states bureau staff act in (the work queue's indexes).
BUREAU_QUEUE_STATES = [
    "submitted",
    "under_review",
    "audited",
    "handler_signed",
    "section_head_signed",
    "signed_off",
    "notice_ended",
    "approved",
]


class SubsidyClaim(InStateSince):
    """A claim under a programme and year, by an enterprise or a carrier."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        UNDER_REVIEW = "under_review", _("Under review")
        AUDIT_ASSIGNED = "audit_assigned", _("Audit assigned")
        AUDITED = "audited", _("Audited")
        HANDLER_SIGNED = "handler_signed", _("Signed by the case handler")
        SECTION_HEAD_SIGNED = "section_head_signed", _("Signed by the section head")
        SIGNED_OFF = "signed_off", _("Signed off")
        IN_NOTICE = "in_notice", _("In public notice")
        NOTICE_ENDED = "notice_ended", _("Public notice ended")
        APPROVED = "approved", _("Approved")
        IN_BATCH = "in_batch", _("In a payment batch")
        PAID = "paid", _("Paid")
        RETURNED = "returned", _("Returned for changes")
        REJECTED = "rejected", _("Rejected")

    class Source(models.TextChoices):
        PORTAL = "portal", _("Portal")
        LEDGER = "ledger", _("Ledger import")

    S = Status
    # Statuses whose approved amount counts against the yearly budget.
    COMMITTED_STATUSES = (S.APPROVED, S.IN_BATCH, S.PAID)
    # Statuses in which the claimant may still edit and submit.
    EDITABLE_STATUSES = (S.DRAFT, S.RETURNED)

    programme = models.CharField(_("programme"), max_length=20, choices=Programme.choices)
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    policy = models.ForeignKey(
        SubsidyPolicy,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("policy version"),
        help_text=_("Empty only for ledger rows of a year without a policy version."),
    )
    enterprise = models.ForeignKey(
        Enterprise,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="subsidy_claims",
        verbose_name=_("enterprise"),
    )
    incubator = models.ForeignKey(
        Incubator,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="subsidy_claims",
        verbose_name=_("innovation carrier"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.PORTAL
    )
    certificate = models.ForeignKey(
        HighTechCertificate,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="subsidy_claims",
        verbose_name=_("high-tech certificate"),
    )
    rent_month_from = models.PositiveSmallIntegerField(
        _("rent from month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    rent_month_to = models.PositiveSmallIntegerField(
        _("rent to month"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    claimed_amount = models.DecimalField(_("amount claimed (yuan)"), **MONEY, null=True, blank=True)
    eligible_amount = models.DecimalField(
        _("eligible amount (yuan)"),
        **MONEY,
        null=True,
        blank=True,
        help_text=_("Computed from the registry under the policy version; never typed."),
    )
    computation = models.JSONField(
        _("computation"),
        default=dict,
        blank=True,
        help_text=_("The policy values and the registry facts the eligible amount came from."),
    )
    approved_amount = models.DecimalField(
        _("approved amount (yuan)"), **MONEY, null=True, blank=True
    )
    approval_reason = models.TextField(
        _("reason for the approved amount"),
        blank=True,
        help_text=_("Required when the approved amount differs from the eligible amount."),
    )
    decision_reason = models.TextField(_("reason for returning or rejecting"), blank=True)
    description = models.TextField(_("description"), blank=True)
    submitted_on = models.DateField(_("submitted on"), null=True, blank=True, db_index=True)
    approved_on = models.DateField(_("approved on"), null=True, blank=True, db_index=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True, db_index=True)
    notice_starts_on = models.DateField(_("public notice from"), null=True, blank=True)
    notice_ends_on = models.DateField(_("public notice until"), null=True, blank=True)
    notice = models.ForeignKey(
        Notice,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("public notice"),
    )
    payment_batch = models.ForeignKey(
        PaymentBatch,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
        verbose_name=_("payment batch"),
    )
    # Who took the claim up: it waits for this person (or whoever holds their queue).
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("case handler"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["status_since"])

    objects = SubsidyClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "-created_at"]
        verbose_name = _("subsidy claim")
        verbose_name_plural = _("subsidy claims")
        # The changelist's default sort (the admin adds -pk): page 1 without sorting every claim.
        indexes = [
            models.Index(fields=["year", "created_at", "id"], name="subsidy_claim_list_order"),
            # The policy changelist's committed and paid sums per version, read from the index.
            models.Index(
                fields=["policy", "status"],
                include=["approved_amount"],
                name="subsidy_claim_policy_sum",
            ),
            # The work queue's count (common/queue.py): the states bureau staff act in, with
            # the holder it checks, read without the table.
            models.Index(
                fields=["status", "handler"],
                condition=Q(status__in=BUREAU_QUEUE_STATES),
                name="subsidy_claim_queue_idx",
            ),
            # The work queue's order (oldest in its state first), per state (the queue reads
            # each state's first rows and merges them).
            QueueOrderIndex(
                F("status"),
                F("status_since").asc(nulls_first=True),
                F("id"),
                condition=Q(status__in=BUREAU_QUEUE_STATES),
                include=["handler"],
                name="subsidy_claim_queue_order",
            ),
        ]
        constraints = [
            # One claim per claimant, programme and year; a rejected claim does not block a
            # new one.
            models.UniqueConstraint(
                fields=["enterprise", "programme", "year"],
                condition=Q(enterprise__isnull=False) & ~Q(status="rejected"),
                name="subsidy_claim_one_per_enterprise_programme_year",
            ),
            models.UniqueConstraint(
                fields=["incubator", "programme", "year"],
                condition=Q(incubator__isnull=False) & ~Q(status="rejected"),
                name="subsidy_claim_one_per_carrier_programme_year",
            ),
            models.CheckConstraint(
                condition=(Q(enterprise__isnull=False) & Q(incubator__isnull=True))
                | (Q(enterprise__isnull=True) & Q(incubator__isnull=False)),
                name="subsidy_claim_one_claimant",
            ),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | Q(eligible_amount__isnull=True)
                | Q(approved_amount__lte=models.F("eligible_amount")),
                name="subsidy_claim_approved_within_eligible",
            ),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True) | Q(approved_amount__gte=0),
                name="subsidy_claim_approved_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(rent_month_from__isnull=True)
                | Q(rent_month_to__gte=models.F("rent_month_from")),
                name="subsidy_claim_rent_months_in_order",
            ),
            models.CheckConstraint(
                condition=Q(notice_ends_on__isnull=True)
                | Q(notice_ends_on__gte=models.F("notice_starts_on")),
                name="subsidy_claim_notice_in_order",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_on__isnull=False),
                name="subsidy_claim_paid_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_programme_display()} · {self.claimant}"

    @property
    def claimant(self) -> Enterprise | Incubator | None:
        return self.incubator if self.incubator_id else self.enterprise

    @property
    def is_rd(self) -> bool:
        return self.programme == Programme.RD_INVESTMENT

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE_STATUSES

    def clean(self) -> None:
        errors: dict[str, list] = {}
        carrier = self.programme in CARRIER_PROGRAMMES
        if self.programme and carrier and not self.incubator_id:
            errors["incubator"] = [_("A carrier reward is claimed by a carrier.")]
        if self.programme and not carrier and not self.enterprise_id:
            errors["enterprise"] = [_("This programme is claimed by an enterprise.")]
        if self.enterprise_id and self.incubator_id:
            errors["incubator"] = [_("A claim has one claimant: an enterprise or a carrier.")]
        if self.policy_id and (self.policy.code != self.programme or self.policy.year != self.year):
            errors["policy"] = [_("The policy version is of another programme or year.")]
        if self.programme == Programme.RENT and self.source == self.Source.PORTAL:
            if self.rent_month_from is None or self.rent_month_to is None:
                errors["rent_month_from"] = [_("Give the months the rent subsidy is for.")]
            elif self.rent_month_to < self.rent_month_from:
                errors["rent_month_to"] = [_("The last month cannot be before the first.")]
        if (
            self.approved_amount is not None
            and self.eligible_amount is not None
            and self.approved_amount > self.eligible_amount
        ):
            errors["approved_amount"] = [
                _("The approved amount cannot exceed the eligible amount (%(amount)s).")
                % {"amount": self.eligible_amount}
            ]
        if errors:
            raise ValidationError(errors)

    def rent_months(self) -> range:
        if self.rent_month_from is None or self.rent_month_to is None:
            return range(0)
        return range(self.rent_month_from, self.rent_month_to + 1)


class ClaimPayment(models.Model):
    """A claim paid through a payment batch: one row per claim, never a second.

    Written when the batch is marked paid, in the same transaction as the claim's step to
    "paid". The unique claim is what keeps a claim from being paid twice, whatever path set
    its status back. Ledger rows of payments made before the portal have no payment here:
    they are history, kept on the claim itself.
    """

    claim = models.OneToOneField(
        SubsidyClaim, models.PROTECT, related_name="payment", verbose_name=_("claim")
    )
    batch = models.ForeignKey(
        PaymentBatch, models.PROTECT, related_name="payments", verbose_name=_("payment batch")
    )
    amount = models.DecimalField(_("amount paid (yuan)"), **MONEY)
    paid_on = models.DateField(_("paid on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["paid_on", "pk"]
        verbose_name = _("claim payment")
        verbose_name_plural = _("claim payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="claim_payment_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.paid_on} {format_yuan(self.amount)}"


class SubsidyClaimStatusChange(StatusChange):
    """One step of a claim's workflow: who, when, from, to and a note."""

    claim = models.ForeignKey(
        SubsidyClaim, models.CASCADE, related_name="status_changes", verbose_name=_("claim")
    )
    from_status = models.CharField(
        _("from"), max_length=30, choices=SubsidyClaim.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=30, choices=SubsidyClaim.Status.choices)
    history = HistoricalRecords()

    class Meta(StatusChange.Meta):
        verbose_name = _("claim status change")
        verbose_name_plural = _("claim status changes")

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.step_display}"


class PaymentBatchStatusChange(StatusChange):
    """One step of a payment batch: opened, exported for the treasury, paid."""

    batch = models.ForeignKey(
        PaymentBatch,
        models.CASCADE,
        related_name="status_changes",
        verbose_name=_("payment batch"),
    )
    from_status = models.CharField(
        _("from"), max_length=30, choices=PaymentBatch.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=30, choices=PaymentBatch.Status.choices)

    class Meta(StatusChange.Meta):
        verbose_name = _("payment batch status change")
        verbose_name_plural = _("payment batch status changes")

    def __str__(self) -> str:
        return f"{self.batch_id}: {self.step_display}"


class ClaimAttachment(models.Model):
    """A supporting document of a claim (invoices, lease, statements), kept private."""

    claim = models.ForeignKey(
        SubsidyClaim, models.CASCADE, related_name="attachments", verbose_name=_("claim")
    )
    title = models.CharField(_("title"), max_length=100)
    file = models.FileField(_("file"), upload_to=private_upload_to("subsidy-claims"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("claim attachment")
        verbose_name_plural = _("claim attachments")

    def __str__(self) -> str:
        return self.title


class Objection(models.Model):
    """An objection to a claim under public notice (公示), and the bureau's answer.

    Filed by the public on the notice's page (a signed-in user, or a visitor giving a name and
    a phone number) or recorded by staff when received otherwise. Who filed it and the file
    are private: the notice shows only the content and the answer once it has closed.
    """

    claim = models.ForeignKey(
        SubsidyClaim, models.CASCADE, related_name="objections", verbose_name=_("claim")
    )
    received_on = models.DateField(_("received on"))
    content = models.TextField(_("objection"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("filed by"),
    )
    objector_name = models.CharField(_("objector's name"), max_length=50, blank=True)
    objector_phone = models.CharField(_("objector's phone"), max_length=30, blank=True)
    file = models.FileField(
        _("supporting file"), upload_to=private_upload_to("objections"), blank=True
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["received_on", "pk"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        indexes = [
            models.Index(
                fields=["claim"],
                condition=Q(answered_on__isnull=True),
                name="objection_open_by_claim",
            )
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.received_on}"

    @property
    def is_open(self) -> bool:
        return self.answered_on is None


class SignOff(models.Model):
    """One signature of the chain handler → section head → deputy director.

    The claim's state says who signs next (signing is a step of its workflow); these rows are
    the signatures themselves: who signed at which stage, when, with what note.
    """

    class Stage(models.IntegerChoices):
        HANDLER = 1, _("Case handler")
        SECTION_HEAD = 2, _("Section head")
        DEPUTY_DIRECTOR = 3, _("Deputy director")

    # The permission each stage's signer needs.
    STAGE_PERMISSIONS = {
        Stage.HANDLER: "subsidies.sign_as_handler",
        Stage.SECTION_HEAD: "subsidies.sign_as_section_head",
        Stage.DEPUTY_DIRECTOR: "subsidies.sign_as_deputy_director",
    }

    claim = models.ForeignKey(
        SubsidyClaim, models.CASCADE, related_name="sign_offs", verbose_name=_("claim")
    )
    stage = models.PositiveSmallIntegerField(_("stage"), choices=Stage.choices)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("signed by")
    )
    signed_at = models.DateTimeField(_("signed at"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["stage"]
        verbose_name = _("sign-off")
        verbose_name_plural = _("sign-offs")
        permissions = [
            ("sign_as_handler", _("Can sign claims as case handler")),
            ("sign_as_section_head", _("Can sign claims as section head")),
            ("sign_as_deputy_director", _("Can sign claims as deputy director")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["claim", "stage"], name="sign_off_once_per_stage"),
            models.UniqueConstraint(
                fields=["claim", "signed_by"], name="sign_off_one_stage_per_signer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} {self.get_stage_display()}"


class RDAudit(models.Model):
    """The third-party audit of an R&D claim's expenditure, by category."""

    class Basis(models.TextChoices):
        TAX = lib.BASIS_TAX, _("Tax super-deduction")
        HIGH_TECH = lib.BASIS_HIGH_TECH, _("High-tech recognition")

    CATEGORIES = ("personnel", "direct_inputs", "depreciation", "amortisation", "design_fees")

    claim = models.OneToOneField(
        SubsidyClaim, models.PROTECT, related_name="audit", verbose_name=_("claim")
    )
    firm = models.ForeignKey(
        AuditFirm, models.PROTECT, related_name="audits", verbose_name=_("audit firm")
    )
    # The basis the claim's policy version pays on, copied when the audit is assigned;
    # other_allowed and eligible_total repeat that basis' pair of figures.
    basis = models.CharField(_("basis"), max_length=20, choices=Basis.choices, default=Basis.TAX)
    personnel = models.DecimalField(_("personnel costs"), **MONEY, default=lib.ZERO)
    direct_inputs = models.DecimalField(_("direct inputs"), **MONEY, default=lib.ZERO)
    depreciation = models.DecimalField(_("depreciation"), **MONEY, default=lib.ZERO)
    amortisation = models.DecimalField(_("amortisation of intangibles"), **MONEY, default=lib.ZERO)
    design_fees = models.DecimalField(
        _("new-product design and similar fees"), **MONEY, default=lib.ZERO
    )
    other = models.DecimalField(_("other related costs"), **MONEY, default=lib.ZERO)
    other_allowed = models.DecimalField(
        _("other related costs allowed"), **MONEY, default=lib.ZERO, editable=False
    )
    eligible_total = models.DecimalField(
        _("eligible R&D expenditure"), **MONEY, default=lib.ZERO, editable=False
    )
    # Both bases, side by side: the subsidy pays on the one its policy version names.
    tax_other_allowed = models.DecimalField(
        _("other related costs allowed (tax super-deduction)"),
        **MONEY,
        default=lib.ZERO,
        editable=False,
    )
    tax_eligible_total = models.DecimalField(
        _("eligible R&D expenditure (tax super-deduction)"),
        **MONEY,
        default=lib.ZERO,
        editable=False,
    )
    high_tech_other_allowed = models.DecimalField(
        _("other related costs allowed (high-tech recognition)"),
        **MONEY,
        default=lib.ZERO,
        editable=False,
    )
    high_tech_eligible_total = models.DecimalField(
        _("eligible R&D expenditure (high-tech recognition)"),
        **MONEY,
        default=lib.ZERO,
        editable=False,
    )
    findings = models.TextField(_("findings"), blank=True)
    report = models.FileField(
        _("audit report"), upload_to=private_upload_to("rd-audits"), blank=True
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-assigned_at"]
        verbose_name = _("R&D audit")
        verbose_name_plural = _("R&D audits")
        constraints = [
            models.CheckConstraint(
                condition=Q(personnel__gte=0)
                & Q(direct_inputs__gte=0)
                & Q(depreciation__gte=0)
                & Q(amortisation__gte=0)
                & Q(design_fees__gte=0)
                & Q(other__gte=0),
                name="rd_audit_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(other_allowed__lte=models.F("other")),
                name="rd_audit_other_allowed_within_other",
            ),
            models.CheckConstraint(
                condition=Q(tax_other_allowed__lte=models.F("other"))
                & Q(high_tech_other_allowed__lte=models.F("other")),
                name="rd_audit_both_bases_within_other",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.firm} · {self.claim}"

    @property
    def first_five(self) -> Decimal:
        return sum((getattr(self, name) or lib.ZERO for name in self.CATEGORIES), lib.ZERO)

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None

    def apply_cap(self) -> None:
        """Set both bases' figures from the categories, and other_allowed and
        eligible_total from the basis the policy pays on."""
        other = self.other or lib.ZERO
        self.tax_other_allowed, self.tax_eligible_total = lib.audited_eligible(
            basis=lib.BASIS_TAX, first_five=self.first_five, other=other
        )
        self.high_tech_other_allowed, self.high_tech_eligible_total = lib.audited_eligible(
            basis=lib.BASIS_HIGH_TECH, first_five=self.first_five, other=other
        )
        self.other_allowed, self.eligible_total = self.on_basis(self.basis)

    def on_basis(self, basis: str) -> tuple[Decimal, Decimal]:
        """(other allowed, eligible total) on `basis`."""
        if basis == lib.BASIS_TAX:
            return self.tax_other_allowed, self.tax_eligible_total
        if basis == lib.BASIS_HIGH_TECH:
            return self.high_tech_other_allowed, self.high_tech_eligible_total
        raise ValueError(f"unknown basis {basis!r}")

    def bases(self) -> list[dict[str, Any]]:
        """Each basis with its cap on other costs, allowed amount and eligible total."""
        first_five = self.first_five
        return [
            {
                "basis": basis,
                "label": basis.label,
                "cap": lib.other_cap(basis=basis, first_five=first_five),
                "other_allowed": self.on_basis(basis)[0],
                "eligible_total": self.on_basis(basis)[1],
                "paid_on": basis == self.basis,
            }
            for basis in self.Basis
        ]

    def clean(self) -> None:
        self.apply_cap()


class HighTechApplication(InStateSince):
    """An enterprise's yearly high-tech recognition application, as the bureau follows it."""

    class Status(models.TextChoices):
        RECOMMENDED = "recommended", _("Recommended")
        PRELIMINARY_PASSED = "preliminary_passed", _("Passed the municipal preliminary review")
        RECOGNISED = "recognised", _("Recognised")
        NOT_RECOGNISED = "not_recognised", _("Not recognised")

    enterprise = models.ForeignKey(
        Enterprise,
        models.PROTECT,
        related_name="high_tech_applications",
        verbose_name=_("enterprise"),
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    batch_number = models.PositiveSmallIntegerField(
        _("recommendation batch"), validators=[MinValueValidator(1)]
    )
    recommended_on = models.DateField(_("recommended on"))
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.RECOMMENDED,
        db_index=True,
    )
    certificate = models.OneToOneField(
        HighTechCertificate,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="application",
        verbose_name=_("certificate"),
    )
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords(excluded_fields=["status_since"])

    class Meta:
        ordering = ["-year", "batch_number", "enterprise__name"]
        verbose_name = _("high-tech application")
        verbose_name_plural = _("high-tech applications")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year"], name="high_tech_application_one_per_year"
            ),
            models.CheckConstraint(
                condition=~Q(status="recognised") | Q(certificate__isnull=False),
                name="high_tech_application_recognised_has_certificate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} #{self.batch_number} {self.enterprise}"


class HighTechApplicationStatusChange(StatusChange):
    """One step of a high-tech application's workflow (`subsidies.workflows.recognition`)."""

    application = models.ForeignKey(
        HighTechApplication,
        models.CASCADE,
        related_name="status_changes",
        verbose_name=_("high-tech application"),
    )
    from_status = models.CharField(
        _("from"), max_length=30, choices=HighTechApplication.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=30, choices=HighTechApplication.Status.choices)
    history = HistoricalRecords()

    class Meta(StatusChange.Meta):
        verbose_name = _("application status change")
        verbose_name_plural = _("application status changes")

    def __str__(self) -> str:
        return f"{self.application_id}: {self.step_display}"
