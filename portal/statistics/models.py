"""Monthly snapshots, the district's yearly figures, and the report subscriptions/deliveries.

Every write goes through portal.statistics.services.
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common.models import OutboxMessage
from portal.statistics.lib import Period


class DistrictStatistic(models.Model):
    """The district's yearly figures entered by staff; they feed the `rd` section."""

    year = models.PositiveSmallIntegerField(
        _("year"), unique=True, validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    gdp = models.DecimalField(
        _("GDP (yuan)"), max_digits=18, decimal_places=2, validators=[MinValueValidator(0)]
    )
    rd_expenditure = models.DecimalField(
        _("total R&D expenditure (yuan)"),
        max_digits=18,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    city_intensity_pct = models.DecimalField(
        _("city average R&D intensity (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    note = models.CharField(_("source or note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("district yearly statistic")
        verbose_name_plural = _("district yearly statistics")
        constraints = [
            models.CheckConstraint(
                condition=Q(gdp__gt=0) & Q(rd_expenditure__gte=0),
                name="district_statistic_amounts_valid",
            ),
            models.CheckConstraint(
                condition=Q(rd_expenditure__lte=models.F("gdp")),
                name="district_statistic_rd_within_gdp",
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)

    def clean(self) -> None:
        if self.gdp is not None and self.gdp <= 0:
            raise ValidationError({"gdp": _("GDP must be greater than zero.")})
        if self.gdp and self.rd_expenditure is not None and self.rd_expenditure > self.gdp:
            raise ValidationError({"rd_expenditure": _("R&D expenditure cannot exceed the GDP.")})

    @property
    def intensity_pct(self) -> Decimal:
        """R&D expenditure as a percentage of GDP, two decimals."""
        return (self.rd_expenditure * 100 / self.gdp).quantize(Decimal("0.01"))


class MonthlySummary(models.Model):
    """The snapshot of every headline figure for one month, as of its last day.

    Immutable by default: computing an existing month returns it; `force` recomputes it in
    place and the replaced version stays in the history.
    """

    period = models.DateField(
        _("month"), unique=True, help_text=_("The first day of the month summarised.")
    )
    as_of = models.DateField(_("as of"))
    figures = models.JSONField(_("figures"), default=dict)
    computed_at = models.DateTimeField(_("computed at"))
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("computed by"),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-period"]
        verbose_name = _("monthly summary")
        verbose_name_plural = _("monthly summaries")
        constraints = [
            models.CheckConstraint(condition=Q(period__day=1), name="summary_period_first_day"),
            models.CheckConstraint(
                condition=Q(as_of__gte=models.F("period")), name="summary_as_of_in_period"
            ),
        ]

    def __str__(self) -> str:
        return self.period_label

    @property
    def month(self) -> Period:
        return Period.of(self.period)

    @property
    def period_label(self) -> str:
        return str(self.month)

    def as_json(self) -> dict:
        """The snapshot in the shape of DESIGN §5 (`--json`)."""
        return {
            "period": self.period_label,
            "as_of": self.as_of.isoformat(),
            "computed_at": timezone.localtime(self.computed_at).isoformat(),
            **self.figures,
        }


class ReportLanguage(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class ReportSubscription(models.Model):
    """Someone who receives the monthly report: a user (their current address) or an address."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="report_subscriptions",
        verbose_name=_("user"),
    )
    email = models.EmailField(_("email address"), blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=ReportLanguage.choices, default=ReportLanguage.ZH_HANS
    )
    active = models.BooleanField(_("active"), default=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["email", "user__username"]
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(email=""))
                | (Q(user__isnull=True) & ~Q(email="")),
                name="subscription_user_or_address",
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(user__isnull=False), name="subscription_one_per_user"
            ),
            models.UniqueConstraint(
                fields=["email"], condition=~Q(email=""), name="subscription_one_per_address"
            ),
        ]

    def __str__(self) -> str:
        return self.recipient or str(self.user)

    def clean(self) -> None:
        self.email = (self.email or "").strip().lower()
        if bool(self.user_id) == bool(self.email):
            raise ValidationError(_("Choose either a user or an email address, not both."))

    @property
    def recipient(self) -> str:
        """The address the report goes to ('' when the user has none)."""
        if self.user_id:
            return (self.user.email or "").strip().lower()
        return self.email


class ReportDelivery(OutboxMessage):
    """One report email for one month to one address; its delivery follows
    `common.models.OutboxMessage` (claimed before it is sent, retried with back-off, a claim
    lost half-way in the SMTP dialogue shown to staff as "may have been sent")."""

    summary = models.ForeignKey(
        MonthlySummary, models.PROTECT, related_name="deliveries", verbose_name=_("monthly summary")
    )
    subscription = models.ForeignKey(
        ReportSubscription,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("subscription"),
    )
    recipient = models.EmailField(_("recipient"))
    language = models.CharField(
        _("language"), max_length=10, choices=ReportLanguage.choices, default=ReportLanguage.ZH_HANS
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-summary__period", "recipient"]
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["summary", "recipient"], name="delivery_one_per_month_and_recipient"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.summary} → {self.recipient}"

    def email_message(self) -> Any:
        from portal.statistics.reports import report_email

        return report_email(delivery=self)
