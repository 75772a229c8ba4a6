"""The enterprise service desk: visits to firms, the requests collected, and the research
project recommendations the bureau puts forward for its firms.

Requests and recommendations move through workflows on the one mechanism of
`common.workflow`: the tables live in `enterprises.workflows`, the steps are services
(enterprises.services.service_desk), each step a status-change record (a
`common.models.StatusChange`). Yearly counts follow DESIGN §5 ("services").
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common.calendar import service_request_due_on, service_request_overdue_cutoff
from common.lib.dates import year_start
from common.models import InStateSince, QueueOrderIndex, StatusChange, WordListEntry
from common.uploads import private_upload_to
from enterprises.models.registry import Enterprise

# Long enough for a notebook entry, short enough for the (enterprise, date, description)
# natural key of the ledger to fit in a PostgreSQL index entry even in 4-byte characters.
DESCRIPTION_MAX_LENGTH = 600


class Department(models.Model):
    """A department of the district (or above) that requests can be forwarded to."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    contact = models.CharField(_("contact"), max_length=100, blank=True)
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive departments are not offered for new requests."),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class RequestCategory(WordListEntry):
    """A category of service requests (问题类别): the bureau's own word list."""

    history = HistoricalRecords()

    class Meta(WordListEntry.Meta):
        verbose_name = _("request category")
        verbose_name_plural = _("request categories")


class ServiceVisitQuerySet(models.QuerySet):
    def year_to_date(self, day: dt.date) -> "ServiceVisitQuerySet":
        """Visits from 1 January of `day`'s year up to and including `day`."""
        return self.filter(visited_on__gte=year_start(day), visited_on__lte=day)

    def visited_firms_ytd(self, day: dt.date) -> int:
        """DESIGN §5 visited_firms_ytd: distinct enterprises visited in the year up to `day`."""
        return self.year_to_date(day).values("enterprise").distinct().count()


class ServiceVisit(models.Model):
    """A visit of bureau staff to a firm (走访); requests collected there point to it."""

    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="service_visits", verbose_name=_("enterprise")
    )
    visited_on = models.DateField(_("visit date"), db_index=True)
    visitors = models.CharField(
        _("visited by"), max_length=200, help_text=_("The staff who went, as names.")
    )
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    objects = ServiceVisitQuerySet.as_manager()

    class Meta:
        ordering = ["-visited_on"]
        verbose_name = _("service visit")
        verbose_name_plural = _("service visits")
        constraints = [
            # The ledger's natural key: one visit per firm and day.
            models.UniqueConstraint(
                fields=["enterprise", "visited_on"], name="service_visit_one_per_firm_and_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise.name} {self.visited_on:%Y-%m-%d}"

    def clean(self) -> None:
        if self.visited_on and self.visited_on > timezone.localdate():
            raise ValidationError({"visited_on": _("A visit cannot be dated in the future.")})


def overdue_condition(day: dt.date) -> Q:
    """Past the due date before `day` (for a request still pending); without a due date,
    past the usual time limit (working days on the official calendar)."""
    return Q(due_on__lt=day) | Q(
        due_on__isnull=True, registered_on__lt=service_request_overdue_cutoff(day)
    )


class ServiceRequestQuerySet(models.QuerySet):
    def collected_ytd(self, day: dt.date) -> "ServiceRequestQuerySet":
        """Requests registered from 1 January of `day`'s year up to and including `day`."""
        return self.filter(registered_on__gte=year_start(day), registered_on__lte=day)

    def requests_collected_ytd(self, day: dt.date) -> int:
        """DESIGN §5 requests_collected_ytd: requests registered in the year up to `day`."""
        return self.collected_ytd(day).count()

    def requests_resolved_ytd(self, day: dt.date) -> int:
        """DESIGN §5 requests_resolved_ytd: of those collected in the year, resolved by `day`."""
        return self.collected_ytd(day).filter(resolved_on__lte=day).count()

    def satisfaction_ytd(self, day: dt.date) -> dict[str, Any]:
        """Ratings of resolutions given from 1 January of `day`'s year up to `day`: how many
        (satisfaction_ratings_ytd) and their average, two decimals, None when there are none
        (satisfaction_average_ytd). One query."""
        figures = self.filter(
            rated_on__gte=year_start(day), rated_on__lte=day, satisfaction__isnull=False
        ).aggregate(count=models.Count("pk"), average=models.Avg("satisfaction"))
        average = figures["average"]
        return {
            "satisfaction_ratings_ytd": figures["count"],
            "satisfaction_average_ytd": None if average is None else round(float(average), 2),
        }

    def pending(self) -> "ServiceRequestQuerySet":
        """Requests still being handled (open or forwarded)."""
        return self.filter(status__in=ServiceRequest.PENDING_STATUSES)

    def overdue_on(self, day: dt.date) -> "ServiceRequestQuerySet":
        """Requests still being handled whose due date passed before `day`."""
        return self.pending().filter(overdue_condition(day))


class ServiceRequest(InStateSince):
    """A problem a firm raised (诉求): at a visit, by phone, or from the portal."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        FORWARDED = "forwarded", _("Forwarded")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed without resolution")

    class Handling(models.TextChoices):
        ON_SITE = "on_site", _("Answered on site")
        FORWARDED = "forwarded", _("Forwarded to a department")
        COORDINATED = "coordinated", _("Coordinated within the district")

    PENDING_STATUSES = (Status.OPEN, Status.FORWARDED)

    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="service_requests", verbose_name=_("enterprise")
    )
    visit = models.ForeignKey(
        ServiceVisit,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("collected at visit"),
    )
    registered_on = models.DateField(_("date registered"), db_index=True)
    category = models.ForeignKey(
        RequestCategory, models.PROTECT, related_name="requests", verbose_name=_("category")
    )
    description = models.CharField(_("description"), max_length=DESCRIPTION_MAX_LENGTH)
    handling = models.CharField(_("handling"), max_length=20, choices=Handling.choices, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    department = models.ForeignKey(
        Department,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("department"),
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="handled_service_requests",
        verbose_name=_("handler"),
        help_text=_("The bureau staff member following the request up."),
    )
    # Set by the services; ledger rows that predate the portal carry none, and for them the
    # usual time limit applies (see effective_due_on).
    due_on = models.DateField(_("due date"), null=True, blank=True, db_index=True)
    resolved_on = models.DateField(_("resolution date"), null=True, blank=True, db_index=True)
    resolution_note = models.TextField(_("resolution"), blank=True)
    closed_reason = models.TextField(_("reason for closing"), blank=True)
    # The firm's rating of the resolution (满意度), once per resolution: reopening clears it
    # (the status-change record keeps what it was).
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("The enterprise's rating of the resolution, 1 (poor) to 5 (very good)."),
    )
    satisfaction_comment = models.TextField(_("comment on the resolution"), blank=True)
    rated_on = models.DateField(_("date rated"), null=True, blank=True, db_index=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["status_since"])

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-registered_on", "-pk"]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        indexes = [
            models.Index(fields=["status", "due_on"], name="service_request_status_due"),
            # The work queue's order (oldest in its state first) over the requests in hand,
            # per state (the queue reads each state's first rows and merges them).
            QueueOrderIndex(
                F("status"),
                F("status_since").asc(nulls_first=True),
                F("id"),
                condition=Q(status__in=["open", "forwarded"]),
                include=["handler"],
                name="service_request_queue_order",
            ),
            # The desk's age table: pending requests by department, age and lateness, read
            # from the index alone.
            models.Index(
                fields=["department"],
                include=["registered_on", "due_on"],
                condition=Q(status__in=["open", "forwarded"]),
                name="service_request_pending_age",
            ),
            # The desk's satisfaction: the count and average of the ratings read from the
            # index alone, and the latest ones in its order.
            models.Index(
                F("rated_on").desc(),
                F("id").desc(),
                condition=Q(satisfaction__isnull=False),
                include=["satisfaction"],
                name="service_request_rated",
            ),
        ]
        constraints = [
            # The ledger's natural key; it also stops the same request being raised twice.
            models.UniqueConstraint(
                fields=["enterprise", "registered_on", "description"],
                name="service_request_natural_key",
            ),
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True)
                | Q(resolved_on__gte=models.F("registered_on")),
                name="service_request_resolved_after_registered",
            ),
            models.CheckConstraint(
                condition=(Q(status="resolved") & Q(resolved_on__isnull=False))
                | (~Q(status="resolved") & Q(resolved_on__isnull=True)),
                name="service_request_resolution_date_iff_resolved",
            ),
            # Forwarded means handled by a department; an open request has not been yet.
            models.CheckConstraint(
                condition=~Q(status="forwarded") | Q(handling="forwarded"),
                name="service_request_forwarded_handling",
            ),
            models.CheckConstraint(
                condition=~Q(status="open") | ~Q(handling="forwarded"),
                name="service_request_open_not_forwarded",
            ),
            models.CheckConstraint(
                condition=Q(due_on__isnull=True) | Q(due_on__gte=models.F("registered_on")),
                name="service_request_due_after_registered",
            ),
            # A rating is of a resolution: 1 to 5, dated, and only on a resolved request.
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True, rated_on__isnull=True)
                | Q(
                    satisfaction__gte=1,
                    satisfaction__lte=5,
                    rated_on__isnull=False,
                    status="resolved",
                ),
                name="service_request_satisfaction_1_to_5_when_resolved",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.enterprise.name}：{self.description[:30]}"

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if self.registered_on and self.registered_on > timezone.localdate():
            errors["registered_on"] = [_("A request cannot be registered in the future.")]
        if self.resolved_on and self.registered_on and self.resolved_on < self.registered_on:
            errors["resolved_on"] = [
                _("The resolution date cannot be before the registration date.")
            ]
        if self.due_on and self.registered_on and self.due_on < self.registered_on:
            errors["due_on"] = [_("The due date cannot be before the registration date.")]
        if self.visit_id and self.enterprise_id and self.visit.enterprise_id != self.enterprise_id:
            errors["visit"] = [_("The visit was to another enterprise.")]
        if errors:
            raise ValidationError(errors)

    @property
    def is_pending(self) -> bool:
        return self.status in self.PENDING_STATUSES

    @property
    def effective_due_on(self) -> dt.date:
        """The due date, or the usual time limit for a ledger row that has none."""
        return self.due_on or service_request_due_on(self.registered_on)

    def is_overdue_on(self, day: dt.date) -> bool:
        return self.is_pending and self.effective_due_on < day

    def age_on(self, day: dt.date) -> int:
        """Days since registration."""
        return (day - self.registered_on).days


class ServiceRequestStatusChange(StatusChange):
    """One step of a request's workflow, or a reply that leaves the status as it was.

    The enterprise sees these notes as the bureau's replies.
    """

    service_request = models.ForeignKey(
        ServiceRequest,
        models.CASCADE,
        related_name="status_changes",
        verbose_name=_("service request"),
    )
    from_status = models.CharField(
        _("from"), max_length=30, choices=ServiceRequest.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=30, choices=ServiceRequest.Status.choices)
    history = HistoricalRecords()

    class Meta(StatusChange.Meta):
        verbose_name = _("service request status change")
        verbose_name_plural = _("service request status changes")


class ServiceRequestAttachment(models.Model):
    """A file the enterprise (or the desk) added to a request; private, served only to the
    enterprise's users and the desk's staff."""

    service_request = models.ForeignKey(
        ServiceRequest,
        models.CASCADE,
        related_name="attachments",
        verbose_name=_("service request"),
    )
    file = models.FileField(_("file"), upload_to=private_upload_to("service_requests"))
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
        verbose_name = _("service request file")
        verbose_name_plural = _("service request files")

    def __str__(self) -> str:
        return self.original_name


class OverdueDigest(models.Model):
    """The daily email to one handler listing their overdue requests.

    The row is claimed (inserted) before the email is sent; the unique key makes a second
    run on the same day find it and send nothing.
    """

    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="+", verbose_name=_("handler")
    )
    day = models.DateField(_("day"))
    request_count = models.PositiveIntegerField(_("overdue requests"), default=0)
    claimed_at = models.DateTimeField(_("claimed at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("overdue digest")
        verbose_name_plural = _("overdue digests")
        constraints = [
            models.UniqueConstraint(fields=["handler", "day"], name="overdue_digest_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.handler} {self.day:%Y-%m-%d}"


class ProjectRecommendation(InStateSince):
    """A firm's project put forward by the bureau for a national or municipal programme."""

    class Level(models.TextChoices):
        NATIONAL = "national", _("National")
        MUNICIPAL = "municipal", _("Municipal")
        DISTRICT = "district", _("District")

    class Status(models.TextChoices):
        PREPARING = "preparing", _("Preparing")
        RECOMMENDED = "recommended", _("Recommended")
        FUNDED = "funded", _("Funded")
        NOT_FUNDED = "not_funded", _("Not funded")

    enterprise = models.ForeignKey(
        Enterprise,
        models.PROTECT,
        related_name="project_recommendations",
        verbose_name=_("enterprise"),
    )
    programme = models.CharField(
        _("programme"),
        max_length=100,
        help_text=_("Such as the national key R&D programme."),
    )
    level = models.CharField(_("programme level"), max_length=10, choices=Level.choices)
    title = models.CharField(_("project title"), max_length=200)
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)], db_index=True
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=Status.choices,
        default=Status.PREPARING,
        db_index=True,
    )
    recommended_on = models.DateField(_("recommendation date"), null=True, blank=True)
    decided_on = models.DateField(_("decision date"), null=True, blank=True)
    funding_amount = models.DecimalField(
        _("funding amount (yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["status_since"])

    class Meta:
        ordering = ["-year", "enterprise"]
        verbose_name = _("research project recommendation")
        verbose_name_plural = _("research project recommendations")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "programme", "year", "title"],
                name="project_recommendation_once_per_programme_year",
            ),
            models.CheckConstraint(
                condition=(Q(status="funded") & Q(funding_amount__gt=0))
                | (~Q(status="funded") & Q(funding_amount__isnull=True)),
                name="project_recommendation_funding_iff_funded",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True)
                | Q(recommended_on__isnull=False, decided_on__gte=models.F("recommended_on")),
                name="project_recommendation_decided_after_recommended",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.programme} {self.year}）"

    def clean(self) -> None:
        if self.decided_on and self.recommended_on and self.decided_on < self.recommended_on:
            raise ValidationError(
                {"decided_on": _("The decision date cannot be before the recommendation date.")}
            )


class ProjectRecommendationStatusChange(StatusChange):
    """One step of a recommendation's workflow: who, when, from, to, note."""

    recommendation = models.ForeignKey(
        ProjectRecommendation,
        models.CASCADE,
        related_name="status_changes",
        verbose_name=_("project recommendation"),
    )
    from_status = models.CharField(
        _("from"), max_length=30, choices=ProjectRecommendation.Status.choices, blank=True
    )
    to_status = models.CharField(
        _("to"), max_length=30, choices=ProjectRecommendation.Status.choices
    )
    history = HistoricalRecords()

    class Meta(StatusChange.Meta):
        verbose_name = _("project recommendation status change")
        verbose_name_plural = _("project recommendation status changes")
