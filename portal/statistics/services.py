"""Every write of the statistics: snapshots, district figures and the report deliveries.

Snapshots are computed by the registered sections (portal.statistics.sections.SECTIONS);
deliveries go through the one delivery path of `common.outbox`, claimed with a conditional
UPDATE before any email leaves, so a retried, duplicated or concurrent task never sends the
same month twice to the same address.
"""

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.audit import save_with_audit
from common.outbox import outbox_release, outbox_send
from portal.accounts.models import User
from portal.statistics import sections as registry
from portal.statistics.lib import Period
from portal.statistics.models import (
    DistrictStatistic,
    MonthlySummary,
    ReportDelivery,
    ReportSubscription,
)

logger = logging.getLogger(__name__)


def period_check(period: Period, *, today: dt.date | None = None) -> None:
    """Refuse a month that has not ended yet: its figures as of its last day do not exist."""
    today = today or timezone.localdate()
    if period.first_day > today:
        raise ValidationError(
            _("The month %(period)s is in the future.") % {"period": period}, code="future"
        )
    if period.last_day >= today:
        raise ValidationError(
            _("The month %(period)s is not over yet; it can be computed from %(day)s.")
            % {"period": period, "day": (period.last_day + dt.timedelta(days=1)).isoformat()},
            code="not_over",
        )


def monthly_summary_figures(period: Period) -> dict[str, Any]:
    """Every registered section's figures as of the period's last day (read only)."""
    return {section.key: section.compute(period) for section in registry.SECTIONS}


@transaction.atomic
def monthly_summary_compute(
    *, period: Period, force: bool = False, acting_user: User | None = None
) -> MonthlySummary:
    """The snapshot of `period`: computed and saved when missing, else returned as it is.

    With `force` an existing snapshot is recomputed in place; its history keeps the replaced
    version. Refuses a month that is not over. Safe to run twice or concurrently: the month
    is unique and the existing row is locked while it is replaced.
    """
    period_check(period)
    existing = MonthlySummary.objects.select_for_update().filter(period=period.first_day).first()
    if existing is not None and not force:
        return existing
    summary = existing or MonthlySummary(period=period.first_day)
    summary.as_of = period.last_day
    summary.figures = monthly_summary_figures(period)
    summary.computed_at = timezone.now()
    summary.computed_by = acting_user
    summary._history_user = summary.computed_by  # type: ignore[attr-defined]
    summary._change_reason = "recomputed" if existing else "computed"  # type: ignore[attr-defined]
    # The database holds the unique month and the check constraints; no extra round trips.
    summary.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            summary.save()
    except IntegrityError:
        # Another process created the month between our read and our insert: theirs stands.
        return MonthlySummary.objects.get(period=period.first_day)
    return summary


def monthly_summary_first_record() -> dt.date | None:
    """The date of the earliest record any registered section counts (None: no records)."""
    days = [section.first_record() for section in registry.SECTIONS]
    return min((day for day in days if day is not None), default=None)


def monthly_summary_backfill(
    *, first: Period, last: Period, force: bool = False, acting_user: User | None = None
) -> list[MonthlySummary]:
    """Compute every month from `first` to `last` inclusive, each in its own transaction.

    Refuses a range that starts before the month of the first record: its snapshots would be
    empty figures that look like real ones (a mistyped 1990-01 would write 400 of them).
    """
    if last < first:
        raise ValidationError(_("The first month must not come after the last month."))
    period_check(last)
    first_record = monthly_summary_first_record()
    if first_record is None:
        raise ValidationError(
            _("There are no records to summarise yet: import the lists first."), code="no_records"
        )
    if first < Period.of(first_record):
        raise ValidationError(
            _(
                "The first record is dated %(day)s, so the backfill can start at %(first)s at "
                "the earliest, not %(period)s."
            )
            % {"day": first_record.isoformat(), "first": Period.of(first_record), "period": first},
            code="before_first_record",
        )
    return [
        monthly_summary_compute(period=period, force=force, acting_user=acting_user)
        for period in first.months_until(last)
    ]


def monthly_summary_catch_up(*, period: Period, months: int = 12) -> list[MonthlySummary]:
    """Compute `period` and any month of the `months` before it that has no snapshot yet.

    The schedule calls this, so a month missed while the broker was down is filled in by the
    next run. Existing snapshots are left alone, and no month before the first record's is
    written (its empty figures would look like real ones); `period` itself is always computed.
    """
    earliest = period.shift(-months)
    first_record = monthly_summary_first_record()
    if first_record is None or Period.of(first_record) > period:
        earliest = period
    elif Period.of(first_record) > earliest:
        earliest = Period.of(first_record)
    wanted = earliest.months_until(period)
    have = set(
        MonthlySummary.objects.filter(
            period__gte=wanted[0].first_day, period__lte=period.first_day
        ).values_list("period", flat=True)
    )
    return [
        monthly_summary_compute(period=month) for month in wanted if month.first_day not in have
    ]


@transaction.atomic
def district_statistic_save(
    *, statistic: DistrictStatistic, acting_user: User | None
) -> DistrictStatistic:
    """Validate and save a year's district figures, recording who entered them (None: the
    demo data and tests, entered by nobody)."""
    save_with_audit(statistic, acting_user=acting_user)
    return statistic


@transaction.atomic
def report_subscription_save(
    *, subscription: ReportSubscription, acting_user: User
) -> ReportSubscription:
    """Validate and save a subscription (address lower-cased), recording who changed it."""
    save_with_audit(subscription, acting_user=acting_user)
    return subscription


@transaction.atomic
def report_deliveries_prepare(*, period: Period) -> list[int]:
    """One pending delivery of `period` per active subscription; returns the pending ids.

    Computes the month first when its snapshot is missing (the compute run was missed).
    Existing deliveries of the month are kept (the unique month-and-recipient key makes a
    second run add nothing), so running it twice is harmless; failed ones still to be
    retried are due again at once.
    """
    summary = monthly_summary_compute(period=period)
    deliveries: dict[str, ReportDelivery] = {}
    for subscription in ReportSubscription.objects.filter(active=True).select_related("user"):
        recipient = subscription.recipient
        if recipient and (subscription.user is None or subscription.user.is_active):
            deliveries.setdefault(
                recipient,
                ReportDelivery(
                    summary=summary,
                    subscription=subscription,
                    recipient=recipient,
                    language=subscription.language,
                ),
            )
    ReportDelivery.objects.bulk_create(deliveries.values(), ignore_conflicts=True)
    # A run started by hand does not wait for the back-off of the failed ones; deliveries
    # given up on or that may have left wait for a person (release in the admin).
    ReportDelivery.objects.filter(
        summary=summary, status=ReportDelivery.Status.FAILED, next_attempt_at__isnull=False
    ).update(status=ReportDelivery.Status.PENDING, next_attempt_at=timezone.now())
    return list(
        ReportDelivery.objects.filter(
            summary=summary, status=ReportDelivery.Status.PENDING
        ).values_list("pk", flat=True)
    )


def report_delivery_send(*, delivery_id: int) -> str:
    """Send one report delivery through the one delivery path (`common.outbox.outbox_send`):
    claimed first, built with its xlsx, handed to SMTP, the outcome recorded."""
    return outbox_send(model=ReportDelivery, pk=delivery_id)


@transaction.atomic
def report_delivery_release(*, delivery: ReportDelivery, acting_user: User) -> bool:
    """Staff decided an uncertain or given-up delivery may be sent again: pending, queued
    after commit, with a history row naming who released it."""
    if not outbox_release(model=ReportDelivery, pk=delivery.pk):
        return False
    delivery = ReportDelivery.objects.get(pk=delivery.pk)
    delivery._history_user = acting_user  # type: ignore[attr-defined]
    delivery._change_reason = "released for resending"  # type: ignore[attr-defined]
    delivery.save()
    return True
