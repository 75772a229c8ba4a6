"""Reads of carriers: who may see which carrier, and the indicators of carriers on a date.

Indicators are computed for any number of carriers and dates in two queries (one over
tenancies, one over activities), with conditional aggregates per date, so a page's query
count does not grow with carriers, tenants or the months of a trend.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.http import Http404

from common.lib.dates import month_bounds
from enterprises.models import (
    AnnualFigures,
    Enterprise,
    HighTechCertificate,
    TechFirmRegistration,
)
from incubators.models import (
    Activity,
    CompetitionEntry,
    Incubator,
    IncubatorKind,
    Indicator,
    Level,
    ReadinessThreshold,
    Tenancy,
    resident_q,
)

if TYPE_CHECKING:
    from common.types import AnyUser

THOUSAND = Decimal(1000)


# --- Who sees what -------------------------------------------------------------------------


def _operated_incubator_id(user: AnyUser) -> int | None:
    """The carrier this user operates (an approved link), or None for anyone else."""
    if (
        user.is_authenticated
        and user.organisation_kind == "incubator"
        and user.link_status == "approved"
    ):
        return user.incubator_id
    return None


def incubator_for_user(*, user: AnyUser) -> Incubator:
    """The carrier this operator works for (approved link); otherwise 404."""
    incubator_id = _operated_incubator_id(user)
    if incubator_id is None:
        raise Http404
    return Incubator.objects.select_related("street", "operator").get(pk=incubator_id)


def incubator_get_for_user(*, user: AnyUser, pk: int, permission: str | None = None) -> Incubator:
    """One carrier by id: staff may read any, an operator only its own; else 404.

    With `permission` (such as "incubators.add_tenancy") the user means to write, which
    only the carrier's own operator and bureau users holding that permission may do: one
    who may read the carrier but not write gets PermissionDenied (403).
    """
    if user.is_staff and user.is_active:
        incubator = Incubator.objects.select_related("street", "operator").filter(pk=pk).first()
        if incubator is None:
            raise Http404
    elif _operated_incubator_id(user) != pk:
        raise Http404
    else:
        incubator = incubator_for_user(user=user)
    if permission is not None:
        incubator_check_may_write(user=user, incubator=incubator, permission=permission)
    return incubator


def incubator_may_write(*, user: AnyUser, incubator: Incubator | None, permission: str) -> bool:
    """Whether `user` may make the write `permission` names for `incubator`'s records.

    A carrier's own operator writes its tenants, activities and entrants by that relation;
    bureau users write only where their role holds the permission (finance views only). A
    bureau activity (no carrier) is written by permission alone.
    """
    operated = _operated_incubator_id(user)
    if incubator is not None and operated is not None:
        return operated == incubator.pk
    return user.is_staff and user.is_active and user.has_perm(permission)


def incubator_check_may_write(
    *, user: AnyUser, incubator: Incubator | None, permission: str
) -> None:
    """Raise PermissionDenied unless `user` may make this write (see incubator_may_write)."""
    if not incubator_may_write(user=user, incubator=incubator, permission=permission):
        raise PermissionDenied


# The desk's writes and the permission a bureau user needs for each.
DESK_WRITES = {
    "add_tenant": "incubators.add_tenancy",
    "move_out": "incubators.change_tenancy",
    "add_activity": "incubators.add_activity",
    "add_entry": "incubators.add_competitionentry",
}


def desk_writes_for_user(*, user: AnyUser, incubator: Incubator) -> dict[str, bool]:
    """Which of the desk's writes `user` may make, for showing only the usable buttons."""
    return {
        name: incubator_may_write(user=user, incubator=incubator, permission=permission)
        for name, permission in DESK_WRITES.items()
    }


def tenancies_for_incubator(*, incubator: Incubator) -> QuerySet[Tenancy]:
    """The carrier's tenancies, current ones first, with enterprise and site (one query)."""
    return incubator.tenancies.select_related("enterprise", "site").order_by(
        "moved_out_on", "-moved_in_on", "enterprise__name"
    )


def tenancy_get_for_incubator(*, incubator: Incubator, pk: int) -> Tenancy:
    """One tenancy of this carrier (already checked for the user); another's is 404."""
    tenancy = (
        Tenancy.objects.select_related("enterprise", "site")
        .filter(incubator=incubator, pk=pk)
        .first()
    )
    if tenancy is None:
        raise Http404
    tenancy.incubator = incubator
    return tenancy


def activity_get_for_incubator(*, incubator: Incubator, pk: int) -> Activity:
    """One activity this carrier organised (already checked for the user); else 404."""
    activity = Activity.objects.filter(organiser=incubator, pk=pk).first()
    if activity is None:
        raise Http404
    activity.organiser = incubator
    return activity


def entries_for_activity(*, activity: Activity) -> QuerySet[CompetitionEntry]:
    """A competition's entrants, award winners by rank first, with their enterprises."""
    return activity.entries.select_related("enterprise").order_by(
        F("rank").asc(nulls_last=True), "-finalist", "enterprise__name"
    )


def activities_for_incubator(*, incubator: Incubator) -> QuerySet[Activity]:
    """The carrier's activities, latest first, each with its number of entrants."""
    return incubator.activities.annotate(entry_count=Count("entries")).order_by("-held_on", "title")


# --- Indicators ----------------------------------------------------------------------------


@dataclass
class CarrierIndicators:
    """One carrier's indicators on one day (DESIGN §5 counting rules)."""

    day: dt.date
    area: Decimal
    workstations: int | None = None
    tenants: int = 0
    registered_tenants: int = 0
    high_tech_tenants: int = 0
    patent_tenants: int = 0
    graduates: int = 0
    new_tenants_year: int = 0
    activities_year: int = 0

    @property
    def tenants_per_1000(self) -> Decimal:
        if not self.area:
            return Decimal(0)
        return (Decimal(self.tenants) * THOUSAND / self.area).quantize(Decimal("0.01"))

    @property
    def patent_share(self) -> Decimal:
        """Percentage of resident tenants with patents (invention or utility model)."""
        if not self.tenants:
            return Decimal(0)
        return (Decimal(self.patent_tenants) * 100 / self.tenants).quantize(Decimal("0.1"))

    def value(self, indicator: str) -> Decimal:
        """The value of a readiness indicator (Indicator choices)."""
        value = getattr(self, indicator)
        return Decimal(0) if value is None else Decimal(value)


def _tenancy_aggregates(days: Sequence[dt.date]) -> dict[str, Any]:
    """Conditional aggregates over tenancies, suffixed with the index of each day."""
    aggregates: dict[str, Any] = {}
    for i, day in enumerate(days):
        resident = resident_q(day)
        registered = Exists(
            TechFirmRegistration.objects.registered_on(day).filter(
                enterprise=OuterRef("enterprise_id")
            )
        )
        high_tech = Exists(
            HighTechCertificate.objects.valid_on(day).filter(enterprise=OuterRef("enterprise_id"))
        )
        patents = Exists(
            AnnualFigures.objects.filter(
                enterprise=OuterRef("enterprise_id"), year__lte=day.year
            ).filter(Q(invention_patents__gt=0) | Q(utility_models__gt=0))
        )
        year_start = dt.date(day.year, 1, 1)
        distinct = {"distinct": True}
        aggregates |= {
            f"tenants_{i}": Count("enterprise_id", filter=resident, **distinct),
            f"registered_{i}": Count("enterprise_id", filter=resident & Q(registered), **distinct),
            f"high_tech_{i}": Count("enterprise_id", filter=resident & Q(high_tech), **distinct),
            f"patents_{i}": Count("enterprise_id", filter=resident & Q(patents), **distinct),
            f"graduates_{i}": Count(
                "enterprise_id", filter=Q(graduated=True, moved_out_on__lte=day), **distinct
            ),
            f"new_{i}": Count(
                "enterprise_id",
                filter=Q(moved_in_on__gte=year_start, moved_in_on__lte=day),
                **distinct,
            ),
        }
    return aggregates


def indicators_on_days(
    *, incubators: Sequence[Incubator], days: Sequence[dt.date]
) -> dict[int, list[CarrierIndicators]]:
    """Each carrier's indicators on each of `days`, in two queries whatever the numbers."""
    ids = [incubator.pk for incubator in incubators]
    result = {
        incubator.pk: [
            CarrierIndicators(day=day, area=incubator.area, workstations=incubator.workstations)
            for day in days
        ]
        for incubator in incubators
    }
    if not ids or not days:
        return result
    # One column per day, named at run time: rows are plain mappings to the type checker.
    tenancy_rows: QuerySet[Tenancy, Mapping[str, Any]] = (
        Tenancy.objects.filter(incubator_id__in=ids)
        .values("incubator_id")
        .order_by()
        .annotate(**_tenancy_aggregates(days))
    )
    for row in tenancy_rows:
        for i, figures in enumerate(result[row["incubator_id"]]):
            figures.tenants = row[f"tenants_{i}"]
            figures.registered_tenants = row[f"registered_{i}"]
            figures.high_tech_tenants = row[f"high_tech_{i}"]
            figures.patent_tenants = row[f"patents_{i}"]
            figures.graduates = row[f"graduates_{i}"]
            figures.new_tenants_year = row[f"new_{i}"]
    activity_counts = {
        f"activities_{i}": Count(
            "pk", filter=Q(held_on__gte=dt.date(day.year, 1, 1), held_on__lte=day)
        )
        for i, day in enumerate(days)
    }
    activity_rows: QuerySet[Activity, Mapping[str, Any]] = (
        Activity.objects.filter(organiser_id__in=ids)
        .values("organiser_id")
        .order_by()
        .annotate(**activity_counts)
    )
    for row in activity_rows:
        for i, figures in enumerate(result[row["organiser_id"]]):
            figures.activities_year = row[f"activities_{i}"]
    return result


def indicators_on(*, incubators: Sequence[Incubator], day: dt.date) -> dict[int, CarrierIndicators]:
    """Each carrier's indicators on `day` (two queries)."""
    by_carrier = indicators_on_days(incubators=incubators, days=[day])
    return {pk: figures[0] for pk, figures in by_carrier.items()}


def month_ends(*, until: dt.date, months: int = 12) -> list[dt.date]:
    """The last day of each of the `months` months up to `until`'s month; the last is `until`."""
    days: list[dt.date] = []
    year, month = until.year, until.month
    for _ in range(months):
        days.append(min(month_bounds(year, month)[1], until))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(days))


def indicator_trend(
    *, incubator: Incubator, until: dt.date, months: int = 12
) -> list[CarrierIndicators]:
    """The carrier's indicators at each month end of the last `months` months (two queries)."""
    days = month_ends(until=until, months=months)
    return indicators_on_days(incubators=[incubator], days=days)[incubator.pk]


# --- Upgrade readiness ---------------------------------------------------------------------


@dataclass
class ReadinessRow:
    indicator: str
    label: str
    value: Decimal
    minimum: Decimal
    alternative: str
    met: bool


@dataclass
class Readiness:
    """How a carrier stands against the criteria of the next level it can reach."""

    current_level: Level | None
    target_level: Level | None
    rows: list[ReadinessRow] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """Every criterion met; of an alternative group, one member is enough."""
        if not self.rows:
            return False
        groups: dict[str, bool] = {}
        for row in self.rows:
            key = row.alternative or f"_{row.indicator}"
            groups[key] = groups.get(key, False) or row.met
        return all(groups.values())


def readiness_for(
    *, incubator: Incubator, indicators: CarrierIndicators, current_level: int | None
) -> Readiness:
    """Each indicator against the thresholds of the lowest level above the current one that
    has thresholds for this kind of carrier (one query)."""
    current = Level(current_level) if current_level else None
    thresholds = list(
        ReadinessThreshold.objects.filter(
            kind=incubator.kind, level__gt=current_level or 0
        ).order_by("level", "indicator")
    )
    if not thresholds:
        return Readiness(current_level=current, target_level=None)
    target = thresholds[0].level
    labels = dict(Indicator.choices)
    rows = []
    for threshold in thresholds:
        if threshold.level != target:
            break
        value = indicators.value(threshold.indicator)
        rows.append(
            ReadinessRow(
                indicator=threshold.indicator,
                label=str(labels.get(threshold.indicator, threshold.indicator)),
                value=value,
                minimum=threshold.minimum,
                alternative=threshold.alternative,
                met=value >= threshold.minimum,
            )
        )
    return Readiness(current_level=current, target_level=Level(target), rows=rows)


# --- District totals -----------------------------------------------------------------------


def carrier_totals_on(day: dt.date) -> dict[str, Any]:
    """The `incubators` block of the monthly summary on `day` (DESIGN §5), in three aggregate
    queries (carriers, residents, activities) whatever the row counts.

    A carrier counts once recognised on or before `day` and not revoked by then, under the
    highest level it holds on `day`; `area_m2` sums the carriers counted.

    `tenants` follows DESIGN §5 literally: the distinct enterprises resident on `day` (moved
    in on or before it, not moved out by it) in any carrier, whether or not that carrier is
    recognised on `day`; an enterprise in two carriers counts once. The rule names no
    recognition, and a carrier's tenants do not stop being incubated the day its
    recognition lapses. The two `tenant_*` figures count those residents that are registered
    tech firms / hold a valid high-tech certificate on `day`. Activities count all of them,
    the bureau's included (held in the month / in the year up to `day`).
    """
    levels = {level.key: Count("pk", filter=Q(level_on=level.value)) for level in Level}
    kinds = {kind.value: Count("pk", filter=Q(kind=kind.value)) for kind in IncubatorKind}
    carriers = (
        Incubator.objects.counted_on(day)
        .with_level_on(day)
        .aggregate(
            total=Count("pk"),
            area=Sum("area"),
            **{f"level_{key}": count for key, count in levels.items()},
            **{f"kind_{key}": count for key, count in kinds.items()},
        )
    )
    # Counted over enterprises, each once, rather than DISTINCT over tenancies; the `IN`
    # sets are hashed once by PostgreSQL instead of probed for every resident.
    registered = TechFirmRegistration.objects.registered_on(day).values("enterprise_id")
    high_tech = HighTechCertificate.objects.valid_on(day).values("enterprise_id")
    residents = Enterprise.objects.filter(
        pk__in=Tenancy.objects.resident_on(day).values("enterprise_id")
    ).aggregate(
        tenants=Count("pk"),
        registered=Count("pk", filter=Q(pk__in=registered)),
        high_tech=Count("pk", filter=Q(pk__in=high_tech)),
    )
    activities = Activity.objects.filter(
        held_on__gte=dt.date(day.year, 1, 1), held_on__lte=day
    ).aggregate(
        month=Count("pk", filter=Q(held_on__gte=day.replace(day=1))),
        ytd=Count("pk"),
    )
    return {
        "total": carriers["total"],
        "by_level": {key: carriers[f"level_{key}"] for key in levels},
        "by_kind": {key: carriers[f"kind_{key}"] for key in kinds},
        "area_m2": float(carriers["area"] or 0),
        "tenants": residents["tenants"],
        "tenant_registered_tech_firms": residents["registered"],
        "tenant_high_tech_firms": residents["high_tech"],
        "activities_month": activities["month"],
        "activities_ytd": activities["ytd"],
    }
