"""The State Council's holiday arrangements as the chinesecalendar library publishes them."""

import datetime as dt
from typing import NamedTuple

# The library's short names, as the State Council's notices write them.
_NOTICE_NAMES = {"清明": "清明节", "端午": "端午节", "中秋": "中秋节"}


class Arrangement(NamedTuple):
    date: dt.date
    kind: str  # "holiday" (a day off) or "workday" (a weekend day worked in lieu)
    name: str  # in Chinese, e.g. 国庆节


def library_arrangements() -> list[Arrangement]:
    """Every day off and every adjusted working day the library knows, by date.

    Days off are whole published spans, weekend days included; adjusted working days are
    weekend days.
    """
    from chinese_calendar import constants

    def chinese(english: str) -> str:
        name = constants.Holiday(english).chinese
        return _NOTICE_NAMES.get(name, name)

    rows = [Arrangement(day, "holiday", chinese(name)) for day, name in constants.holidays.items()]
    rows += [Arrangement(day, "workday", chinese(name)) for day, name in constants.workdays.items()]
    return sorted(rows)


def library_years() -> list[int]:
    """The years the library has arrangements for."""
    return sorted({row.date.year for row in library_arrangements()})
