"""Innovation carriers (孵化载体): their sites, recognitions, tenants and activities.

The counting rules of DESIGN §5 live in the querysets here, so every figure uses the same
boundaries: recognised on D counts, moved in on D counts, moved out on D does not.

Rules that need a carrier's other rows (overlapping tenancies, a level going backwards) are
checked in `clean()` so that admin and desk forms show them at the field; the services lock
the carrier row before `full_clean()`, so two writers cannot both pass the check.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from enterprises.models import Enterprise, Street

AREA_DIGITS = {"max_digits": 12, "decimal_places": 2}


def today() -> dt.date:
    return timezone.localdate()


class IncubatorKind(models.TextChoices):
    MAKER_SPACE = "maker_space", _("Maker space")
    INCUBATOR = "incubator", _("Incubator")
    ACCELERATOR = "accelerator", _("Accelerator")
    INDUSTRIAL_PARK = "industrial_park", _("Industrial park")


class Level(models.IntegerChoices):
    """Recognition levels, ordered: a higher number is a higher level."""

    DISTRICT = 1, _("District level")
    MUNICIPAL = 2, _("Municipal level")
    NATIONAL = 3, _("National level")

    @property
    def key(self) -> str:
        """The key of this level in the monthly summary (district, municipal, national)."""
        return self.name.lower()


class RecognitionQuerySet(models.QuerySet):
    def held_on(self, day: dt.date) -> RecognitionQuerySet:
        """Recognised on or before `day` and not revoked by then (revoked on `day` is out)."""
        return self.filter(recognized_on__lte=day).filter(
            Q(revoked_on__isnull=True) | Q(revoked_on__gt=day)
        )


class IncubatorQuerySet(models.QuerySet):
    def counted_on(self, day: dt.date) -> IncubatorQuerySet:
        """Carriers holding at least one recognition on `day` (DESIGN §5)."""
        return self.filter(
            Exists(Recognition.objects.held_on(day).filter(incubator=OuterRef("pk")))
        )

    def with_level_on(self, day: dt.date) -> IncubatorQuerySet:
        """Annotate `level_on`: the highest level held on `day` (None when not recognised)."""
        highest = (
            Recognition.objects.held_on(day)
            .filter(incubator=OuterRef("pk"))
            .order_by("-level")
            .values("level")[:1]
        )
        return self.annotate(level_on=Subquery(highest))

    def holding_level_on(self, day: dt.date, level: int) -> IncubatorQuerySet:
        """Carriers whose highest level held on `day` is `level`."""
        return self.with_level_on(day).filter(level_on=level)


class Incubator(models.Model):
    """An innovation carrier: a maker space, incubator, accelerator or industrial park."""

    name = models.CharField(_("carrier name"), max_length=200, unique=True)
    kind = models.CharField(
        _("carrier kind"), max_length=20, choices=IncubatorKind.choices, db_index=True
    )
    operator = models.ForeignKey(
        Enterprise,
        models.PROTECT,
        related_name="operated_incubators",
        verbose_name=_("operating company"),
    )
    street = models.ForeignKey(
        Street, models.PROTECT, verbose_name=_("street or town"), null=True, blank=True
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    area = models.DecimalField(
        _("area (m²)"),
        **AREA_DIGITS,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("The whole area under the carrier's control, all sites together."),
    )
    workstations = models.PositiveIntegerField(
        _("workstations"), null=True, blank=True, help_text=_("Open workstations (maker spaces).")
    )
    opened_on = models.DateField(
        _("operating since"),
        null=True,
        blank=True,
        help_text=_(
            "The day the carrier began operating. No tenant moves in before it; when it is "
            "empty, the operating company's founding date is the limit."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    objects = IncubatorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("innovation carrier")
        verbose_name_plural = _("innovation carriers")
        constraints = [
            models.CheckConstraint(condition=Q(area__gt=0), name="incubator_area_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.name = (self.name or "").strip()
        if self.opened_on and self.opened_on > today():
            raise ValidationError({"opened_on": _("The opening date cannot be in the future.")})
        if self.pk and self.opened_on:
            first = self.tenancies.aggregate(first=models.Min("moved_in_on"))["first"]
            if first is not None and first < self.opened_on:
                raise ValidationError(
                    {
                        "opened_on": _(
                            "A tenant of this carrier moved in on %(date)s, before this date."
                        )
                        % {"date": f"{first:%Y-%m-%d}"}
                    }
                )
        if not self.pk or self.area is None:
            return
        figures = self.tenancies.aggregate(largest=models.Max("area"))
        sites = self.sites.aggregate(total=models.Sum("area"))["total"]
        if figures["largest"] is not None and figures["largest"] > self.area:
            message = _(
                "A tenant of this carrier rents %(area)s m²; the carrier's area cannot be smaller."
            ) % {"area": figures["largest"]}
        elif sites is not None and sites > self.area:
            message = _(
                "The sites together cannot be larger than the carrier's area (%(area)s m²)."
            ) % {"area": self.area}
        else:
            return
        raise ValidationError({"area": message})

    @property
    def existed_since(self) -> dt.date | None:
        """The first day the carrier existed: the day it began operating or, when that is
        not recorded, the day its operating company was founded (None when neither is)."""
        if self.opened_on:
            return self.opened_on
        return self.operator.founded_on if self.operator_id else None

    def level_on(self, day: dt.date) -> Level | None:
        """The highest level held on `day` (one query; use with_level_on() for lists)."""
        level = (
            self.recognitions.held_on(day).order_by("-level").values_list("level", flat=True)
        ).first()
        return Level(level) if level else None


class IncubatorSite(models.Model):
    """One site of a carrier (场地), such as an expansion building."""

    incubator = models.ForeignKey(
        Incubator, models.CASCADE, related_name="sites", verbose_name=_("carrier")
    )
    name = models.CharField(_("site name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    area = models.DecimalField(
        _("area (m²)"), **AREA_DIGITS, validators=[MinValueValidator(Decimal("0.01"))]
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["incubator", "name"]
        verbose_name = _("carrier site")
        verbose_name_plural = _("carrier sites")
        constraints = [
            models.UniqueConstraint(fields=["incubator", "name"], name="site_name_per_carrier"),
            models.CheckConstraint(condition=Q(area__gt=0), name="site_area_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.incubator.name} · {self.name}"

    def clean(self) -> None:
        if self.incubator_id is None or self.area is None:
            return
        others = (
            self.incubator.sites.exclude(pk=self.pk).aggregate(total=models.Sum("area"))["total"]
            or 0
        )
        if others + self.area > self.incubator.area:
            raise ValidationError(
                {
                    "area": _(
                        "The sites together cannot be larger than the carrier's area (%(area)s m²)."
                    )
                    % {"area": self.incubator.area}
                }
            )


def level_backwards_errors(
    recognitions: list[tuple[int, dt.date, dt.date | None]],
) -> list[tuple[int, int]]:
    """Pairs (i, j): recognition i is at a lower level than j, which it follows unrevoked.

    A carrier's level may only go down once the higher recognition is revoked: recognition
    i (level, recognized_on, revoked_on) is refused when another j, recognised on or before
    it and not revoked by its date, holds a higher level. Pure: used by clean() and imports.
    """
    problems = []
    for i, (level, day, _revoked) in enumerate(recognitions):
        for j, (other_level, other_day, other_revoked) in enumerate(recognitions):
            if (
                i != j
                and other_level > level
                and other_day <= day
                and (other_revoked is None or other_revoked > day)
            ):
                problems.append((i, j))
    return problems


class Recognition(models.Model):
    """A recognition of a carrier at a level (认定): the carrier's history of levels."""

    incubator = models.ForeignKey(
        Incubator, models.CASCADE, related_name="recognitions", verbose_name=_("carrier")
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, db_index=True)
    recognized_on = models.DateField(_("recognition date"), db_index=True)
    document_number = models.CharField(_("document number"), max_length=100, blank=True)
    revoked_on = models.DateField(_("revocation date"), null=True, blank=True)
    history = HistoricalRecords()

    objects = RecognitionQuerySet.as_manager()

    class Meta:
        ordering = ["incubator", "recognized_on", "level"]
        verbose_name = _("recognition")
        verbose_name_plural = _("recognitions")
        constraints = [
            models.UniqueConstraint(
                fields=["incubator", "level", "recognized_on"], name="recognition_once_per_day"
            ),
            models.CheckConstraint(
                condition=Q(revoked_on__isnull=True) | Q(revoked_on__gte=models.F("recognized_on")),
                name="recognition_revoked_after_recognized",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.recognized_on:%Y-%m-%d}"

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if self.recognized_on and self.recognized_on > today():
            errors["recognized_on"] = [_("The recognition date cannot be in the future.")]
        if self.revoked_on and self.recognized_on and self.revoked_on < self.recognized_on:
            errors["revoked_on"] = [_("The revocation date cannot be before the recognition date.")]
        if not errors and self.incubator_id and self.level and self.recognized_on:
            others = list(
                Recognition.objects.filter(incubator_id=self.incubator_id)
                .exclude(pk=self.pk)
                .values_list("level", "recognized_on", "revoked_on")
            )
            rows = [(self.level, self.recognized_on, self.revoked_on), *others]
            for i, j in level_backwards_errors(rows):
                if 0 in (i, j):
                    higher = rows[j] if i == 0 else rows[0]
                    errors["level"] = [
                        _(
                            "The carrier holds the higher %(level)s recognition of "
                            "%(date)s on that date: record its revocation before a lower "
                            "level."
                        )
                        % {"level": Level(higher[0]).label, "date": f"{higher[1]:%Y-%m-%d}"}
                    ]
                    break
        if errors:
            raise ValidationError(errors)


def rented_area_steps(
    spans: list[tuple[Decimal, dt.date, dt.date | None]],
) -> list[tuple[dt.date, Decimal]]:
    """(day, total) steps: from each day until the next, the spans' areas rented together.

    `spans` are (area, moved in, moved out) of tenancies, ranges half-open like residence.
    """
    changes: dict[dt.date, Decimal] = {}
    for area, moved_in, moved_out in spans:
        changes[moved_in] = changes.get(moved_in, Decimal(0)) + area
        if moved_out is not None:
            changes[moved_out] = changes.get(moved_out, Decimal(0)) - area
    steps, total = [], Decimal(0)
    for day in sorted(changes):
        total += changes[day]
        steps.append((day, total))
    return steps


def peak_in_steps(
    steps: list[tuple[dt.date, Decimal]], start: dt.date, end: dt.date | None
) -> tuple[Decimal, dt.date]:
    """The largest total of `steps` on a day of [start, end), and the first day it holds."""
    best, best_day = Decimal(0), start
    for day, total in steps:
        if day <= start:
            best = total  # the total in force on `start`
        elif end is not None and day >= end:
            break
        elif total > best:
            best, best_day = total, day
    return best, best_day


def peak_rented_area(
    spans: list[tuple[Decimal, dt.date, dt.date | None]], start: dt.date, end: dt.date | None
) -> tuple[Decimal, dt.date]:
    """The largest area rented together on one day of [start, end), and that day.

    Pure: used by Tenancy.clean() and, through the steps, by the tenancy import.
    """
    return peak_in_steps(rented_area_steps(spans), start, end)


def resident_q(day: dt.date) -> Q:
    """The "resident on D" rule as a condition, for filters and conditional aggregates."""
    return Q(moved_in_on__lte=day) & (Q(moved_out_on__isnull=True) | Q(moved_out_on__gt=day))


class TenancyQuerySet(models.QuerySet):
    def resident_on(self, day: dt.date) -> TenancyQuerySet:
        """Moved in on or before `day` and not moved out by then (moving out on `day` is out)."""
        return self.filter(resident_q(day))

    def graduated_by(self, day: dt.date) -> TenancyQuerySet:
        return self.filter(graduated=True, moved_out_on__lte=day)


class Tenancy(models.Model):
    """An enterprise resident in a carrier (在孵企业) over a date range, with its area."""

    incubator = models.ForeignKey(
        Incubator, models.PROTECT, related_name="tenancies", verbose_name=_("carrier")
    )
    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="tenancies", verbose_name=_("enterprise")
    )
    site = models.ForeignKey(
        IncubatorSite,
        models.PROTECT,
        related_name="tenancies",
        verbose_name=_("site"),
        null=True,
        blank=True,
    )
    area = models.DecimalField(
        _("rented area (m²)"), **AREA_DIGITS, validators=[MinValueValidator(Decimal("0.01"))]
    )
    moved_in_on = models.DateField(_("move-in date"), db_index=True)
    moved_out_on = models.DateField(_("move-out date"), null=True, blank=True, db_index=True)
    graduated = models.BooleanField(
        _("graduated"), default=False, help_text=_("Left the carrier as a graduate (毕业).")
    )
    history = HistoricalRecords()

    objects = TenancyQuerySet.as_manager()

    class Meta:
        ordering = ["incubator", "-moved_in_on"]
        verbose_name = _("tenancy")
        verbose_name_plural = _("tenancies")
        indexes = [
            # Who is resident in a carrier on a day, read from the index alone (the carrier
            # list's tenants today, per listed carrier).
            models.Index(
                fields=["incubator", "moved_in_on"],
                include=["moved_out_on", "enterprise"],
                name="tenancy_resident_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["incubator", "enterprise", "moved_in_on"], name="tenancy_once_per_day"
            ),
            models.CheckConstraint(
                condition=Q(moved_out_on__isnull=True)
                | Q(moved_out_on__gte=models.F("moved_in_on")),
                name="tenancy_moved_out_after_moved_in",
            ),
            models.CheckConstraint(
                condition=Q(graduated=False) | Q(moved_out_on__isnull=False),
                name="tenancy_graduate_has_moved_out",
            ),
            models.CheckConstraint(condition=Q(area__gt=0), name="tenancy_area_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise.name} @ {self.incubator.name}"

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if self.moved_out_on and self.moved_in_on and self.moved_out_on < self.moved_in_on:
            errors["moved_out_on"] = [_("The move-out date cannot be before the move-in date.")]
        if self.graduated and not self.moved_out_on:
            errors["moved_out_on"] = [_("A graduate needs its move-out date.")]
        if self.incubator_id and self.area is not None:
            incubator = self.incubator
            if self.area > incubator.area:
                errors["area"] = [
                    _("The rented area cannot be larger than the carrier's area (%(area)s m²).")
                    % {"area": incubator.area}
                ]
            elif self.site_id and self.area > self.site.area:
                errors["area"] = [
                    _("The rented area cannot be larger than the site's area (%(area)s m²).")
                    % {"area": self.site.area}
                ]
        if self.site_id and self.incubator_id and self.site.incubator_id != self.incubator_id:
            errors["site"] = [_("This site belongs to another carrier.")]
        if self.incubator_id and self.moved_in_on:
            existed = self.incubator.existed_since
            if existed is not None and self.moved_in_on < existed:
                errors["moved_in_on"] = [
                    _("The carrier did not exist before %(date)s: no tenant moves in earlier.")
                    % {"date": f"{existed:%Y-%m-%d}"}
                ]
        if not errors and self.incubator_id and self.enterprise_id and self.moved_in_on:
            errors |= self._residence_errors()
        if not errors and self.incubator_id and self.moved_in_on and self.area is not None:
            errors |= self._occupancy_errors()
        if errors:
            raise ValidationError(errors)

    def _residence_errors(self) -> dict[str, list]:
        """A firm is resident in one carrier at a time.

        The bureau does not allow dual residence: a tenancy is where the firm physically
        works, and counting it in two carriers would pay its rent subsidy twice and count
        it for two carriers' rewards and indicators.
        """
        overlapping = self.overlapping(anywhere=True).select_related("incubator").first()
        if overlapping is None:
            return {}
        dates = {
            "start": f"{overlapping.moved_in_on:%Y-%m-%d}",
            "end": (
                f"{overlapping.moved_out_on:%Y-%m-%d}" if overlapping.moved_out_on else _("now")
            ),
        }
        if overlapping.incubator_id == self.incubator_id:
            return {
                "moved_in_on": [
                    _(
                        "This enterprise already has a tenancy in this carrier from "
                        "%(start)s to %(end)s that overlaps these dates."
                    )
                    % dates
                ]
            }
        return {
            "enterprise": [
                _(
                    "This enterprise is resident in %(carrier)s from %(start)s to %(end)s, "
                    "which overlaps these dates: a firm is a tenant of one carrier at a time."
                )
                % {"carrier": overlapping.incubator.name, **dates}
            ]
        }

    def _occupancy_errors(self) -> dict[str, list]:
        """On no day do the carrier's residents (or a site's) rent more than its area."""
        others = Tenancy.objects.filter(incubator_id=self.incubator_id).exclude(pk=self.pk)
        others = others.filter(Q(moved_out_on__isnull=True) | Q(moved_out_on__gt=self.moved_in_on))
        if self.moved_out_on:
            others = others.filter(moved_in_on__lt=self.moved_out_on)
        rows = list(others.values_list("area", "moved_in_on", "moved_out_on", "site_id"))
        mine = (self.area, self.moved_in_on, self.moved_out_on)
        spans = [mine, *((area, start, end) for area, start, end, _site in rows)]
        total, day = peak_rented_area(spans, self.moved_in_on, self.moved_out_on)
        if total > self.incubator.area:
            message = _(
                "On %(date)s the carrier's tenants would rent %(total)s m² together, more "
                "than its area (%(area)s m²)."
            ) % {"date": f"{day:%Y-%m-%d}", "total": total, "area": self.incubator.area}
            return {"area": [message]}
        if self.site_id:
            site_spans = [mine, *((a, s, e) for a, s, e, site in rows if site == self.site_id)]
            total, day = peak_rented_area(site_spans, self.moved_in_on, self.moved_out_on)
            if total > self.site.area:
                message = _(
                    "On %(date)s the tenants of this site would rent %(total)s m² together, "
                    "more than its area (%(area)s m²)."
                ) % {"date": f"{day:%Y-%m-%d}", "total": total, "area": self.site.area}
                return {"area": [message]}
        return {}

    def overlapping(self, *, anywhere: bool = False) -> TenancyQuerySet:
        """This enterprise's other tenancies in this carrier (or, `anywhere`, in any carrier)
        that share a day with this one.

        Date ranges are half-open [moved in, moved out): moving out on D and back in on D
        does not overlap.
        """
        others = Tenancy.objects.filter(enterprise_id=self.enterprise_id).exclude(pk=self.pk)
        if not anywhere:
            others = others.filter(incubator_id=self.incubator_id)
        others = others.filter(Q(moved_out_on__isnull=True) | Q(moved_out_on__gt=self.moved_in_on))
        if self.moved_out_on:
            others = others.filter(moved_in_on__lt=self.moved_out_on)
        return others.order_by("moved_in_on")

    def is_resident_on(self, day: dt.date) -> bool:
        return self.moved_in_on <= day and (self.moved_out_on is None or self.moved_out_on > day)


class ActivityKind(models.TextChoices):
    TRAINING = "training", _("Training")
    ROADSHOW = "roadshow", _("Roadshow")
    EXCHANGE = "exchange", _("Exchange")
    COMPETITION = "competition", _("Competition")
    SCIENCE_POPULARISATION = "science_popularisation", _("Science popularisation")
    OTHER = "other", _("Other")


class ActivityQuerySet(models.QuerySet):
    def held_between(self, start: dt.date, end: dt.date) -> ActivityQuerySet:
        """Held on a day from `start` to `end`, both included."""
        return self.filter(held_on__gte=start, held_on__lte=end)


class Activity(models.Model):
    """An event (双创活动, 大赛, 科普) held by a carrier, or by the bureau when none is named."""

    kind = models.CharField(_("activity kind"), max_length=30, choices=ActivityKind.choices)
    title = models.CharField(_("title"), max_length=200)
    held_on = models.DateField(_("date held"), db_index=True)
    organiser = models.ForeignKey(
        Incubator,
        models.PROTECT,
        related_name="activities",
        verbose_name=_("organising carrier"),
        null=True,
        blank=True,
        help_text=_("Leave empty for an activity organised by the bureau."),
    )
    participants = models.PositiveIntegerField(_("participants"), default=0)
    description = models.TextField(_("activity summary"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    history = HistoricalRecords()

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "title"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.title}"

    @property
    def organiser_name(self) -> str:
        return self.organiser.name if self.organiser_id else str(_("The bureau"))


class CompetitionEntry(models.Model):
    """An enterprise entered in a competition: finalist or not, and its award with rank."""

    activity = models.ForeignKey(
        Activity, models.CASCADE, related_name="entries", verbose_name=_("competition")
    )
    enterprise = models.ForeignKey(
        Enterprise, models.PROTECT, related_name="competition_entries", verbose_name=_("entrant")
    )
    finalist = models.BooleanField(_("finalist"), default=False)
    award = models.CharField(_("award"), max_length=100, blank=True)
    rank = models.PositiveSmallIntegerField(
        _("award rank"), null=True, blank=True, help_text=_("1 for the first prize, and so on.")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["activity", "rank", "enterprise"]
        verbose_name = _("competition entry")
        verbose_name_plural = _("competition entries")
        constraints = [
            models.UniqueConstraint(fields=["activity", "enterprise"], name="entry_once"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise.name} · {self.activity.title}"

    def clean(self) -> None:
        errors: dict[str, list] = {}
        if self.activity_id and self.activity.kind != ActivityKind.COMPETITION:
            errors["activity"] = [_("Only a competition has entrants.")]
        if (self.award or self.rank) and not self.finalist:
            errors["finalist"] = [_("An award goes to a finalist.")]
        if self.rank and not self.award:
            errors["award"] = [_("Name the award that has this rank.")]
        if not errors and self.activity_id and self.enterprise_id:
            errors |= self._residence_errors()
        if errors:
            raise ValidationError(errors)

    def _residence_errors(self) -> dict[str, list]:
        """A carrier enters its own tenants and firms incubated nowhere, never a firm that
        is resident in another carrier on the day held (that carrier's firm is its to
        enter, or the bureau's in a district competition). Bureau competitions are open."""
        activity = self.activity
        if activity.organiser_id is None:
            return {}
        elsewhere = (
            Tenancy.objects.resident_on(activity.held_on)
            .filter(enterprise_id=self.enterprise_id)
            .exclude(incubator_id=activity.organiser_id)
            .select_related("incubator")
            .first()
        )
        if elsewhere is None:
            return {}
        return {
            "enterprise": [
                _(
                    "On %(date)s this enterprise is a tenant of %(carrier)s, not of the "
                    "organising carrier: only that carrier or the bureau may enter it."
                )
                % {"date": f"{activity.held_on:%Y-%m-%d}", "carrier": elsewhere.incubator.name}
            ]
        }


class Indicator(models.TextChoices):
    """Carrier indicators that readiness thresholds can name."""

    AREA = "area", _("Area (m²)")
    WORKSTATIONS = "workstations", _("Workstations")
    TENANTS = "tenants", _("Tenants")
    TENANTS_PER_1000 = "tenants_per_1000", _("Tenants per 1,000 m²")
    GRADUATES = "graduates", _("Graduates to date")
    PATENT_SHARE = "patent_share", _("Share of tenants with patents (%)")
    NEW_TENANTS_YEAR = "new_tenants_year", _("Teams or firms moved in this year")
    ACTIVITIES_YEAR = "activities_year", _("Activities this year")


class ReadinessThreshold(models.Model):
    """One criterion for a kind of carrier to be recognised at a level; editable data.

    Thresholds of the same kind and level that share an `alternative` group are met when any
    one of them is (a maker space needs 500 m² *or* 30 workstations).
    """

    kind = models.CharField(_("carrier kind"), max_length=20, choices=IncubatorKind.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    indicator = models.CharField(_("indicator"), max_length=30, choices=Indicator.choices)
    minimum = models.DecimalField(_("minimum"), max_digits=12, decimal_places=2)
    alternative = models.CharField(
        _("alternative group"),
        max_length=30,
        blank=True,
        help_text=_("Thresholds sharing a group are met when any one of them is met."),
    )
    source = models.CharField(_("source"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "level", "indicator"]
        verbose_name = _("readiness threshold")
        verbose_name_plural = _("readiness thresholds")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "level", "indicator"], name="threshold_once_per_indicator"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} {self.get_level_display()}: "
            f"{self.get_indicator_display()} ≥ {self.minimum}"
        )
