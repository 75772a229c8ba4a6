"""Paginators for lists too long to count on every page."""

from typing import Any

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.utils.functional import cached_property

# A page number past this is read as this one: the database is never asked for an offset
# out of its range (a page past the list's end shows its last page, as Paginator.get_page does).
MAX_PAGE = 100_000


def page_number(value: str | None) -> int:
    """The page a request asks for (?page=N): 1 when absent, not a number or below 1;
    at most MAX_PAGE."""
    try:
        number = int(value or 1)
    except ValueError:
        return 1
    return min(max(number, 1), MAX_PAGE)


class EstimatedCountPaginator(Paginator):
    """Uses PostgreSQL's row estimate for an unfiltered table instead of COUNT(*), and counts
    a filtered or searched list only as far as COUNT_AHEAD pages past the page shown.

    A registry of 100,000 rows would otherwise pay a full count on every page load, and a
    search matching most of 500,000 loans a count of all of them: page 1 counts at most 300
    rows and says "300+", page 5 at most 700 (each page reaches further, so every row can be
    paged to; COUNT_MAX bounds what one request counts).
    """

    COUNT_AHEAD = 2
    COUNT_MAX = 10000

    def __init__(self, *args: Any, page: int = 1, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.count_limit = min((max(page, 1) + self.COUNT_AHEAD) * self.per_page, self.COUNT_MAX)

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if connection.vendor != "postgresql" or not isinstance(qs, QuerySet):
            return super().count
        if not qs.query.where and not qs.query.distinct:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [qs.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] > 10000:
                return int(row[0])
            return super().count
        # Only the keys: the list's columns (a firm's "registered today", a carrier's level,
        # subqueries per row) are not computed for the rows counted; filters on them stay.
        return qs.order_by().values("pk")[: self.count_limit + 1].count()

    @property
    def capped(self) -> bool:
        """The count stopped at the cap: there are more rows than it says."""
        return self.count > self.count_limit

    @property
    def known_pages(self) -> int:
        """The pages the count reached: all of them, or, when it stopped at the cap, those
        the cap fills (the page says "N+")."""
        return self.count_limit // self.per_page if self.capped else self.num_pages
