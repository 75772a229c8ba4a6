"""The official calendar: which days are working days, and the deadlines counted on them.

A day is a working day when it is a Monday to Friday that is not a holiday of the State
Council's arrangements, or a weekend day worked in lieu (调休上班). The arrangements are rows
of `CalendarDay`: seeded from the chinesecalendar library, entered by staff in the admin
each winter when the next year's notice comes out.

A year with no rows counts weekends only: a deadline in it never fails, and the staff who
keep the calendar are alerted once for that year.

The rows are read once and kept in this process for `CACHE_SECONDS`; the services below
that change them empty the cache, so this process sees a change at once and the others
within that time.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from common.audit import save_with_audit
from common.lib.holidays import library_arrangements
from common.models import CalendarDay
from common.notifications import absolute, notification_write

CACHE_SECONDS = 60.0
PERMISSION = "common.change_calendarday"
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class _Table:
    kinds: dict[dt.date, str]
    years: frozenset[int]
    loaded_at: float


_table: _Table | None = None
# Years this process has alerted staff about (the durable once-only is the dedupe key).
_alerted: set[int] = set()
_alerted_lock = threading.Lock()


def calendar_cache_clear() -> None:
    """Forget the rows read and the years alerted, so the next question reads the table."""
    global _table
    _table = None
    with _alerted_lock:
        _alerted.clear()


def _load() -> _Table:
    global _table
    table = _table
    if table is None or time.monotonic() - table.loaded_at > CACHE_SECONDS:
        kinds = dict(CalendarDay.objects.values_list("date", "kind"))
        table = _Table(kinds, frozenset(day.year for day in kinds), time.monotonic())
        _table = table
    return table


class _Walk:
    """Answers for one computation; collects the years it found without arrangements."""

    def __init__(self) -> None:
        self.table = _load()
        self.missing: set[int] = set()

    def working(self, day: dt.date) -> bool:
        kind = self.table.kinds.get(day)
        if kind is not None:
            return kind == CalendarDay.Kind.WORKDAY
        if day.year not in self.table.years:
            self.missing.add(day.year)
        return day.isoweekday() < 6

    def done(self) -> None:
        # Years before the first one in the table are history nobody will enter now.
        first = min(self.table.years, default=None)
        for year in sorted(self.missing):
            if first is None or year > first:
                _missing_year_alert(year)


# ------------------------------------------------------------------------------ questions


def is_working_day(day: dt.date) -> bool:
    """Whether `day` is a working day on the official calendar."""
    walk = _Walk()
    answer = walk.working(day)
    walk.done()
    return answer


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The n-th working day after `start` (n > 0), the |n|-th before it (n < 0), or `start`
    itself (n == 0). `start` itself is never counted."""
    walk = _Walk()
    step = ONE_DAY if n > 0 else -ONE_DAY
    day, left = start, abs(n)
    while left:
        day += step
        if walk.working(day):
            left -= 1
    walk.done()
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days lie after `start` up to and including `end` (0 if end <= start)."""
    walk = _Walk()
    count, day = 0, start
    while day < end:
        day += ONE_DAY
        count += walk.working(day)
    walk.done()
    return count


# ---------------------------------------------------------------------------------- rules


def _rule(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def service_request_due_on(registered_on: dt.date) -> dt.date:
    """A service request is due on the SERVICE_REQUEST_DUE_WORKING_DAYS-th working day after
    the day of registration."""
    return add_working_days(registered_on, _rule("SERVICE_REQUEST_DUE_WORKING_DAYS", 15))


def service_request_overdue_cutoff(day: dt.date) -> dt.date:
    """On `day`, a request without a due date of its own is overdue if it was registered
    before this date (the inverse of `service_request_due_on`, for queries)."""
    return add_working_days(day, -_rule("SERVICE_REQUEST_DUE_WORKING_DAYS", 15))


def service_request_reopen_until(resolved_on: dt.date) -> dt.date:
    """The last day the enterprise may reopen a request resolved on `resolved_on`: the
    SERVICE_REQUEST_REOPEN_WORKING_DAYS-th working day after it."""
    return add_working_days(resolved_on, _rule("SERVICE_REQUEST_REOPEN_WORKING_DAYS", 10))


def notice_earliest_end(starts_on: dt.date) -> dt.date:
    """A public notice lasts at least NOTICE_MIN_WORKING_DAYS working days counting its first
    day: the earliest day it may end."""
    return add_working_days(starts_on - ONE_DAY, _rule("NOTICE_MIN_WORKING_DAYS", 5))


def notice_latest_start(ends_on: dt.date) -> dt.date:
    """The latest day a public notice ending on `ends_on` may start."""
    return add_working_days(ends_on + ONE_DAY, -_rule("NOTICE_MIN_WORKING_DAYS", 5))


# ------------------------------------------------------------------------------- services


@transaction.atomic
def calendar_day_save(*, calendar_day: CalendarDay, acting_user: Any) -> CalendarDay:
    """Staff enter or correct one day of the holiday arrangements.

    Side effects: the row is saved (full_clean first) naming who entered it, and this
    process's calendar is read afresh.
    """
    calendar_day.entered_by = acting_user if getattr(acting_user, "pk", None) else None
    save_with_audit(calendar_day, acting_user=acting_user, reason="holiday arrangement")
    _changed()
    return calendar_day


@transaction.atomic
def calendar_day_delete(*, calendar_day: CalendarDay, acting_user: Any) -> None:
    """Staff remove a day entered by mistake; this process's calendar is read afresh."""
    CalendarDay.objects.filter(pk=calendar_day.pk).delete()
    _changed()


def calendar_seed_from_library() -> list[int]:
    """Add the chinesecalendar library's arrangements for every year that has no row yet
    (a year staff entered stays as they entered it). Returns the years added."""
    have = {day.year for day in CalendarDay.objects.dates("date", "year")}
    rows = [row for row in library_arrangements() if row.date.year not in have]
    CalendarDay.objects.bulk_create(
        CalendarDay(date=row.date, kind=row.kind, name=row.name) for row in rows
    )
    _changed()
    return sorted({row.date.year for row in rows})


def _changed() -> None:
    calendar_cache_clear()
    transaction.on_commit(calendar_cache_clear)


# --------------------------------------------------------------------------------- alert


def calendar_keepers() -> Any:
    """Active staff who may enter holiday arrangements."""
    return (
        get_user_model()
        .objects.with_perm(
            PERMISSION,
            include_superusers=False,
            backend="django.contrib.auth.backends.ModelBackend",
        )
        .filter(is_staff=True, is_active=True)
        .order_by("pk")
    )


def _missing_year_alert(year: int) -> None:
    """Tell the calendar's keepers, once, that `year` has no arrangements entered.

    Side effects: one outbox notification per keeper (never a second one for the same
    year, whatever the process), sent after commit.
    """
    with _alerted_lock:
        if year in _alerted:
            return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("The %(year)d holiday arrangements are not entered yet") % {"year": year}
        body = _(
            "A deadline falls in %(year)d, and no holiday arrangements are entered for that "
            "year, so deadlines in %(year)d count weekends only. Please enter the State "
            "Council's arrangements for %(year)d (days off and adjusted working days):"
        ) % {"year": year}
    path = reverse("admin:common_calendarday_changelist")
    notification_write(
        recipients=calendar_keepers(),
        subject=subject,
        body=f"{body}\n{absolute(path)}\n",
        path=path,
        kind="calendar_missing_year",
        dedupe_key=f"calendar-missing-{year}",
    )

    def remember() -> None:
        with _alerted_lock:
            _alerted.add(year)

    transaction.on_commit(remember)
