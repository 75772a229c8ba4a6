"""The admin's paginator counts a filtered list only up to its cap (common.admin)."""

import pytest

from common.admin import EstimatedCountPaginator
from enterprises.models import Street


class SmallCap(EstimatedCountPaginator):
    COUNT_CAP = 3


@pytest.mark.django_db
def test_a_filtered_count_stops_at_the_cap(django_assert_num_queries):
    streets = Street.objects.filter(pk__gt=0).order_by("pk")
    assert streets.count() > 4  # the seeded streets and towns
    paginator = SmallCap(streets, 2)
    with django_assert_num_queries(1):  # COUNT over at most COUNT_CAP + 1 rows
        assert paginator.count == 4
    assert paginator.capped
    assert paginator.num_pages == 2


@pytest.mark.django_db
def test_a_filtered_count_under_the_cap_is_exact():
    paginator = EstimatedCountPaginator(Street.objects.filter(pk__gt=0).order_by("pk"), 2)
    assert paginator.count == Street.objects.count()
    assert not paginator.capped
