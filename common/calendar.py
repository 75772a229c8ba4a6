"""Working days: a stand-in until the official calendar (branch `calendar`) lands.

It counts Monday to Friday only. The real module keeps the same two questions
(`add_working_days`, `working_days_between`) and adds the holiday arrangements; on merge,
take that module whole.
"""

from __future__ import annotations

import datetime as dt

ONE_DAY = dt.timedelta(days=1)


def is_working_day(day: dt.date) -> bool:
    return day.isoweekday() < 6


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The n-th working day after `start` (n > 0), the |n|-th before it (n < 0), or `start`
    itself (n == 0). `start` itself is never counted."""
    step = ONE_DAY if n > 0 else -ONE_DAY
    day, left = start, abs(n)
    while left:
        day += step
        if is_working_day(day):
            left -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days lie after `start` up to and including `end` (0 if end <= start)."""
    count, day = 0, start
    while day < end:
        day += ONE_DAY
        count += is_working_day(day)
    return count
