"""The enterprise registry: enterprises keyed by USCC, their registrations, certificates, figures.

Single-row rules live here (clean() and database constraints); every write goes through
enterprises.services.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common.lib import bank as bank_lib
from common.lib import uscc as uscc_lib
from common.lib.dates import add_years

CERTIFICATE_YEARS = 3
CERTIFICATE_NUMBER_RE = r"^G[RF]\d{4}\d{2}\d{6}$"

USCC_MESSAGES = {
    "length": _("A unified social credit code has 18 characters."),
    "characters": _(
        "A unified social credit code uses only digits and the capital letters "
        "A–Y except I, O, S, V and Z."
    ),
    "check": _("The check character of this unified social credit code is wrong."),
}


def uscc_error_message(exc: uscc_lib.USCCError) -> str:
    return str(USCC_MESSAGES[exc.code])


BANK_ACCOUNT_MESSAGES = {
    "digits": _("A bank account number has digits only."),
    "length": _("A bank account number has %(min)d to %(max)d digits.")
    % {"min": bank_lib.MIN_DIGITS, "max": bank_lib.MAX_DIGITS},
}


def validate_bank_account(value: str) -> None:
    """A field validator: digits only, of a length banks use (common.lib.bank)."""
    try:
        bank_lib.validate(value)
    except bank_lib.BankAccountError as exc:
        raise ValidationError(BANK_ACCOUNT_MESSAGES[exc.code], code="bank_account") from None


class USCCField(models.CharField):
    """A USCC column: input is normalised (trim, half-width, upper case) before validation."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("max_length", uscc_lib.LENGTH)
        super().__init__(*args, **kwargs)

    def to_python(self, value: object) -> str | None:
        text = super().to_python(value)
        return uscc_lib.normalise(text) if text else text


class Industry(models.TextChoices):
    INFORMATION_TECHNOLOGY = "it", _("Information technology")
    BIOMEDICINE = "biomedicine", _("Biomedicine")
    SMART_MANUFACTURING = "smart_manufacturing", _("Smart manufacturing")
    ENERGY_SAVING = "energy_saving", _("Energy saving and environmental protection")
    NEW_MATERIALS = "new_materials", _("New materials")
    NEW_ENERGY = "new_energy", _("New energy")
    MODERN_SERVICES = "modern_services", _("Modern services")
    OTHER = "other", _("Other")


class Listing(models.TextChoices):
    UNLISTED = "unlisted", _("Not listed")
    NEEQ = "neeq", _("Quoted on NEEQ")
    BSE = "bse", _("Beijing Stock Exchange")
    MAIN_BOARD = "main_board", _("Main board")
    STAR = "star", _("STAR Market")
    CHINEXT = "chinext", _("ChiNext")


class Street(models.Model):
    """One of the district's streets (街道) and towns (镇); editable data."""

    class Kind(models.TextChoices):
        STREET = "street", _("Street")
        TOWN = "town", _("Town")

    name = models.CharField(_("name"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.STREET)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("street or town")
        verbose_name_plural = _("streets and towns")

    def __str__(self) -> str:
        return self.name


class EnterpriseQuerySet(models.QuerySet):
    def registered_on(self, day: dt.date) -> "EnterpriseQuerySet":
        """Enterprises holding a tech-firm registration on `day`."""
        return self.filter(
            Exists(
                TechFirmRegistration.objects.registered_on(day).filter(enterprise=OuterRef("pk"))
            )
        )

    def high_tech_on(self, day: dt.date) -> "EnterpriseQuerySet":
        """Enterprises holding a high-tech certificate valid on `day`."""
        return self.filter(
            Exists(HighTechCertificate.objects.valid_on(day).filter(enterprise=OuterRef("pk")))
        )


class Enterprise(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("In the registry")
        PENDING = "pending", _("Pending completion by staff")

    uscc = USCCField(_("unified social credit code"), unique=True)
    uscc_override_reason = models.TextField(
        _("reason for accepting a code that fails the check"),
        blank=True,
        help_text=_("Staff only: some early pilot codes are legal but fail the check character."),
    )
    name = models.CharField(_("enterprise name"), max_length=200, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    street = models.ForeignKey(
        Street, models.PROTECT, verbose_name=_("street or town"), null=True, blank=True
    )
    industry = models.CharField(
        _("industry"), max_length=30, choices=Industry.choices, blank=True, db_index=True
    )
    founded_on = models.DateField(_("date founded"), null=True, blank=True)
    registered_capital = models.DecimalField(
        _("registered capital (yuan)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    rd_staff = models.PositiveIntegerField(_("R&D staff"), null=True, blank=True)
    listing = models.CharField(
        _("listing"),
        max_length=20,
        choices=Listing.choices,
        default=Listing.UNLISTED,
        db_index=True,
    )
    contact_person = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # Where the bureau pays the firm (or the carrier it operates): the treasury file of a
    # payment batch carries both, and a batch with a payee lacking them is not exported.
    bank_name = models.CharField(
        _("bank of account"),
        max_length=100,
        blank=True,
        help_text=_("The bank and branch where the account is held, as on the account licence."),
    )
    bank_account = models.CharField(
        _("bank account number"),
        max_length=bank_lib.MAX_DIGITS,
        blank=True,
        validators=[validate_bank_account],
        help_text=_("Digits only; spaces between groups of digits are removed."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        # The admin's search by a credit code (`=uscc`: UPPER(uscc) = UPPER(term)); the
        # trigram index would read every code sharing the district's long common prefix.
        indexes = [models.Index(Upper("uscc"), name="enterprise_uscc_upper")]
        constraints = [
            models.CheckConstraint(
                condition=Q(rd_staff__isnull=True)
                | Q(employees__isnull=True)
                | Q(rd_staff__lte=models.F("employees")),
                name="enterprise_rd_staff_within_employees",
            ),
            models.CheckConstraint(
                condition=Q(registered_capital__isnull=True) | Q(registered_capital__gte=0),
                name="enterprise_capital_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"

    def clean(self) -> None:
        errors: dict[str, list] = {}
        self.uscc = uscc_lib.normalise(self.uscc)
        self.uscc_override_reason = self.uscc_override_reason.strip()
        try:
            uscc_lib.validate(self.uscc)
        except uscc_lib.USCCError as exc:
            if exc.code != "check" or not self.uscc_override_reason:
                message = uscc_error_message(exc)
                if exc.code == "check":
                    message = _("%(message)s Staff may accept it by recording a reason.") % {
                        "message": message
                    }
                errors["uscc"] = [message]
        if (
            self.rd_staff is not None
            and self.employees is not None
            and self.rd_staff > self.employees
        ):
            errors["rd_staff"] = [_("R&D staff cannot exceed the number of employees.")]
        if self.founded_on and self.founded_on > dt.date.today():
            errors["founded_on"] = [_("The founding date cannot be in the future.")]
        errors |= self._bank_errors()
        if errors:
            raise ValidationError(errors)

    def _bank_errors(self) -> dict[str, list]:
        """Normalises the account; a bank without an account, or the reverse, is half an
        address for a payment."""
        self.bank_name = self.bank_name.strip()
        # Spaces and hyphens between groups of digits go; the field's validator judges the rest.
        self.bank_account = bank_lib.normalise(self.bank_account)
        if self.bank_account and not self.bank_name:
            return {"bank_name": [_("Name the bank where this account is held.")]}
        if self.bank_name and not self.bank_account:
            return {"bank_account": [_("Give the account number at this bank.")]}
        return {}

    @property
    def has_bank_account(self) -> bool:
        return bool(self.bank_name and self.bank_account)


class TechFirmRegistrationQuerySet(models.QuerySet):
    def registered_on(self, day: dt.date) -> "TechFirmRegistrationQuerySet":
        """Registered on or before `day` and not removed by then (removed on `day` is out)."""
        return self.filter(registered_on__lte=day).filter(
            Q(removed_on__isnull=True) | Q(removed_on__gt=day)
        )


class TechFirmRegistration(models.Model):
    """Registration in the tech-firm database (入库科技型企业)."""

    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="registrations", verbose_name=_("enterprise")
    )
    number = models.CharField(_("registration number"), max_length=40, unique=True)
    registered_on = models.DateField(_("registration date"), db_index=True)
    removed_on = models.DateField(_("removal date"), null=True, blank=True, db_index=True)
    history = HistoricalRecords()

    objects = TechFirmRegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["-registered_on"]
        verbose_name = _("tech-firm registration")
        verbose_name_plural = _("tech-firm registrations")
        # The changelist's search for a number (`=number`: UPPER(number) = UPPER(term)).
        indexes = [models.Index(Upper("number"), name="registration_number_upper")]
        constraints = [
            models.CheckConstraint(
                condition=Q(removed_on__isnull=True) | Q(removed_on__gte=models.F("registered_on")),
                name="registration_removed_after_registered",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        if self.removed_on and self.registered_on and self.removed_on < self.registered_on:
            raise ValidationError(
                {"removed_on": _("The removal date cannot be before the registration date.")}
            )

    def is_registered_on(self, day: dt.date) -> bool:
        return self.registered_on <= day and (self.removed_on is None or self.removed_on > day)


class HighTechCertificateQuerySet(models.QuerySet):
    def valid_on(self, day: dt.date) -> "HighTechCertificateQuerySet":
        """Issued on or before `day`, not yet expired (expiry day is out), not revoked by then."""
        return self.filter(issued_on__lte=day, expires_on__gt=day).filter(
            Q(revoked_on__isnull=True) | Q(revoked_on__gt=day)
        )

    def ending_within(self, day: dt.date, days: int) -> "HighTechCertificateQuerySet":
        """Valid on `day`, never revoked, ending within `days` after it, and not followed by a
        later certificate of the same firm (a re-recognition already granted): the ones
        whose holder should be reminded to apply for re-recognition."""
        later = self.model.objects.filter(
            enterprise=OuterRef("enterprise"),
            expires_on__gt=OuterRef("expires_on"),
            revoked_on__isnull=True,
        )
        return (
            self.valid_on(day)
            .filter(revoked_on__isnull=True, expires_on__lte=day + dt.timedelta(days=days))
            .exclude(Exists(later))
        )


class HighTechCertificate(models.Model):
    """A high-tech enterprise certificate: GR/GF + year + region + serial, valid three years."""

    class Kind(models.TextChoices):
        NEW = "new", _("First recognition")
        RENEWAL = "renewal", _("Re-recognition")

    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="certificates", verbose_name=_("enterprise")
    )
    number = models.CharField(
        _("certificate number"),
        max_length=14,
        unique=True,
        validators=[
            RegexValidator(
                CERTIFICATE_NUMBER_RE,
                _(
                    "A certificate number is GR (or GF), a 4-digit year, a 2-digit region "
                    "and 6 digits, such as GR202350001234."
                ),
            )
        ],
    )
    issued_on = models.DateField(_("issue date"), db_index=True)
    # Derived from issued_on in save(); stored so that valid_on() is an indexed range query.
    expires_on = models.DateField(_("expiry date"), editable=False, db_index=True)
    kind = models.CharField(_("recognition type"), max_length=10, choices=Kind.choices)
    revoked_on = models.DateField(_("revocation date"), null=True, blank=True)
    history = HistoricalRecords()

    objects = HighTechCertificateQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on"]
        verbose_name = _("high-tech enterprise certificate")
        verbose_name_plural = _("high-tech enterprise certificates")
        # The changelist's search for a number (`=number`: UPPER(number) = UPPER(term)).
        indexes = [models.Index(Upper("number"), name="certificate_number_upper")]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gt=models.F("issued_on")),
                name="certificate_expires_after_issue",
            ),
            models.CheckConstraint(
                condition=Q(revoked_on__isnull=True) | Q(revoked_on__gte=models.F("issued_on")),
                name="certificate_revoked_after_issue",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs) -> None:
        if self.issued_on:
            self.expires_on = self.expiry_for(self.issued_on)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.number = (self.number or "").strip().upper()
        if self.revoked_on and self.issued_on and self.revoked_on < self.issued_on:
            raise ValidationError(
                {"revoked_on": _("The revocation date cannot be before the issue date.")}
            )

    @staticmethod
    def expiry_for(issued_on: dt.date) -> dt.date:
        return add_years(issued_on, CERTIFICATE_YEARS)

    def is_valid_on(self, day: dt.date) -> bool:
        return self.issued_on <= day < self.expiry_for(self.issued_on) and (
            self.revoked_on is None or self.revoked_on > day
        )


def last_complete_year(day: dt.date | None = None) -> int:
    """The latest year that has ended on `day` (default: today in the portal's time zone)."""
    return (day or timezone.localdate()).year - 1


class AnnualFiguresQuerySet(models.QuerySet):
    def complete_on(self, day: dt.date) -> "AnnualFiguresQuerySet":
        """Figures of years that have ended by `day`: the only ones the bureau uses."""
        return self.filter(year__lte=last_complete_year(day))


class AnnualFigures(models.Model):
    """One enterprise's figures for one year, submitted by the enterprise or imported.

    Only a year that has ended has figures: a year under way has none to report yet, and
    figures entered early would be scored by the credit evaluation as if final.
    """

    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="annual_figures", verbose_name=_("enterprise")
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    revenue = models.DecimalField(
        _("revenue (yuan)"), max_digits=16, decimal_places=2, validators=[MinValueValidator(0)]
    )
    rd_expenditure = models.DecimalField(
        _("R&D expenditure (yuan)"),
        max_digits=16,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    employees = models.PositiveIntegerField(_("employees"))
    rd_staff = models.PositiveIntegerField(_("R&D staff"))
    invention_patents = models.PositiveIntegerField(_("invention patents"), default=0)
    utility_models = models.PositiveIntegerField(_("utility model patents"), default=0)
    software_copyrights = models.PositiveIntegerField(_("software copyrights"), default=0)
    high_end_talent = models.PositiveIntegerField(_("high-end talent"), default=0)
    new_products = models.PositiveIntegerField(_("new products"), default=0)
    locked = models.BooleanField(
        _("locked"),
        default=False,
        help_text=_("Locked figures can no longer be edited by the enterprise."),
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    objects = AnnualFiguresQuerySet.as_manager()

    class Meta:
        ordering = ["enterprise", "-year"]
        verbose_name = _("annual figures")
        verbose_name_plural = _("annual figures")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year"], name="annual_figures_one_per_year"
            ),
            models.CheckConstraint(
                condition=Q(rd_staff__lte=models.F("employees")),
                name="annual_figures_rd_staff_within_employees",
            ),
            models.CheckConstraint(
                condition=Q(revenue__gte=0) & Q(rd_expenditure__gte=0),
                name="annual_figures_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise.name} {self.year}"

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if self.year is not None and self.year > last_complete_year():
            errors["year"] = [year_not_ended_message(self.year)]
        if (
            self.rd_staff is not None
            and self.employees is not None
            and self.rd_staff > self.employees
        ):
            errors["rd_staff"] = [_("R&D staff cannot exceed the number of employees.")]
        if errors:
            raise ValidationError(errors)


def year_not_ended_message(year: int) -> str:
    """Why figures of `year` are refused (shared by the model and the figures form)."""
    return _("The year %(year)s has not ended: figures can be entered for %(last)s or earlier.") % {
        "year": year,
        "last": last_complete_year(),
    }


class ImportJob(models.Model):
    """An official list imported in the background (large files started from the admin).

    The file stays in private storage; the worker updates the progress as it validates, and
    stores the Chinese row-and-column messages when the file is refused.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Refused or failed")

    resource_path = models.CharField(_("resource"), max_length=200)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("original file name"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    total_rows = models.PositiveIntegerField(_("rows in the file"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_rows = models.PositiveIntegerField(_("rows created"), default=0)
    updated_rows = models.PositiveIntegerField(_("rows updated"), default=0)
    skipped_rows = models.PositiveIntegerField(_("rows unchanged"), default=0)
    errors = models.JSONField(_("error messages"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    # Written by the worker while it runs; a running job whose heartbeat stopped lost its
    # worker (killed, out of memory) and is marked failed by import_jobs_fail_lost.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self) -> str:
        return f"{self.original_name or self.file.name} ({self.get_status_display()})"

    @property
    def progress_percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, self.processed_rows * 100 // self.total_rows)
