"""Calendar helpers: year arithmetic and month boundaries."""

import calendar
import datetime as dt


def add_years(day: dt.date, years: int) -> dt.date:
    """Same month and day `years` later; 29 February falls back to 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    """First and last day of a month."""
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, 1), dt.date(year, month, last)


def parse_period(text: str) -> tuple[int, int]:
    """'YYYY-MM' to (year, month), raising ValueError on anything else."""
    year_text, sep, month_text = text.partition("-")
    if not sep or len(year_text) != 4 or len(month_text) != 2:
        raise ValueError(text)
    year, month = int(year_text), int(month_text)
    if not 1 <= month <= 12:
        raise ValueError(text)
    return year, month


def year_start(day: dt.date) -> dt.date:
    """1 January of the year of `day` (the start of a "year to date" range)."""
    return dt.date(day.year, 1, 1)
