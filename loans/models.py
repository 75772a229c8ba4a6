"""Knowledge-value credit loans: banks, the credit model and its evaluations, applications,
their status changes and repayments, and the risk compensation fund.

Single-row rules live here (clean() and database constraints); every write goes through
loans.services, and the workflows (their tables of steps and next actors) live in
loans.workflows.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common.models import InStateSince, QueueOrderIndex, StatusChange
from common.uploads import private_upload_to
from loans.lib.scoring import MAX_QUOTA, GradeSpec, IndicatorSpec

MIN_TERM_MONTHS = 6
MAX_TERM_MONTHS = 36
FUND_SHARE = Decimal("0.80")  # the fund pays 80% of the eligible loss; the bank bears the rest


def _money(verbose_name: str | object, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=16, decimal_places=2, **kwargs)  # type: ignore[arg-type]


class Bank(models.Model):
    """A partner bank, with its circuit breaker on the non-performing ratio."""

    name = models.CharField(_("bank name"), max_length=100, unique=True)
    contact_person = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    npl_threshold_pct = models.DecimalField(
        _("non-performing ratio threshold (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("5.00"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Above this ratio the bank receives no new applications."),
    )
    npl_ratio_pct = models.DecimalField(
        _("non-performing ratio (%)"), max_digits=6, decimal_places=2, default=Decimal(0)
    )
    paused = models.BooleanField(_("paused by the circuit breaker"), default=False)
    paused_reason = models.CharField(_("why paused"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner bank")
        verbose_name_plural = _("partner banks")
        constraints = [
            models.CheckConstraint(
                condition=Q(npl_threshold_pct__gte=0) & Q(npl_threshold_pct__lte=100),
                name="bank_threshold_is_a_percentage",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CreditModel(models.Model):
    """One version of the knowledge-value credit model; the active one evaluates firms."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-version"]
        verbose_name = _("credit model")
        verbose_name_plural = _("credit models")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="credit_model_one_active",
                violation_error_message=_(
                    "Only one credit model can be active: deactivate the other one first."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    def specs(self) -> tuple[list[IndicatorSpec], list[GradeSpec]]:
        """The model as plain data for loans.lib.scoring."""
        indicators = [
            IndicatorSpec(
                code=i.code, name=i.name, kind=i.kind, measure=i.measure, bands=i.band_pairs()
            )
            for i in self.indicators.all()
        ]
        grades = [
            GradeSpec(grade=g.grade, min_score=g.min_score, quota=g.quota)
            for g in self.grades.all()
        ]
        return indicators, grades


class Measure(models.TextChoices):
    """What an indicator reads from a firm's annual figures (and certificates)."""

    INVENTION_PATENTS = "invention_patents", _("Invention patents")
    UTILITY_MODELS = "utility_models", _("Utility model patents")
    SOFTWARE_COPYRIGHTS = "software_copyrights", _("Software copyrights")
    RD_EXPENDITURE_WAN = "rd_expenditure_wan", _("R&D expenditure (10,000 yuan)")
    RD_SHARE_PCT = "rd_share_pct", _("R&D expenditure as a share of revenue (%)")
    HIGH_END_TALENT = "high_end_talent", _("High-end talent")
    NEW_PRODUCTS = "new_products", _("New products")
    HIGH_TECH_CERTIFICATE = "high_tech_certificate", _("Valid high-tech certificate (1 = yes)")


class CreditIndicator(models.Model):
    class Kind(models.TextChoices):
        BASE = "base", _("Base indicator")
        BONUS = "bonus", _("Bonus indicator")

    credit_model = models.ForeignKey(
        CreditModel, models.CASCADE, related_name="indicators", verbose_name=_("credit model")
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    measure = models.CharField(_("measure"), max_length=30, choices=Measure.choices)
    max_points = models.DecimalField(
        _("points"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0)]
    )
    bands = models.JSONField(
        _("bands"),
        default=list,
        help_text=_(
            'A list of bands such as [{"min": "1", "points": "5"}, {"min": "3", "points": "10"}]: '
            "the measure earns the points of the highest minimum it reaches."
        ),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["credit_model", "sort_order", "code"]
        verbose_name = _("credit indicator")
        verbose_name_plural = _("credit indicators")
        constraints = [
            models.UniqueConstraint(
                fields=["credit_model", "code"], name="credit_indicator_code_per_model"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def band_pairs(self) -> list[tuple[Decimal, Decimal]]:
        return [(Decimal(str(b["min"])), Decimal(str(b["points"]))) for b in self.bands]

    def clean(self) -> None:
        message = _('Bands must be a list of {"min": number, "points": number}.')
        if not isinstance(self.bands, list) or not all(
            isinstance(b, dict) and set(b) == {"min", "points"} for b in self.bands
        ):
            raise ValidationError({"bands": message})
        try:
            pairs = self.band_pairs()
        except (ArithmeticError, ValueError, TypeError):
            raise ValidationError({"bands": message}) from None
        minimums = [minimum for minimum, _points in pairs]
        if len(set(minimums)) != len(minimums):
            raise ValidationError({"bands": _("Two bands have the same minimum.")})
        if self.max_points is not None and any(
            points < 0 or points > self.max_points for _minimum, points in pairs
        ):
            raise ValidationError(
                {"bands": _("Band points must lie between 0 and the indicator's points.")}
            )


class CreditGrade(models.Model):
    credit_model = models.ForeignKey(
        CreditModel, models.CASCADE, related_name="grades", verbose_name=_("credit model")
    )
    grade = models.CharField(_("grade"), max_length=10)
    min_score = models.DecimalField(_("minimum score"), max_digits=6, decimal_places=2)
    quota = _money(
        _("credit quota (yuan)"), validators=[MinValueValidator(0), MaxValueValidator(MAX_QUOTA)]
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["credit_model", "-min_score"]
        verbose_name = _("credit grade")
        verbose_name_plural = _("credit grades")
        constraints = [
            models.UniqueConstraint(fields=["credit_model", "grade"], name="credit_grade_unique"),
            models.UniqueConstraint(
                fields=["credit_model", "min_score"], name="credit_grade_min_score_unique"
            ),
            models.CheckConstraint(
                condition=Q(quota__gte=0) & Q(quota__lte=MAX_QUOTA),
                name="credit_grade_quota_within_cap",
            ),
        ]

    def __str__(self) -> str:
        return self.grade


class CreditEvaluation(models.Model):
    """The result of scoring one firm's figures with one model version, with its inputs."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        models.PROTECT,
        related_name="credit_evaluations",
        verbose_name=_("enterprise"),
    )
    credit_model = models.ForeignKey(
        CreditModel, models.PROTECT, related_name="evaluations", verbose_name=_("credit model")
    )
    year = models.PositiveSmallIntegerField(_("figures year"))
    evaluated_on = models.DateField(_("evaluation date"), db_index=True)
    inputs = models.JSONField(_("inputs"), default=dict)
    indicator_points = models.JSONField(_("points per indicator"), default=list)
    base_score = models.DecimalField(_("base score"), max_digits=7, decimal_places=2)
    bonus_score = models.DecimalField(_("bonus score"), max_digits=7, decimal_places=2)
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2)
    grade = models.CharField(_("grade"), max_length=10, blank=True)
    quota = _money(_("credit quota (yuan)"))
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("evaluated by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-evaluated_on", "-pk"]
        verbose_name = _("credit evaluation")
        verbose_name_plural = _("credit evaluations")
        constraints = [
            models.CheckConstraint(
                condition=Q(quota__gte=0) & Q(quota__lte=MAX_QUOTA),
                name="credit_evaluation_quota_within_cap",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.year} {self.grade or '—'}"


class LoanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for more information")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    FORWARDED = "forwarded", _("Forwarded to the bank")
    APPROVED = "approved", _("Approved by the bank")
    DECLINED = "declined", _("Declined by the bank")
    DISBURSED = "disbursed", _("Disbursed")
    REPAID = "repaid", _("Repaid")
    OVERDUE = "overdue", _("Overdue")
    DEFAULTED = "defaulted", _("Defaulted")
    COMPENSATION_CLAIMED = "compensation_claimed", _("Compensation claimed")
    COMPENSATED = "compensated", _("Compensated")


CLOSED_STATUSES = (
    LoanStatus.REJECTED,
    LoanStatus.WITHDRAWN,
    LoanStatus.DECLINED,
    LoanStatus.REPAID,
    LoanStatus.COMPENSATED,
)
# Loans whose principal was lent: what a bank's non-performing ratio is computed over.
LENT_STATUSES = (
    LoanStatus.DISBURSED,
    LoanStatus.OVERDUE,
    LoanStatus.DEFAULTED,
    LoanStatus.COMPENSATION_CLAIMED,
)
NON_PERFORMING_STATUSES = (
    LoanStatus.OVERDUE,
    LoanStatus.DEFAULTED,
    LoanStatus.COMPENSATION_CLAIMED,
)


class LoanApplicationQuerySet(models.QuerySet):
    def open(self) -> LoanApplicationQuerySet:
        return self.exclude(status__in=CLOSED_STATUSES)


# The states the bureau and the banks act in (the work queue's indexes).
QUEUE_STATES = [
    "submitted",
    "forwarded",
    "approved",
    "disbursed",
    "overdue",
    "defaulted",
    "compensation_claimed",
]


class LoanApplication(InStateSince):
    """A firm's application for a knowledge-value credit loan, and then the loan itself."""

    class Source(models.TextChoices):
        PORTAL = "portal", _("Applied in the portal")
        LEDGER = "ledger", _("Imported from the loan ledger")

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        models.PROTECT,
        related_name="loan_applications",
        verbose_name=_("enterprise"),
    )
    preferred_bank = models.ForeignKey(
        Bank,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("preferred bank"),
    )
    bank = models.ForeignKey(
        Bank,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="loans",
        verbose_name=_("bank"),
    )
    evaluation = models.ForeignKey(
        CreditEvaluation,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("credit evaluation"),
    )
    quota = _money(_("credit quota (yuan)"), null=True, blank=True)
    requested_amount = _money(_("amount requested (yuan)"))
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)
    term_months = models.PositiveSmallIntegerField(
        _("term (months)"),
        validators=[MinValueValidator(MIN_TERM_MONTHS), MaxValueValidator(MAX_TERM_MONTHS)],
    )
    status = models.CharField(
        _("status"), max_length=25, choices=LoanStatus.choices, default=LoanStatus.DRAFT
    )
    source = models.CharField(
        _("origin"), max_length=10, choices=Source.choices, default=Source.PORTAL
    )
    submitted_on = models.DateField(_("application date"), null=True, blank=True, db_index=True)
    approved_amount = _money(_("amount approved (yuan)"), null=True, blank=True)
    approved_term_months = models.PositiveSmallIntegerField(
        _("approved term (months)"), null=True, blank=True
    )
    annual_rate_pct = models.DecimalField(
        _("annual interest rate (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    disbursed_on = models.DateField(_("disbursement date"), null=True, blank=True, db_index=True)
    maturity_on = models.DateField(_("maturity date"), null=True, blank=True)
    repaid_principal = _money(_("principal repaid (yuan)"), default=Decimal(0))
    principal_loss = _money(_("principal loss (yuan)"), null=True, blank=True)
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

    objects = LoanApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_on", "-pk"]
        verbose_name = _("loan application")
        verbose_name_plural = _("loan applications")
        permissions = [
            ("review_loanapplication", _("Can review, return, reject and forward applications")),
            ("evaluate_enterprise", _("Can run credit evaluations")),
            ("import_loanledger", _("Can import the loan ledger")),
        ]
        indexes = [
            models.Index(fields=["status", "bank"], name="loan_status_bank_idx"),
            # The work queue's count (common/queue.py): the states the bureau and the banks
            # act in, a few thousand rows of half a million, read without the table.
            models.Index(
                fields=["status", "bank"],
                condition=Q(status__in=QUEUE_STATES),
                name="loan_queue_idx",
            ),
            # The work queue's order (oldest in its state first), per state (the queue reads
            # each state's first rows and merges them): for the bureau, and for one bank.
            QueueOrderIndex(
                F("status"),
                F("status_since").asc(nulls_first=True),
                F("id"),
                condition=Q(status__in=QUEUE_STATES),
                name="loan_queue_order",
            ),
            QueueOrderIndex(
                F("bank"),
                F("status"),
                F("status_since").asc(nulls_first=True),
                F("id"),
                condition=Q(status__in=QUEUE_STATES),
                name="loan_bank_queue_order",
            ),
            # The bank desk: its count of the bank's loans, and the book (outstanding,
            # overdue, non-performing) summed from the index alone.
            models.Index(fields=["bank", "status"], name="loan_bank_status_idx"),
            models.Index(
                fields=["bank", "status"],
                include=["approved_amount", "repaid_principal", "id"],
                condition=Q(status__in=[state.value for state in LENT_STATUSES]),
                name="loan_bank_book_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=~Q(status__in=CLOSED_STATUSES),
                name="loan_one_open_application_per_enterprise",
            ),
            # The natural key of the loan ledger (DESIGN §5).
            models.UniqueConstraint(
                fields=["enterprise", "bank", "submitted_on"], name="loan_ledger_natural_key"
            ),
            models.CheckConstraint(
                condition=Q(requested_amount__gt=0) & Q(requested_amount__lte=MAX_QUOTA),
                name="loan_requested_amount_within_cap",
            ),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | (Q(approved_amount__gt=0) & Q(approved_amount__lte=MAX_QUOTA)),
                name="loan_approved_amount_within_cap",
            ),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | Q(quota__isnull=True)
                | Q(approved_amount__lte=F("quota")),
                name="loan_approved_amount_within_quota",
            ),
            models.CheckConstraint(
                condition=Q(term_months__gte=MIN_TERM_MONTHS) & Q(term_months__lte=MAX_TERM_MONTHS),
                name="loan_term_within_limits",
            ),
            models.CheckConstraint(
                condition=Q(approved_term_months__isnull=True)
                | (
                    Q(approved_term_months__gte=MIN_TERM_MONTHS)
                    & Q(approved_term_months__lte=MAX_TERM_MONTHS)
                ),
                name="loan_approved_term_within_limits",
            ),
            models.CheckConstraint(
                condition=Q(repaid_principal__gte=0), name="loan_repaid_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(principal_loss__isnull=True) | Q(principal_loss__gt=0),
                name="loan_principal_loss_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise.name} · {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def lent_amount(self) -> Decimal:
        return self.approved_amount or Decimal(0)

    @property
    def outstanding_principal(self) -> Decimal:
        return max(self.lent_amount - self.repaid_principal, Decimal(0))

    @property
    def max_amount(self) -> Decimal:
        """What the bank may approve: min(quota, 5,000,000)."""
        return min(self.quota if self.quota is not None else MAX_QUOTA, MAX_QUOTA)


class LoanStatusChange(StatusChange):
    """One step of an application's workflow: who, when, from, to, and why."""

    application = models.ForeignKey(
        LoanApplication,
        models.CASCADE,
        related_name="status_changes",
        verbose_name=_("loan application"),
    )
    from_status = models.CharField(_("from"), max_length=25, choices=LoanStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=25, choices=LoanStatus.choices)
    history = HistoricalRecords()

    class Meta(StatusChange.Meta):
        pass


class Instalment(models.Model):
    """One due date of a loan's repayment schedule, written at disbursement
    (loans.lib.schedule: interest monthly, the principal at maturity)."""

    loan = models.ForeignKey(
        LoanApplication, models.CASCADE, related_name="instalments", verbose_name=_("loan")
    )
    number = models.PositiveSmallIntegerField(_("instalment"))
    due_on = models.DateField(_("due date"), db_index=True)
    principal = _money(_("principal due (yuan)"))
    interest = _money(_("interest due (yuan)"))

    class Meta:
        ordering = ["loan", "number"]
        verbose_name = _("repayment instalment")
        verbose_name_plural = _("repayment schedule")
        constraints = [
            models.UniqueConstraint(fields=["loan", "number"], name="instalment_number_per_loan"),
            models.CheckConstraint(
                condition=Q(principal__gte=0) & Q(interest__gte=0), name="instalment_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} #{self.number} {self.due_on}"


class LoanAttachment(models.Model):
    application = models.ForeignKey(
        LoanApplication, models.CASCADE, related_name="attachments", verbose_name=_("application")
    )
    file = models.FileField(_("file"), upload_to=private_upload_to("loans"))
    original_name = models.CharField(_("original file name"), max_length=255)
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
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class Repayment(models.Model):
    loan = models.ForeignKey(
        LoanApplication, models.PROTECT, related_name="repayments", verbose_name=_("loan")
    )
    paid_on = models.DateField(_("payment date"))
    principal = _money(_("principal (yuan)"))
    interest = _money(_("interest (yuan)"), default=Decimal(0))
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
        verbose_name = _("repayment")
        verbose_name_plural = _("repayments")
        constraints = [
            models.CheckConstraint(
                condition=Q(principal__gte=0)
                & Q(interest__gte=0)
                & (Q(principal__gt=0) | Q(interest__gt=0)),
                name="repayment_amounts_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.paid_on} {self.principal}"


class CompensationFund(models.Model):
    """The risk compensation fund. Its balance can never go below zero."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    city_share_pct = models.DecimalField(
        _("city share (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(40),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    balance = _money(_("balance (yuan)"), default=Decimal(0))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("risk compensation fund")
        verbose_name_plural = _("risk compensation funds")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="fund_balance_not_negative"),
            models.CheckConstraint(
                condition=Q(city_share_pct__gte=0) & Q(city_share_pct__lte=100),
                name="fund_city_share_is_a_percentage",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def district_share_pct(self) -> Decimal:
        return Decimal(100) - self.city_share_pct


class FundContribution(models.Model):
    """Money paid into the fund, split between city and district by the fund's ratio."""

    fund = models.ForeignKey(
        CompensationFund, models.PROTECT, related_name="contributions", verbose_name=_("fund")
    )
    contributed_on = models.DateField(_("date"))
    city_amount = _money(_("city contribution (yuan)"))
    district_amount = _money(_("district contribution (yuan)"))
    note = models.CharField(_("note"), max_length=200, blank=True)
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
        ordering = ["-contributed_on", "-pk"]
        verbose_name = _("fund contribution")
        verbose_name_plural = _("fund contributions")
        constraints = [
            models.CheckConstraint(
                condition=Q(city_amount__gte=0)
                & Q(district_amount__gte=0)
                & (Q(city_amount__gt=0) | Q(district_amount__gt=0)),
                name="fund_contribution_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contributed_on} {self.total}"

    @property
    def total(self) -> Decimal:
        return self.city_amount + self.district_amount


class CompensationClaim(InStateSince):
    """A bank's claim on the fund for a defaulted loan: 80% of min(principal loss, quota)."""

    class Status(models.TextChoices):
        FILED = "filed", _("Filed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        PAID = "paid", _("Paid")

    loan = models.OneToOneField(
        LoanApplication,
        models.PROTECT,
        related_name="compensation_claim",
        verbose_name=_("loan"),
    )
    fund = models.ForeignKey(
        CompensationFund, models.PROTECT, related_name="claims", verbose_name=_("fund")
    )
    principal_loss = _money(_("principal loss (yuan)"))
    eligible_loss = _money(_("eligible loss (yuan)"))
    amount = _money(_("compensation (yuan)"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.FILED, db_index=True
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("filed by"),
    )  # fmt: skip
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("decided by"),
    )  # fmt: skip
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    paid_on = models.DateField(_("payment date"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords(excluded_fields=["status_since"])

    class Meta:
        ordering = ["-filed_at"]
        verbose_name = _("compensation claim")
        verbose_name_plural = _("compensation claims")
        permissions = [
            ("decide_compensationclaim", _("Can approve or reject compensation claims")),
            ("pay_compensationclaim", _("Can pay compensation claims")),
        ]
        # The changelist's default sort (the admin adds -pk): page 1 walks the claims in order
        # and joins 100 loans, not every loan to every claim.
        indexes = [models.Index(fields=["filed_at", "id"], name="compensation_claim_list_order")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                & Q(eligible_loss__lte=F("principal_loss"))
                & Q(amount__lte=F("eligible_loss") * FUND_SHARE),
                name="claim_amount_within_rule",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.amount}"


class CompensationPayment(models.Model):
    """The fund's ledger of money paid out: one row per paid claim, never a second.

    The service writes the row and lowers the fund's balance by its amount in one
    transaction. The unique claim is what keeps a claim from being paid twice, whatever
    path set the claim's status back (a history page, a raw update, a restored backup).
    """

    claim = models.OneToOneField(
        CompensationClaim,
        models.PROTECT,
        related_name="payment",
        verbose_name=_("compensation claim"),
    )
    fund = models.ForeignKey(
        CompensationFund, models.PROTECT, related_name="payments", verbose_name=_("fund")
    )
    amount = _money(_("amount paid (yuan)"))
    paid_on = models.DateField(_("payment date"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )  # fmt: skip
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["paid_on", "pk"]
        verbose_name = _("compensation payment")
        verbose_name_plural = _("compensation payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="compensation_payment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.paid_on} {self.amount}"


class CompensationClaimStatusChange(StatusChange):
    """One step of a compensation claim: filed, approved, paid."""

    claim = models.ForeignKey(
        CompensationClaim,
        models.CASCADE,
        related_name="status_changes",
        verbose_name=_("compensation claim"),
    )
    from_status = models.CharField(
        _("from"), max_length=10, choices=CompensationClaim.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=10, choices=CompensationClaim.Status.choices)
    history = HistoricalRecords()

    class Meta(StatusChange.Meta):
        verbose_name = _("compensation claim status change")
        verbose_name_plural = _("compensation claim status changes")


class CompensationClaimDocument(models.Model):
    """A document the bank files with its compensation claim (the court ruling, the
    collection record, the loan contract); served to the bank and to bureau staff only."""

    claim = models.ForeignKey(
        CompensationClaim, models.CASCADE, related_name="documents", verbose_name=_("claim")
    )
    file = models.FileField(_("file"), upload_to=private_upload_to("claims"))
    original_name = models.CharField(_("original file name"), max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("uploaded by"),
    )  # fmt: skip
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("claim document")
        verbose_name_plural = _("claim documents")

    def __str__(self) -> str:
        return self.original_name
