"""Every write to carriers, their recognitions, tenancies and activities.

Each service is atomic, locks the carrier row it changes (so that two writers cannot both
pass a rule across rows, such as "no overlapping tenancies"), validates with full_clean()
and records the acting user in the audit trail through common.audit.save_with_audit.

The desk's writes (tenants in and out, activities, entrants) check that the acting user
may make them: the carrier's own operator, or a bureau user whose role holds the
permission (selectors.incubator_may_write). A tenancy also locks its enterprise, since
the rule "resident in one carrier at a time" spans carriers.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from common.audit import save_with_audit
from common.lib import uscc as uscc_lib
from enterprises.models import Enterprise, uscc_error_message
from enterprises.services import enterprise_get_or_create_pending
from incubators.models import (
    Activity,
    CompetitionEntry,
    Incubator,
    IncubatorSite,
    ReadinessThreshold,
    Recognition,
    Tenancy,
)
from incubators.selectors import incubator_check_may_write

if TYPE_CHECKING:
    from common.types import User

INCUBATOR_FIELDS = (
    "name",
    "kind",
    "operator",
    "street",
    "address",
    "area",
    "workstations",
    "opened_on",
)


def _lock(incubator_id: int) -> Incubator:
    return Incubator.objects.select_for_update().get(pk=incubator_id)


def _lock_enterprise(enterprise_id: int) -> Enterprise:
    """Lock the enterprise, so that two carriers cannot both take it in at the same time."""
    return Enterprise.objects.select_for_update().get(pk=enterprise_id)


@transaction.atomic
def incubator_create(
    *,
    acting_user: User,
    name: str,
    kind: str,
    operator: Enterprise,
    area: Decimal,
    **fields: Any,
) -> Incubator:
    """Add a carrier. It counts in the statistics once it holds a recognition."""
    unknown = set(fields) - set(INCUBATOR_FIELDS)
    if unknown:
        raise ValueError(f"Not carrier fields: {sorted(unknown)}")
    incubator = Incubator(name=name, kind=kind, operator=operator, area=area, **fields)
    save_with_audit(incubator, acting_user=acting_user, reason="created")
    return incubator


@transaction.atomic
def incubator_update(*, incubator: Incubator, acting_user: User, **fields: Any) -> Incubator:
    """Change a carrier's fields; its area may not drop below a tenant's rented area."""
    unknown = set(fields) - set(INCUBATOR_FIELDS)
    if unknown:
        raise ValueError(f"Not carrier fields: {sorted(unknown)}")
    record = _lock(incubator.pk)
    for name, value in fields.items():
        setattr(record, name, value)
    save_with_audit(record, acting_user=acting_user, reason="updated")
    return record


@transaction.atomic
def incubator_save(*, incubator: Incubator, acting_user: User) -> Incubator:
    """Save a carrier edited as a whole (admin form), locking it when it exists."""
    if incubator.pk:
        _lock(incubator.pk)
    save_with_audit(incubator, acting_user=acting_user, reason="saved")
    return incubator


@transaction.atomic
def site_save(*, site: IncubatorSite, acting_user: User) -> IncubatorSite:
    """Create or change a site; all sites together stay within the carrier's area."""
    site.incubator = _lock(site.incubator_id)
    save_with_audit(site, acting_user=acting_user, reason="site saved")
    return site


@transaction.atomic
def recognition_add(
    *,
    incubator: Incubator,
    level: int,
    recognized_on: dt.date,
    acting_user: User,
    document_number: str = "",
) -> Recognition:
    """Record a recognition. Refused when dated in the future, or when the carrier holds a
    higher level on that date that has not been revoked (levels only go down by revocation).
    """
    locked = _lock(incubator.pk)
    recognition = Recognition(
        incubator=locked,
        level=level,
        recognized_on=recognized_on,
        document_number=document_number.strip(),
    )
    save_with_audit(recognition, acting_user=acting_user, reason="recognised")
    return recognition


@transaction.atomic
def recognition_save(*, recognition: Recognition, acting_user: User) -> Recognition:
    """Create or change a recognition edited as a whole (admin inline), with the same rules."""
    recognition.incubator = _lock(recognition.incubator_id)
    save_with_audit(recognition, acting_user=acting_user, reason="recognition saved")
    return recognition


@transaction.atomic
def recognition_revoke(
    *, recognition: Recognition, revoked_on: dt.date, acting_user: User
) -> Recognition:
    """Record that a recognition is revoked from `revoked_on` (it no longer counts that day)."""
    _lock(recognition.incubator_id)
    record = Recognition.objects.select_for_update().get(pk=recognition.pk)
    record.revoked_on = revoked_on
    save_with_audit(record, acting_user=acting_user, reason="revoked")
    return record


@transaction.atomic
def tenancy_add(
    *,
    incubator: Incubator,
    enterprise: Enterprise,
    moved_in_on: dt.date,
    area: Decimal,
    acting_user: User,
    site: IncubatorSite | None = None,
) -> Tenancy:
    """Record that an enterprise moved into a carrier.

    Refused (PermissionDenied) unless `acting_user` may add the carrier's tenants; refused
    (ValidationError) when the enterprise is resident anywhere on these dates, when it moves
    in before the carrier existed, or when the carrier's (or site's) residents would rent
    more than its area on some day of the tenancy.
    """
    locked = _lock(incubator.pk)
    incubator_check_may_write(
        user=acting_user, incubator=locked, permission="incubators.add_tenancy"
    )
    enterprise = _lock_enterprise(enterprise.pk)
    tenancy = Tenancy(
        incubator=locked, enterprise=enterprise, site=site, area=area, moved_in_on=moved_in_on
    )
    save_with_audit(tenancy, acting_user=acting_user, reason="moved in")
    return tenancy


@transaction.atomic
def tenancy_add_by_uscc(
    *,
    incubator: Incubator,
    uscc: str,
    name: str,
    moved_in_on: dt.date,
    area: Decimal,
    acting_user: User,
    site: IncubatorSite | None = None,
) -> tuple[Tenancy, bool]:
    """Add a tenant by its code, as an operator does; True when the enterprise is new.

    Side effects: an unknown (valid) code creates a pending enterprise for staff to complete
    (enterprises.services.enterprise_get_or_create_pending); both writes roll back together
    when the tenancy is refused.
    """
    try:
        code = uscc_lib.validate(uscc)
    except uscc_lib.USCCError as exc:
        raise ValidationError({"uscc": uscc_error_message(exc)}) from None
    enterprise, created = enterprise_get_or_create_pending(
        uscc=code, name=name, acting_user=acting_user
    )
    tenancy = tenancy_add(
        incubator=incubator,
        enterprise=enterprise,
        moved_in_on=moved_in_on,
        area=area,
        site=site,
        acting_user=acting_user,
    )
    return tenancy, created


@transaction.atomic
def tenancy_move_out(
    *, tenancy: Tenancy, moved_out_on: dt.date, acting_user: User, graduated: bool = False
) -> Tenancy:
    """Record a move-out (and whether the tenant graduated). It is no longer resident that day.

    Refused (PermissionDenied) unless `acting_user` may change the carrier's tenancies.
    """
    locked = _lock(tenancy.incubator_id)
    incubator_check_may_write(
        user=acting_user, incubator=locked, permission="incubators.change_tenancy"
    )
    record = Tenancy.objects.select_for_update().get(pk=tenancy.pk)
    record.moved_out_on = moved_out_on
    record.graduated = graduated
    save_with_audit(
        record, acting_user=acting_user, reason="graduated" if graduated else "moved out"
    )
    return record


@transaction.atomic
def tenancy_save(*, tenancy: Tenancy, acting_user: User) -> Tenancy:
    """Create or change a tenancy edited as a whole (admin inline), with the same rules."""
    tenancy.incubator = _lock(tenancy.incubator_id)
    tenancy.enterprise = _lock_enterprise(tenancy.enterprise_id)
    save_with_audit(tenancy, acting_user=acting_user, reason="tenancy saved")
    return tenancy


@transaction.atomic
def activity_record(
    *,
    organiser: Incubator | None,
    kind: str,
    title: str,
    held_on: dt.date,
    acting_user: User,
    participants: int = 0,
    description: str = "",
) -> Activity:
    """Record an activity held by a carrier, or by the bureau when `organiser` is None.

    Refused (PermissionDenied) unless `acting_user` may add the carrier's activities.
    """
    incubator_check_may_write(
        user=acting_user, incubator=organiser, permission="incubators.add_activity"
    )
    activity = Activity(
        organiser=organiser,
        kind=kind,
        title=title.strip(),
        held_on=held_on,
        participants=participants,
        description=description.strip(),
        recorded_by=acting_user,
    )
    save_with_audit(activity, acting_user=acting_user, reason="recorded")
    return activity


@transaction.atomic
def activity_save(*, activity: Activity, acting_user: User) -> Activity:
    """Save an activity edited as a whole (admin)."""
    save_with_audit(activity, acting_user=acting_user, reason="activity saved")
    return activity


@transaction.atomic
def competition_entry_save(*, entry: CompetitionEntry, acting_user: User) -> CompetitionEntry:
    """Create or change a competition entrant: finalist, award and rank."""
    save_with_audit(entry, acting_user=acting_user, reason="entry saved")
    return entry


@transaction.atomic
def competition_entry_add_by_uscc(
    *,
    activity: Activity,
    uscc: str,
    name: str,
    acting_user: User,
    finalist: bool = False,
    award: str = "",
    rank: int | None = None,
) -> tuple[CompetitionEntry, bool]:
    """Enter an enterprise in a competition by its code; True when the enterprise is new.

    Side effects: an unknown (valid) code creates a pending enterprise for staff to complete;
    an enterprise already entered is refused. Both writes roll back together. Refused
    (PermissionDenied) unless `acting_user` may add the organising carrier's entrants; an
    entrant resident in another carrier on the day held is refused (CompetitionEntry.clean).
    """
    incubator_check_may_write(
        user=acting_user,
        incubator=activity.organiser,
        permission="incubators.add_competitionentry",
    )
    try:
        code = uscc_lib.validate(uscc)
    except uscc_lib.USCCError as exc:
        raise ValidationError({"uscc": uscc_error_message(exc)}) from None
    enterprise, created = enterprise_get_or_create_pending(
        uscc=code, name=name, acting_user=acting_user
    )
    if CompetitionEntry.objects.filter(activity=activity, enterprise=enterprise).exists():
        raise ValidationError({"uscc": _("This enterprise is already entered.")})
    entry = CompetitionEntry(
        activity=activity, enterprise=enterprise, finalist=finalist, award=award.strip(), rank=rank
    )
    save_with_audit(entry, acting_user=acting_user, reason="entered")
    return entry, created


@transaction.atomic
def readiness_threshold_save(
    *, threshold: ReadinessThreshold, acting_user: User
) -> ReadinessThreshold:
    """Create or change a readiness threshold (staff keep the criteria as data)."""
    save_with_audit(threshold, acting_user=acting_user, reason="threshold saved")
    return threshold
